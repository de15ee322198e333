"""GitOps (bonus): Argo CD Applications and a Flux Kustomization that point at overlays that build."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.repo import ROOT
from tests.static import checkers

pytestmark = pytest.mark.static

GITOPS = ROOT / "k8s" / "gitops"


def docs(pattern: str) -> list[dict]:
    return [yaml.safe_load(p.read_text()) for p in sorted(GITOPS.glob(pattern))]


def assert_overlay_builds(path: str) -> None:
    directory = ROOT / path.removeprefix("./")
    assert (directory / "kustomization.yaml").is_file(), f"{path} is not a kustomization"
    ok, out = checkers.kustomize_build(directory)
    assert ok, out
    assert "kind: Deployment" in out


@pytest.mark.criterion("gitops")
def test_argo_cd_applications_sync_the_fpm_and_swoole_overlays_of_this_repository_automatically():
    project = docs("argocd/*appproject.yaml")[0]
    apps = [d for d in docs("argocd/*application.yaml") if d["kind"] == "Application"]
    assert {a["spec"]["source"]["path"] for a in apps} == {"k8s/overlays/fpm", "k8s/overlays/swoole"}
    for app in apps:
        assert app["apiVersion"] == "argoproj.io/v1alpha1"
        spec = app["spec"]
        assert spec["project"] == project["metadata"]["name"]
        assert spec["source"]["repoURL"] in project["spec"]["sourceRepos"]
        assert spec["source"]["targetRevision"] == "main"
        assert {
            "server": spec["destination"]["server"],
            "namespace": spec["destination"]["namespace"],
        } in project["spec"]["destinations"]
        assert spec["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
        assert_overlay_builds(spec["source"]["path"])


@pytest.mark.criterion("gitops")
def test_the_flux_kustomization_reconciles_an_overlay_from_the_declared_git_source():
    sources = {d["metadata"]["name"]: d for d in docs("flux/*gitrepository.yaml")}
    for k in docs("flux/*kustomization.yaml"):
        assert k["apiVersion"] == "kustomize.toolkit.fluxcd.io/v1"
        assert k["spec"]["sourceRef"]["kind"] == "GitRepository"
        assert k["spec"]["sourceRef"]["name"] in sources
        assert k["spec"]["prune"] is True
        assert k["spec"]["wait"] is True
        assert_overlay_builds(k["spec"]["path"])


@pytest.mark.criterion("gitops")  # its negative: the check can fail
def test_an_application_pointing_at_a_missing_path_is_rejected(tmp_path: Path):
    with pytest.raises(AssertionError, match="not a kustomization"):
        assert_overlay_builds("k8s/no-such-overlay")
