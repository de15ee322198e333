"""The workflows are hardened as third-party scanners expect: no job keeps the repository token in
.git/config (`persist-credentials: false` on every checkout), and the Trivy filesystem scan
leaves out only files that must run privileged, each of which exists."""

from __future__ import annotations

import pytest
import yaml

from tests.repo import ROOT

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
