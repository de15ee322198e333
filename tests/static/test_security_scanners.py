"""Independent scanners find nothing in what the project ships that is not fixed or accepted where
the object is, with its reason (tests/static/scanners.py; every exception: docs/SECURITY.md):
checkov, kube-score and trivy config on the rendered Kubernetes trees, checkov and trivy on
Terraform, the Dockerfiles and the workflows, detect-secrets on every file of the repository.
Each scanner also flags its broken sample (tests/static/samples/security/), offline: the checks
really run here, and an exception without its reason is refused.

trivy is the one that may be missing: its cold compile is too slow for a cold .ci/run (the test
skips with the reason while it is not built; `make scan` builds it and runs this file with
LKS_REQUIRE_SCANNERS=1, where a missing scanner fails instead).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from suite import secret_scan
from suite.project import ROOT, tool_version
from tests.repo import SAMPLES, repo_files
from tests.static import scanners

pytestmark = [pytest.mark.static, pytest.mark.criterion("security-scan-ci", "scanners-clean")]

BAD = SAMPLES / "security"
REQUIRE = os.environ.get("LKS_REQUIRE_SCANNERS") == "1"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> list[Path]:
    try:
        return scanners.render_trees(tmp_path_factory.mktemp("rendered"))
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="module")
def trivy_binary() -> Path:
    binary = scanners.trivy()
    if binary is None:
        reason = (
            f"trivy {tool_version('TRIVY_VERSION')} is not built: its cold compile (module download + build) "
            "downloads 2.7 GB of modules and compiles for tens of minutes on this 2-core machine, more than a "
            "cold .ci/run can add (docs/SECURITY.md); "
            "`make scan` builds it (scripts/cluster/build-tools.sh trivy) and runs these tests"
        )
        if REQUIRE:
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return binary


def _report(problems: list[str], what: str) -> str:
    return f"{what}: {len(problems)} finding(s) neither fixed nor accepted with a reason:\n" + "\n".join(
        problems
    )


# --- checkov --------------------------------------------------------------------------------------
FRAMEWORKS = ["kubernetes", "dockerfile", "terraform", "github_actions"]


@pytest.fixture(scope="module")
def repo_reports() -> tuple[list[dict], float]:
    """checkov on the repository's Dockerfiles, Terraform and workflows, in one run."""
    return scanners.checkov(
        ["dockerfile", "terraform", "github_actions"], ROOT, skip_paths=tuple(scanners.CHECKOV_SKIP_PATHS)
    )


def test_checkov_finds_nothing_in_the_rendered_manifests_that_is_not_fixed_or_accepted_with_its_reason(
    rendered, record_metric
):
    reports, seconds = scanners.checkov("kubernetes", rendered[0].parent)
    counts = scanners.checkov_counts(reports)
    record_metric("security-scan-ci", "checkov kubernetes: run time", round(seconds, 1), "s")
    record_metric("security-scan-ci", "checkov kubernetes: accepted findings", counts["skipped"], "findings")
    assert scanners.checkov_problems(reports) == [], _report(scanners.checkov_problems(reports), "kubernetes")
    assert counts["resource_count"] >= 150, counts  # every object of every tree was read


def test_checkov_finds_nothing_in_the_dockerfiles_terraform_and_workflows_that_is_not_accepted_with_its_reason(
    repo_reports, record_metric
):
    reports, seconds = repo_reports
    record_metric(
        "security-scan-ci", "checkov Dockerfiles, Terraform, workflows: run time", round(seconds, 1), "s"
    )
    record_metric(
        "security-scan-ci",
        "checkov Dockerfiles: accepted findings",
        scanners.checkov_counts(reports)["skipped"],
        "findings",
    )
    assert scanners.checkov_problems(reports) == [], _report(scanners.checkov_problems(reports), "checkov")
    by_type = {r.get("check_type"): scanners.checkov_counts([r]) for r in reports}
    # every Dockerfile of the images and the cluster, every workflow; Terraform holds no resource
    # checkov has checks for (modules of local-exec provisioners), so it reports no terraform run
    assert by_type.get("dockerfile", {}).get("resource_count", 0) >= 11, by_type
    assert by_type.get("github_actions", {}).get("passed", 0) > 0, by_type
    scanned = {c["file_path"].lstrip("/") for r in reports for c in (r["results"].get("passed_checks") or [])}
    assert "app/docker/offline/Dockerfile" in scanned, sorted(scanned)
    assert "k8s/cluster/node/Dockerfile" in scanned, sorted(scanned)


