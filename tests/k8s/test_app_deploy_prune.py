"""A deploy prunes: an object that an earlier scripts/deploy.sh applied and the manifests no
longer have is deleted by the next deploy, so a reused cluster converges on the manifests.
What a deploy did not apply stays: objects without its label (the comparison overlay's, applied
with `kubectl apply -k`), earlier generations of the hashed config (`rollout undo` needs them),
the TLS secrets and the migrations Job."""

from __future__ import annotations

import json
import uuid

import pytest

from fixtures.k8s_app import VERSION, WEB

pytestmark = [pytest.mark.k8s, pytest.mark.slow]

PART_OF = {"app.kubernetes.io/part-of": "laravel-k8s-showcase"}
# what scripts/deploy.sh puts on every object it prunes
DEPLOYED = {**PART_OF, "app.kubernetes.io/managed-by": "deploy.sh"}


def _config_map(name: str, labels: dict[str, str]) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": labels},
            "data": {"note": "created by tests/k8s/test_app_deploy_prune.py"}}  # fmt: skip


def _service(name: str, labels: dict[str, str]) -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "labels": labels},
            "spec": {"selector": {"app.kubernetes.io/name": name}, "ports": [{"name": "http", "port": 80}]}}  # fmt: skip


@pytest.mark.criterion("cd-deploy")
def test_a_deploy_deletes_what_an_earlier_deploy_applied_and_the_manifests_no_longer_have(ready_app):
    run = uuid.uuid4().hex[:6]
    # as an earlier deploy left them (kubectl apply: last-applied annotation, deploy.sh's labels)
    removed = [
        (
            "configmap",
            _config_map(f"removed-config-{run}", {**DEPLOYED, "app.kubernetes.io/component": "removed"}),
        ),
        ("service", _service(f"removed-web-{run}", {**DEPLOYED, "app.kubernetes.io/component": "web"})),
    ]
    # not a deploy's to delete: the comparison overlay's kind of object, and an older config generation
    kept = [
        ("service", _service(f"comparison-like-{run}", {**PART_OF, "app.kubernetes.io/component": "web"})),
        (
            "configmap",
            _config_map(f"laravel-config-old{run}", {**PART_OF, "app.kubernetes.io/component": "config"}),
        ),
    ]
    objects = removed + kept
    for _, obj in objects:
        ready_app.kubectl("apply", "-f", "-", input=json.dumps(obj))
    try:
        assert all(ready_app.exists(kind, obj["metadata"]["name"]) for kind, obj in objects)
        proc = ready_app.deploy(VERSION)
        assert proc.returncode == 0, (
            f"scripts/deploy.sh {VERSION} failed ({proc.returncode}):\n{proc.stderr[-3000:]}"
        )

        survivors = [
            obj["metadata"]["name"]
            for kind, obj in removed
            if ready_app.exists(kind, obj["metadata"]["name"])
        ]
        assert not survivors, (
            f"objects removed from the manifests survived the deploy: {survivors}\n{proc.stderr[-2000:]}"
        )
        for kind, obj in removed:
            assert f"{kind}/{obj['metadata']['name']} pruned" in proc.stderr, proc.stderr[-2000:]
        deleted = [
            obj["metadata"]["name"]
            for kind, obj in kept
            if not ready_app.exists(kind, obj["metadata"]["name"])
        ]
        assert not deleted, f"the deploy pruned objects it never applied: {deleted}"
        # what the running app needs is still there
        for kind, name in (("secret", "laravel-tls"), ("job", "laravel-migrate"), ("deployment", WEB),
                           ("ingress", WEB), ("hpa", WEB), ("pdb", WEB), ("networkpolicy", "default-deny")):  # fmt: skip
            assert ready_app.exists(kind, name), f"{kind}/{name} is gone after the deploy"
        ready_app.wait_web_ready()
    finally:
        for kind, obj in objects:
            ready_app.delete(kind, obj["metadata"]["name"])
