"""Graceful shutdown: deleting web pods while requests are in flight loses no request
(preStop drain switch + sleep, SIGQUIT for FPM / drained Octane, grace period above both)."""

from __future__ import annotations

import time

import pytest

from fixtures.app import Load

pytestmark = [pytest.mark.k8s, pytest.mark.slow]


@pytest.mark.criterion("graceful-shutdown")
def test_deleting_web_pods_under_load_loses_no_request(ready_app, record_metric):
    pods = [p["metadata"]["name"] for p in ready_app.pods("web")]
    # slow requests (100 ms of CPU each, ~0.3 CPU in total: one pod alone can carry it) so some
    # are always in flight when a pod is told to stop
    with Load(ready_app, "/api/stress?ms=100", rps=3, max_requests=1_000, max_seconds=240, threads=3, timeout=30) as load:
        time.sleep(5)
        for pod in pods:
            ready_app.kubectl("delete", "pod", pod, "--wait=false")
            ready_app.wait_web_ready(timeout=180)
            remaining = {p["metadata"]["name"] for p in ready_app.pods("web")}
            assert pod not in remaining
        time.sleep(5)
    result = load.stop()
    print(result.summary())
    record_metric("graceful-shutdown", "requests while every web pod was replaced", result.requests, "requests")
    record_metric("graceful-shutdown", "failed requests", result.failed, "requests")
    assert result.requests >= 60, result.summary()
    assert result.connection_errors == 0, result.summary()
    assert result.server_errors == 0, result.summary()
