"""The PodDisruptionBudget keeps minAvailable web pods: an eviction that would go below it is refused."""

from __future__ import annotations

import pytest
from kubernetes import client

from fixtures.cluster import wait_until
from fixtures.k8s_app import NAMESPACE, WEB

pytestmark = [pytest.mark.k8s, pytest.mark.slow]


def _evict(app, pod: str) -> client.ApiException | None:
    """POST an Eviction for `pod`; the API's refusal, or None when it was accepted."""
    eviction = client.V1Eviction(metadata=client.V1ObjectMeta(name=pod, namespace=NAMESPACE))
    try:
        app.core.create_namespaced_pod_eviction(pod, NAMESPACE, eviction)
    except client.ApiException as refusal:
        return refusal
    return None


@pytest.mark.criterion("pdb")
def test_an_eviction_that_would_break_min_available_is_refused(ready_app):
    pods = [p.metadata.name for p in ready_app.pods("web")]
    min_available = ready_app.read("pdb", WEB).spec.min_available
    assert len(pods) > min_available, f"{len(pods)} Ready pods, minAvailable {min_available}"
    allowed = len(pods) - min_available
    wait_until(
        f"the PDB to allow {allowed} disruptions",
        60,
        lambda: (ready_app.read("pdb", WEB).status.disruptions_allowed or 0) >= allowed,
        detail=lambda: str(ready_app.read("pdb", WEB).status),
    )

    accepted = [_evict(ready_app, pod) for pod in pods[:allowed]]
    refused = _evict(ready_app, pods[allowed])
    try:
        for refusal in accepted:
            assert refusal is None, f"an eviction within the budget was refused: {refusal.body}"
        assert refused is not None, (
            f"evicting {pods[allowed]} below minAvailable={min_available} was accepted"
        )
        assert refused.status == 429, (refused.status, refused.body)
        assert "disruption budget" in refused.body, refused.body
        survivor = ready_app.read("pod", pods[allowed])
        assert survivor.metadata.deletion_timestamp is None, "the refused pod is being deleted anyway"
    finally:
        ready_app.wait_web_ready(timeout=180)