@pytest.fixture(scope="module")
def sample_reports() -> dict[str, list[dict]]:
    """checkov on the broken samples, every framework in one run (its start-up is most of its time)."""
    reports, _ = scanners.checkov(FRAMEWORKS, BAD)
    return {framework: [r for r in reports if r.get("check_type") == framework] for framework in FRAMEWORKS}


@pytest.mark.parametrize(
    ("framework", "expected"),
    [
        ("kubernetes", {"CKV_K8S_16", "CKV_K8S_19", "CKV_K8S_23", "CKV_K8S_11"}),  # scanner-bad.yaml
        ("dockerfile", {"CKV_DOCKER_3", "CKV_DOCKER_7"}),  # Dockerfile.scanner-bad
        ("terraform", {"CKV_K8S_16", "CKV_K8S_19"}),  # terraform/main.tf
        ("github_actions", {"CKV_GHA_2", "CKV2_GHA_1"}),  # workflow/.github/workflows/scanner-bad.yml
    ],
)
def test_checkov_flags_the_broken_sample_offline_and_an_exception_without_a_reason(
    framework, expected, sample_reports
):
    problems = scanners.checkov_problems(sample_reports[framework])
    flagged = {p.split()[0] for p in problems}
    assert expected <= flagged, f"checkov did not flag {sorted(expected - flagged)}:\n" + "\n".join(problems)
    if framework in ("kubernetes", "dockerfile"):  # the samples' reason-less exceptions
        assert any("skipped without a reason" in p for p in problems), problems


# --- kube-score -----------------------------------------------------------------------------------
def test_kube_score_finds_nothing_that_is_not_fixed_or_ignored_with_its_reason(rendered, record_metric):
    scored, seconds = scanners.kube_score(rendered)
    findings = scanners.kube_score_findings(scored)
    exceptions = scanners.kube_score_exceptions(scanners.load_docs(rendered))
    record_metric("security-scan-ci", "kube-score: run time", round(seconds, 2), "s")
    record_metric("security-scan-ci", "kube-score: accepted findings", len(exceptions), "findings")
    problems = [f"{check} {obj}: {summary}" for check, obj, summary in findings]
    assert problems == [], _report(problems, "kube-score")
    assert len(scored) >= 50, f"kube-score scored only {len(scored)} objects"


def test_every_accepted_finding_of_the_manifests_carries_its_reason(rendered):
    assert scanners.kube_score_exception_problems(scanners.load_docs(rendered)) == []


def test_kube_score_flags_the_broken_sample_and_its_exception_without_a_reason():
    sample = BAD / "scanner-bad.yaml"
    scored, _ = scanners.kube_score([sample])
    flagged = {check for check, _, _ in scanners.kube_score_findings(scored)}
    expected = {"container-resources", "container-security-context-privileged", "pod-networkpolicy"}
    assert expected <= flagged, f"kube-score did not flag {sorted(expected - flagged)}: {sorted(flagged)}"
    assert "container-image-tag" not in flagged, "the sample's kube-score/ignore was not honoured"
    assert scanners.kube_score_exception_problems(scanners.load_docs([sample])) == [
        "Deployment/scanner-bad/scanner-bad: kube-score ignores container-image-tag without a reason",
        "Deployment/scanner-bad/scanner-bad: checkov.io/skip1 skips CKV_K8S_43 without a reason",
    ]


# --- trivy config ---------------------------------------------------------------------------------
def test_trivy_config_finds_nothing_that_is_not_fixed_or_ignored_with_its_reason(
    rendered, trivy_binary, tmp_path, record_metric
):
    # trivy has no GitHub Actions checks: the workflows are checkov's (and actionlint's)
    targets = {"kubernetes": rendered[0].parent, "dockerfile": ROOT / "app", "terraform": scanners.TERRAFORM}
    findings = []
    for name, target in targets.items():
        report, seconds = scanners.trivy_config(trivy_binary, target, tmp_path / "cache")
        found = scanners.trivy_findings(report)
        record_metric("security-scan-ci", f"trivy config {name}: run time", round(seconds, 1), "s")
        record_metric("security-scan-ci", f"trivy config {name}: accepted findings", len(found), "findings")
        findings += found
    entries = scanners.trivyignore()
    problems = scanners.trivy_unexcepted(findings, entries)
    assert problems == [], _report(problems, "trivy config")
    assert scanners.trivy_stale(findings, entries) == [], (
        f"{scanners.TRIVYIGNORE.name}: entries that accept nothing"
    )


