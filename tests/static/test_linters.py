"""Every static checker runs on the repository's files and rejects its broken sample.

A checker without files to check yet says so in its skip reason; its negative test still
proves the tool runs and fails on bad input.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.repo import ROOT, SAMPLES, files_matching, rel, repo_files, shell_scripts
from tests.static import checkers

pytestmark = pytest.mark.static


def _nonempty(paths: list[Path], what: str) -> list[Path]:
    if not paths:
        pytest.skip(f"no {what} in the repository yet")
    return paths


def _assert_ok(result: tuple[bool, str], what: str) -> None:
    ok, output = result
    assert ok, f"{what} failed:\n{output}"


def _assert_rejected(result: tuple[bool, str], *expected: str) -> None:
    ok, output = result
    assert not ok, "the checker accepted a deliberately broken sample"
    for needle in expected:
        assert needle in output, f"expected {needle!r} in the checker's output:\n{output}"


# --- YAML ---------------------------------------------------------------------------------------
def yaml_files() -> list[Path]:
    return files_matching(".yaml", ".yml", names=(".yamllint",))


@pytest.mark.criterion("k8s-app-running", "cicd-deploys")
def test_every_yaml_file_passes_yamllint():
    _assert_ok(checkers.yamllint(_nonempty(yaml_files(), "YAML files")), "yamllint")


@pytest.mark.criterion("k8s-app-running", "cicd-deploys")
def test_yamllint_rejects_a_broken_yaml_file():
    _assert_rejected(checkers.yamllint([SAMPLES / "bad.yaml"]), "duplication of key")


# --- shell ----------------------------------------------------------------------------------------
@pytest.mark.criterion("ci-build", "cd-deploy")
def test_every_shell_script_passes_shellcheck():
    _assert_ok(checkers.shellcheck(_nonempty(shell_scripts(), "shell scripts")), "shellcheck")


@pytest.mark.criterion("ci-build", "cd-deploy")
def test_shellcheck_rejects_a_broken_script():
    _assert_rejected(checkers.shellcheck([SAMPLES / "bad.sh"]), "SC2086", "SC2164")


@pytest.mark.criterion("ci-build", "cd-deploy")
def test_every_script_is_strict_and_executable():
    offenders = []
    for script in shell_scripts():
        if script.parent == ROOT / "scripts" / "lib":
            continue  # sourced libraries define functions only and inherit the caller's options
        text = script.read_text()
        if (
            script.suffix == ".sh"
            and "set -o errexit -o nounset -o pipefail" not in text
            and "set -eu" not in text
        ):
            offenders.append(f"{script.relative_to(ROOT)}: not strict")
        if not script.stat().st_mode & 0o111:
            offenders.append(f"{script.relative_to(ROOT)}: not executable")
    assert not offenders, "\n".join(offenders)


# --- Dockerfiles ----------------------------------------------------------------------------------
def dockerfiles() -> list[Path]:
    return [
        p
        for p in repo_files()
        if p.name == "Dockerfile" or p.name.startswith("Dockerfile.") or p.suffix == ".Dockerfile"
    ]


@pytest.mark.criterion("dockerfile-multistage")
def test_every_dockerfile_passes_hadolint():
    _assert_ok(checkers.hadolint(_nonempty(dockerfiles(), "Dockerfiles")), "hadolint")


@pytest.mark.criterion("dockerfile-multistage")
def test_hadolint_rejects_a_broken_dockerfile():
    _assert_rejected(checkers.hadolint([SAMPLES / "Dockerfile.bad"]), "DL3007", "DL3003")


# --- GitHub Actions -------------------------------------------------------------------------------
def workflows() -> list[Path]:
    return [
        p
        for p in repo_files()
        if p.parent == ROOT / ".github" / "workflows" and p.suffix in (".yml", ".yaml")
    ]


# what the workflows deliver: the criteria a workflow that fails its linter cannot meet
WORKFLOW_CRITERIA = (
    "cicd-deploys",
    "ci-build",
    "ci-unit-tests",
    "ci-integration-tests",
    "ci-performance-tests",
    "security-scan-ci",
)


@pytest.mark.criterion(*WORKFLOW_CRITERIA)
def test_every_workflow_passes_actionlint():
    _assert_ok(checkers.actionlint(_nonempty(workflows(), "workflows")), "actionlint")


@pytest.mark.criterion(*WORKFLOW_CRITERIA)
def test_actionlint_rejects_a_broken_workflow():
    _assert_rejected(checkers.actionlint([SAMPLES / "workflow" / "bad.yml"]), "timeout-minute")


# --- Kubernetes manifests -------------------------------------------------------------------------
def kustomizations() -> list[Path]:
    """Directories under k8s/ with a kustomization that is not a Component."""
    dirs = []
    for p in repo_files():
        if p.name == "kustomization.yaml" and (ROOT / "k8s") in p.parents:
            doc = yaml.safe_load(p.read_text()) or {}
            if doc.get("kind") != "Component":
                dirs.append(p.parent)
    return dirs


@pytest.mark.criterion("k8s-app-running", "cd-deploy")
def test_every_kustomization_builds_and_validates_against_the_pinned_kubernetes_schema():
    failures = []
    for directory in _nonempty(kustomizations(), "kustomizations under k8s/"):
        ok, out = checkers.kustomize_build(directory)
        if not ok:
            failures.append(f"{directory.relative_to(ROOT)}: kustomize build failed:\n{out}")
            continue
        ok, report = checkers.kube_validate(out)
        if not ok:
            failures.append(f"{directory.relative_to(ROOT)}: schema validation failed:\n{report}")
    assert not failures, "\n\n".join(failures)


@pytest.mark.criterion("k8s-app-running", "cd-deploy")
def test_kustomize_rejects_a_kustomization_with_a_missing_resource():
    _assert_rejected(checkers.kustomize_build(SAMPLES / "kustomize-unbuildable"), "does-not-exist.yaml")


@pytest.mark.criterion("k8s-app-running", "cd-deploy")
def test_schema_validation_rejects_an_invalid_deployment():
    ok, rendered = checkers.kustomize_build(SAMPLES / "kustomize-bad")
    assert ok, rendered
    _assert_rejected(checkers.kube_validate(rendered), "replicas")


# --- Prometheus rules -----------------------------------------------------------------------------
def rule_files() -> list[Path]:
    result = []
    for p in repo_files():
        if (ROOT / "monitoring") in p.parents and p.suffix in (".yml", ".yaml") and "tests" not in p.parts:
            doc = yaml.safe_load(p.read_text())
            if isinstance(doc, dict) and "groups" in doc:
                result.append(p)
    return result


def rule_tests() -> list[Path]:
    return [
        p for p in repo_files() if p.parent == ROOT / "monitoring" / "tests" and p.suffix in (".yml", ".yaml")
    ]


@pytest.mark.criterion("alerting")
def test_every_prometheus_rule_file_passes_promtool_check():
    _assert_ok(
        checkers.promtool_check_rules(_nonempty(rule_files(), "Prometheus rule files")),
        "promtool check rules",
    )


@pytest.mark.criterion("alerting")
def test_promtool_rejects_a_rule_with_a_broken_expression():
    _assert_rejected(checkers.promtool_check_rules([SAMPLES / "rules-bad.yml"]), "rules-bad.yml")


@pytest.mark.criterion("alerting")
def test_every_promtool_unit_test_passes():
    _assert_ok(
        checkers.promtool_test_rules(_nonempty(rule_tests(), "promtool unit tests")), "promtool test rules"
    )


@pytest.mark.criterion("alerting")
def test_promtool_test_rules_fails_when_an_expected_alert_does_not_fire():
    _assert_rejected(checkers.promtool_test_rules([SAMPLES / "rules-test" / "test.yml"]), "AlwaysQuiet")


# --- Terraform ------------------------------------------------------------------------------------
@pytest.mark.criterion("terraform-infra")
def test_terraform_is_formatted():
    tf = [p for p in repo_files() if p.suffix == ".tf"]
    _nonempty(tf, "Terraform files")
    _assert_ok(checkers.terraform_fmt(ROOT / "terraform"), "terraform fmt -check")


@pytest.mark.criterion("terraform-infra")
def test_terraform_fmt_rejects_unformatted_code():
    _assert_rejected(checkers.terraform_fmt(SAMPLES / "terraform"), "bad.tf")


# --- dashboards -----------------------------------------------------------------------------------
def dashboards() -> list[Path]:
    return [p for p in repo_files() if (ROOT / "monitoring" / "grafana") in p.parents and p.suffix == ".json"]


@pytest.mark.criterion("grafana-comparison-dashboard")
def test_every_dashboard_is_valid_json():
    _assert_ok(checkers.json_valid(_nonempty(dashboards(), "Grafana dashboards")), "JSON")


@pytest.mark.criterion("grafana-comparison-dashboard")
def test_json_check_rejects_a_broken_dashboard():
    _assert_rejected(checkers.json_valid([SAMPLES / "dashboard-bad.json"]), "dashboard-bad.json")


# --- the suite's own Python -----------------------------------------------------------------------
@pytest.mark.criterion("ci-unit-tests", "ci-integration-tests")
def test_the_python_suite_passes_ruff():
    _assert_ok(checkers.ruff([ROOT]), "ruff check")


@pytest.mark.criterion("ci-unit-tests", "ci-integration-tests")
def test_the_python_suite_is_laid_out_by_ruff_format():
    _assert_ok(checkers.ruff_format([ROOT]), "ruff format --check")


@pytest.mark.criterion("ci-unit-tests", "ci-integration-tests")
def test_ruff_format_rejects_python_laid_out_by_hand():
    _assert_rejected(checkers.ruff_format([SAMPLES / "unformatted_python.py"]), "would be reformatted")


@pytest.mark.criterion("ci-unit-tests", "ci-integration-tests")
def test_ruff_rejects_broken_python():
    _assert_rejected(checkers.ruff([SAMPLES / "bad_python.py"]), "F401", "F821")


@pytest.mark.criterion("ci-unit-tests")  # every linter above walks this file list
def test_repository_walk_sees_the_suite():
    assert "conftest.py" in rel(repo_files())
