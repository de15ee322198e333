"""The PodDisruptionBudget keeps minAvailable web pods: an eviction that would go below it is refused."""

from __future__ import annotations

import json
import time

import pytest

from fixtures.k8s_app import WEB

pytestmark = [pytest.mark.k8s, pytest.mark.slow]


def _evict(app, pod: str):
    body = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": pod, "namespace": "laravel"}}
    return app.kubectl_proc(
        "create",
        "--raw",
        f"/api/v1/namespaces/laravel/pods/{pod}/eviction",
        "-f",
        "-",
        input=json.dumps(body),
    )


@pytest.mark.criterion("pdb")
def test_an_eviction_that_would_break_min_available_is_refused(ready_app):
    pods = [p["metadata"]["name"] for p in ready_app.pods("web")]
    pdb = ready_app.get("pdb", WEB)
    min_available = pdb["spec"]["minAvailable"]
    assert len(pods) > min_available, f"{len(pods)} Ready pods, minAvailable {min_available}"
    deadline = time.monotonic() + 60
    while ready_app.get("pdb", WEB)["status"].get("disruptionsAllowed", 0) < len(pods) - min_available:
        assert time.monotonic() < deadline, ready_app.get("pdb", WEB)["status"]
        time.sleep(2)

    allowed = len(pods) - min_available
    accepted = [_evict(ready_app, pod) for pod in pods[:allowed]]
    refused = _evict(ready_app, pods[allowed])
    try:
        for proc in accepted:
            assert proc.returncode == 0, f"an eviction within the budget was refused: {proc.stderr}"
        assert refused.returncode != 0, (
            f"evicting {pods[allowed]} below minAvailable={min_available} was accepted"
        )
        assert "disruption budget" in refused.stderr, refused.stderr
        survivor = ready_app.get("pod", pods[allowed])
        assert survivor["metadata"].get("deletionTimestamp") is None, (
            "the refused pod is being deleted anyway"
        )
    finally:
        ready_app.wait_web_ready(timeout=180)
