"""The CI/CD workflows: every stage present, runnable locally by one make target, hardened.

actionlint (tests/static/test_linters.py) proves they are valid; these tests prove what they do.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.repo import ROOT

pytestmark = pytest.mark.static

WORKFLOWS = ROOT / ".github" / "workflows"
SHA_PIN = re.compile(r"^\s*(?:-\s*)?uses:\s*[\w.-]+/[\w./-]+@([0-9a-f]{40})\s+#\s*v\d+(\.\d+)*\s*$")


def load(name: str) -> dict:
    path = WORKFLOWS / name
    if not path.exists():
        pytest.fail(f"{path.relative_to(ROOT)} is missing", pytrace=False)
    doc = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the key `on` as True
    doc["on"] = doc.pop(True, doc.get("on"))
    return doc


def steps(job: dict) -> list[dict]:
    return job.get("steps", [])


def runs(job: dict) -> str:
    return "\n".join(s.get("run", "") for s in steps(job))


def uses(job: dict) -> list[str]:
    return [s["uses"].split("@")[0] for s in steps(job) if "uses" in s]


def make_target_resolves(target: str) -> None:
    """`make -n TARGET` succeeds and every repository script it calls exists and is executable."""
    proc = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    scripts = re.findall(r"((?:scripts|benchmarks)/[\w./-]+\.sh)", proc.stdout)
    assert scripts, f"make {target} calls no script of the repository:\n{proc.stdout}"
    for script in scripts:
        path = ROOT / script
        assert path.is_file(), f"make {target} calls {script}, which does not exist"
        assert path.stat().st_mode & 0o111, f"{script} is not executable"


def job_running(workflow: dict, command: str) -> dict:
    for job in workflow["jobs"].values():
        if re.search(rf"(^|\s){re.escape(command)}(\s|$)", runs(job)):
            return job
    pytest.fail(f"no job runs `{command}`", pytrace=False)


def all_workflows() -> list[Path]:
    return sorted(WORKFLOWS.glob("*.yml"))


@pytest.mark.criterion("cicd-deploys", "security-scan-ci")
def test_every_workflow_reads_contents_only_by_default_and_bounds_every_job():
    for path in all_workflows():
        doc = yaml.safe_load(path.read_text())
        assert doc.get("permissions") == {"contents": "read"}, f"{path.name}: top-level permissions"
        for name, job in doc["jobs"].items():
            assert isinstance(job.get("timeout-minutes"), int), f"{path.name}:{name} has no timeout-minutes"


@pytest.mark.criterion("cicd-deploys", "security-scan-ci")
def test_every_action_is_pinned_by_commit_sha_with_a_version_comment():
    offenders = []
    for path in all_workflows():
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if re.match(r"^\s*(-\s*)?uses:", line) and not SHA_PIN.match(line):
                offenders.append(f"{path.name}:{n}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


@pytest.mark.criterion("ci-build")
def test_ci_builds_both_runtime_images_with_one_make_target():
    job = job_running(load("ci.yml"), "make build")
    assert job.get("strategy", {}).get("matrix", {}).get("variant") == ["fpm", "swoole"]
    make_target_resolves("build")


@pytest.mark.criterion("ci-unit-tests")
def test_ci_runs_the_unit_and_feature_tests_with_one_make_target():
    job_running(load("ci.yml"), "make test-app")
    make_target_resolves("test-app")


@pytest.mark.criterion("ci-integration-tests")
def test_ci_runs_the_container_and_kubernetes_tiers_for_both_runtimes():
    ci = load("ci.yml")
    for target in ("make test-container", "make test-k8s"):
        job = job_running(ci, target)
        assert job["strategy"]["matrix"]["variant"] == ["fpm", "swoole"], target
    make_target_resolves("test-container")
    make_target_resolves("test-k8s")


@pytest.mark.criterion("ci-performance-tests")
def test_ci_runs_the_fpm_vs_swoole_benchmark_and_keeps_its_results():
    job = job_running(load("ci.yml"), "make bench")
    assert "actions/upload-artifact" in uses(job)
    make_target_resolves("bench")


@pytest.mark.criterion("cicd-deploys", "cd-deploy")
def test_cd_pushes_the_images_ci_tested_and_deploys_them_with_a_rollout_wait_and_an_automatic_rollback():
    """The shape of cd.yml; tests/static/test_pipeline.py proves each part (gate, images, secrets,
    single rollback, permissions) against broken samples."""
    cd = load("cd.yml")
    assert set(cd["on"]) == {"workflow_run"}, "CD starts only from a completed ci run"
    push = cd["jobs"]["push"]
    assert push["permissions"]["packages"] == "write"
    assert "actions/download-artifact" in uses(push), "CD pushes the images ci built, not a rebuild"
    assert "docker/login-action" in uses(push)
    assert re.search(r"^\s*docker push ", runs(push), re.M)
    deploy = cd["jobs"]["deploy"]
    assert deploy["needs"] == "push"
    assert "scripts/deploy.sh" in runs(deploy)
    assert not any(
        s.get("if") == "failure()" and "rollout undo" in s.get("run", "") for s in steps(deploy)
    ), "deploy.sh already rolls back: a failure() step would roll back a second time"
    deploy_sh = ROOT / "scripts" / "deploy.sh"
    assert deploy_sh.is_file(), "scripts/deploy.sh is missing"
    text = deploy_sh.read_text()
    assert "rollout status" in text, "deploy.sh does not wait for the rollout"
    assert "rollout undo" in text, "deploy.sh does not roll back a failed rollout"


@pytest.mark.criterion("security-scan-ci")
def test_security_workflow_scans_the_filesystem_the_images_the_dockerfiles_and_the_history_for_secrets():
    sec = load("security.yml")
    jobs = sec["jobs"]
    trivy = [
        (n, s["with"])
        for n, j in jobs.items()
        for s in steps(j)
        if s.get("uses", "").startswith("aquasecurity/trivy-action")
    ]
    scan_types = {w.get("scan-type", "image") for _, w in trivy}
    assert scan_types == {"fs", "image"}, scan_types
    assert all(w.get("exit-code") == "1" for _, w in trivy), "a scan that cannot fail the build"
    image_job = next(j for n, j in jobs.items() if any(s.get("with", {}).get("image-ref") for s in steps(j)))
    assert {"fpm", "swoole"} <= set(image_job["strategy"]["matrix"]["image"]), (
        "test_workflow_hardening.py checks the image scan covers every shipped image"
    )
    assert any("hadolint/hadolint-action" in uses(j) for j in jobs.values())
    assert any("gitleaks/gitleaks-action" in uses(j) for j in jobs.values())
    secret_checkout = next(j for j in jobs.values() if "gitleaks/gitleaks-action" in uses(j))
    assert steps(secret_checkout)[0]["with"]["fetch-depth"] == 0, "secret scan must see the whole history"