def test_every_trivy_exception_names_its_paths_and_its_reason():
    assert scanners.trivyignore_problems() == []


def test_trivy_config_flags_the_broken_samples_offline(trivy_binary, tmp_path):
    report, _ = scanners.trivy_config(trivy_binary, BAD, tmp_path / "cache")
    flagged = {(cid, Path(where).name) for cid, where, _ in scanners.trivy_findings(report)}
    for expected in [
        ("KSV-0017", "scanner-bad.yaml"),
        ("KSV-0009", "scanner-bad.yaml"),
        ("DS-0002", "Dockerfile.scanner-bad"),
    ]:
        assert expected in flagged, f"trivy did not flag {expected}: {sorted(flagged)}"
    # an exception of the ignore file accepts only its check on its paths
    entries = [{"id": "KSV-0017", "paths": ["other.yaml"], "statement": "elsewhere"}]
    assert any(
        p.startswith("KSV-0017 scanner-bad.yaml")
        for p in scanners.trivy_unexcepted(scanners.trivy_findings(report), entries)
    )
    assert scanners.trivyignore_problems([{"id": "KSV-0009"}]) == [
        ".trivyignore.yaml: KSV-0009 without a statement (its reason)",
        ".trivyignore.yaml: KSV-0009 for every file (no paths): name where it applies",
    ]


# --- detect-secrets -------------------------------------------------------------------------------
def _scanned_files() -> list[Path]:
    # tracked and new files, and the samples too (a real secret must not hide among them); not the
    # allowlist: its hashes of the allowed values read as secrets (detect-secrets leaves its own
    # baseline out likewise)
    files = repo_files() + sorted(p for p in SAMPLES.rglob("*") if p.is_file())
    return [f for f in files if f != secret_scan.ALLOWLIST]


@pytest.mark.criterion("security-scan-ci", "secrets")
def test_detect_secrets_finds_no_secret_in_the_repository_that_the_allowlist_does_not_explain(record_metric):
    started = time.monotonic()
    findings = secret_scan.scan(_scanned_files(), ROOT)
    record_metric(
        "security-scan-ci", "detect-secrets repository: run time", round(time.monotonic() - started, 1), "s"
    )
    record_metric(
        "security-scan-ci", "detect-secrets repository: allowed findings", len(findings), "findings"
    )
    allowed = secret_scan.load_allowlist()
    bad = secret_scan.unexpected(findings, allowed)
    assert bad == [], (
        f"{len(bad)} potential secret(s) detect-secrets found that {secret_scan.ALLOWLIST.name} does not "
        "list with a reason (a real one: remove it and rotate it):\n" + "\n".join(bad)
    )
    assert secret_scan.stale(findings, allowed) == [], "allowlist entries that match no finding any more"


@pytest.mark.criterion("security-scan-ci", "secrets")
def test_detect_secrets_finds_a_key_and_a_password_and_the_allowlist_refuses_an_entry_without_a_reason(
    tmp_path,
):
    leak = tmp_path / "leak"
    leak.mkdir()
    # made at run time: a committed key would be a finding of the repository scan
    key = (
        "-----BEGIN "
        + "RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF0qJ\n-----END RSA PRIVATE KEY-----\n"
    )
    (leak / "id_rsa").write_text(key)
    (leak / "settings.py").write_text('DB_PASSWORD = "Zq8vT1kLw3xR9mNc"\n')
    found = {(f.path, f.type) for f in secret_scan.scan(sorted(leak.iterdir()), leak)}
    assert {("id_rsa", "Private Key"), ("settings.py", "Secret Keyword")} <= found, found
    assert secret_scan.unexpected(
        secret_scan.scan(sorted(leak.iterdir()), leak), secret_scan.load_allowlist()
    )
    no_reason = tmp_path / "allowlist.yaml"
    no_reason.write_text("allowed:\n  - findings: [{file: a, type: Secret Keyword, hashed_secret: x}]\n")
    with pytest.raises(ValueError, match="entry 1 has no reason"):
        secret_scan.load_allowlist(no_reason)
