"""Horizontal autoscaling: bounded load on the stress endpoint scales the web tier out above
minReplicas; the time to the scale decision and to the new pods being Ready is recorded; after
the load stops the replicas return to minReplicas (the test shortens the calm-in window)."""

from __future__ import annotations

import time

import pytest

from fixtures.cluster import MERGE_PATCH
from fixtures.k8s_app import NAMESPACE, WEB
from fixtures.load import Load

pytestmark = [pytest.mark.k8s, pytest.mark.slow]

FAST_SCALE_DOWN = {
    "stabilizationWindowSeconds": 15,
    "selectPolicy": "Max",
    "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}],
}


@pytest.mark.criterion("hpa-scale-out")
@pytest.mark.criterion("hpa-reaction")
def test_load_on_the_stress_endpoint_scales_the_web_tier_out_and_back(ready_app, record_metric):
    # an HPA without metrics keeps its replicas: a broken pipeline is named, not timed out on
    ready_app.cluster.wait_metrics_api()
    hpa = ready_app.hpa()
    floor = hpa.spec.min_replicas
    original_scale_down = ready_app.cluster.plain(hpa.spec.behavior.scale_down)
    decision = ready = None
    # ~8 requests/s of 100 ms CPU each: about 4x the web tier's CPU requests; bounded in time and count
    stress = ready_app.url("/api/stress?ms=100")
    with Load(
        ready_app.http, stress, rps=8, max_requests=1_500, max_seconds=180, threads=4, timeout=30
    ) as load:
        while load.elapsed < 175:
            status = ready_app.hpa().status
            deployment = ready_app.deployment().status
            if decision is None and (status.desired_replicas or 0) > floor:
                decision = load.elapsed
            if decision is not None and (deployment.ready_replicas or 0) > floor:
                ready = load.elapsed
                break
            time.sleep(1)
    result = load.stop()
    print(f"scale decision after {decision}s, new pods Ready after {ready}s; {result.summary()}")
    print(ready_app.hpa().status)
    assert decision is not None, (
        f"no scale-out decision within {result.seconds:.0f}s of load: {result.summary()}"
    )
    record_metric("hpa-reaction", "load start to scale-out decision", round(decision, 1), "s")
    assert ready is not None, "the HPA decided to scale out but no new pod became Ready"
    record_metric("hpa-scale-out", "load start to new pods Ready", round(ready, 1), "s")
    assert result.server_errors == 0, result.summary()

    # calm-in, shortened for the test, restored afterwards
    autoscaling = ready_app.cluster.autoscaling

    def scale_down(behavior: dict) -> None:
        patch = {"spec": {"behavior": {"scaleDown": behavior}}}
        autoscaling.patch_namespaced_horizontal_pod_autoscaler(
            WEB, NAMESPACE, patch, _content_type=MERGE_PATCH
        )

    scale_down(FAST_SCALE_DOWN)
    try:
        started = time.monotonic()
        while ready_app.deployment().spec.replicas > floor:
            if time.monotonic() - started > 300:
                pytest.fail(
                    f"replicas did not return to {floor} within 300 s after the load stopped; "
                    f"{ready_app.cluster.metrics_pipeline()}",
                    pytrace=False,
                )
            time.sleep(3)
        record_metric(
            "hpa-scale-out",
            "load end to back at minReplicas (15 s window)",
            round(time.monotonic() - started, 1),
            "s",
        )
    finally:
        scale_down(original_scale_down)
