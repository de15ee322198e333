"""The workflows are hardened as third-party scanners expect: no job keeps the repository token in
.git/config (`persist-credentials: false` on every checkout), and the Trivy filesystem scan
leaves out only files that must run privileged, each of which exists."""

from __future__ import annotations

import re

import pytest
import yaml

from tests.repo import ROOT, SAMPLES

pytestmark = [pytest.mark.static, pytest.mark.criterion("security-scan-ci")]

WORKFLOWS = ROOT / ".github" / "workflows"
# what the filesystem scan may leave out, and why (see security.yml)
PRIVILEGED_BY_NECESSITY = {
    "k8s/cluster/node/Dockerfile": "kind node: systemd as root in a privileged container",
    "k8s/cluster/cni/kube-router.yaml": "CNI DaemonSet: privileged, host network",
}
BROKEN_ON_PURPOSE = {"tests/static/samples"}


def checkouts_keeping_credentials(workflow: dict) -> list[str]:
    bad = []
    for name, job in workflow.get("jobs", {}).items():
        for step in job.get("steps", []):
            if (
                step.get("uses", "").startswith("actions/checkout@")
                and (step.get("with") or {}).get("persist-credentials") is not False
            ):
                bad.append(f"{name}: {step.get('name', step['uses'])}")
    return bad


def _paths(value) -> set[str]:
    return {p.strip() for p in str(value or "").split(",") if p.strip()}


def trivy_fs_scope(workflow: dict) -> tuple[set[str], set[str]]:
    for job in workflow.get("jobs", {}).values():
        for step in job.get("steps", []):
            with_ = step.get("with") or {}
            if (
                step.get("uses", "").startswith("aquasecurity/trivy-action@")
                and with_.get("scan-type") == "fs"
            ):
                return _paths(with_.get("skip-files")), _paths(with_.get("skip-dirs"))
    pytest.fail("no Trivy filesystem scan", pytrace=False)


@pytest.mark.parametrize("path", sorted(WORKFLOWS.glob("*.yml")), ids=lambda p: p.name)
def test_no_checkout_keeps_the_token_in_the_git_config(path):
    assert checkouts_keeping_credentials(yaml.safe_load(path.read_text())) == []


def test_the_credentials_check_rejects_a_checkout_without_persist_credentials():
    workflow = {
        "jobs": {
            "deploy": {
                "steps": [
                    {"name": "Check out", "uses": "actions/checkout@" + "0" * 40},
                    {
                        "name": "Check out again",
                        "uses": "actions/checkout@" + "0" * 40,
                        "with": {"persist-credentials": "false"},
                    },
                    {
                        "name": "Fine",
                        "uses": "actions/checkout@" + "0" * 40,
                        "with": {"persist-credentials": False},
                    },
                ]
            }
        }
    }
    assert checkouts_keeping_credentials(workflow) == ["deploy: Check out", "deploy: Check out again"]


def test_the_filesystem_scan_skips_only_what_must_run_privileged_and_it_exists():
    files, dirs = trivy_fs_scope(yaml.safe_load((WORKFLOWS / "security.yml").read_text()))
    assert files == set(PRIVILEGED_BY_NECESSITY), "every file the scan leaves out needs its reason here"
    assert dirs == BROKEN_ON_PURPOSE
    missing = [p for p in files | dirs if not (ROOT / p).exists()]
    assert missing == [], f"the scan leaves out paths that do not exist (moved?): {missing}"


# --- the image scan scans what the pipeline ships ------------------------------------------------
SHIPPED_BUILD = re.compile(r"scripts/build-images\.sh --profile online|make build PROFILE=online")


def _matrix_values(job: dict, key: str) -> list[str]:
    return list(((job.get("strategy") or {}).get("matrix") or {}).get(key) or [])


def image_scan_problems(workflow: dict, shipped: set[str], dockerfiles: set[str]) -> list[str]:
    """The Trivy image scan must scan every image the overlays deploy (`shipped`: names such as
    fpm, redis), each built by the recipe ci builds it with (scripts/build-images.sh --profile
    online), never a `docker build` of its own; hadolint must lint every Dockerfile that recipe
    builds from (`dockerfiles`, relative to the repository)."""
    problems = []
    scanned: set[str] = set()
    linted: set[str] = set()
    for name, job in workflow.get("jobs", {}).items():
        runs = "\n".join(s.get("run", "") for s in job.get("steps", []))
        for step in job.get("steps", []):
            uses, with_ = step.get("uses", ""), step.get("with") or {}
            if uses.startswith("aquasecurity/trivy-action@") and with_.get("image-ref"):
                if re.search(r"(^|\s)docker (image )?build\s", runs) or not SHIPPED_BUILD.search(runs):
                    problems.append(
                        f"{name}: scans an image it builds with its own `docker build`, not the one "
                        "scripts/build-images.sh --profile online ships"
                    )
                scanned |= set(_matrix_values(job, "image") or _matrix_values(job, "variant"))
            if uses.startswith("hadolint/hadolint-action@"):
                linted |= set(_matrix_values(job, "dockerfile")) or {str(with_.get("dockerfile"))}
    if missing := sorted(shipped - scanned):
        problems.append(f"the image scan leaves out shipped images: {missing}")
    if unlinted := sorted(dockerfiles - linted):
        problems.append(f"hadolint leaves out Dockerfiles the images are built from: {unlinted}")
    return problems


def shipped_images() -> set[str]:
    from tests.static.test_pipeline import DEPLOYABLE, overlay_images

    return {i.split("/")[-1].split(":")[0] for v in DEPLOYABLE for i in overlay_images(v)}


def built_dockerfiles() -> set[str]:
    from tests.static.test_image_recipes import build_plan

    plans = [build_plan("online"), build_plan("online", "alpine")]
    # the Go programs have recipes of their own (scripts/build-go-image.sh)
    return {f"app/{file}" for plan in plans for file, _, _ in plan.values()} | {
        "app/docker/offline/seaweedfs.Dockerfile",
        "app/docker/offline/go-program.Dockerfile",
    }


@pytest.mark.criterion("security-scan-ci")
def test_the_image_scan_scans_every_shipped_image_as_ci_builds_it_and_hadolint_every_dockerfile():
    workflow = yaml.safe_load((WORKFLOWS / "security.yml").read_text())
    shipped = shipped_images()
    assert {"fpm", "nginx", "worker", "swoole", "redis", "mariadb", "seaweedfs"} <= shipped, shipped
    dockerfiles = built_dockerfiles()
    assert "app/docker/offline/Dockerfile" in dockerfiles, dockerfiles
    assert image_scan_problems(workflow, shipped, dockerfiles) == []


@pytest.mark.criterion("security-scan-ci")  # its negative: the check can fail
def test_the_image_scan_check_rejects_the_old_scan_of_a_docker_build_of_the_alpine_dockerfile():
    sample = yaml.safe_load((SAMPLES / "workflow" / "security-own-build.yml").read_text())
    assert image_scan_problems(sample, shipped_images(), built_dockerfiles()) == [
        "image-scan: scans an image it builds with its own `docker build`, not the one "
        "scripts/build-images.sh --profile online ships",
        "the image scan leaves out shipped images: ['mariadb', 'nginx', 'redis', 'seaweedfs', 'worker']",
        "hadolint leaves out Dockerfiles the images are built from: ['app/docker/offline/Dockerfile', "
        "'app/docker/offline/go-program.Dockerfile', "
        "'app/docker/offline/mariadb.Dockerfile', 'app/docker/offline/nginx.Dockerfile', "
        "'app/docker/offline/redis.Dockerfile', 'app/docker/offline/seaweedfs.Dockerfile']",
    ]
