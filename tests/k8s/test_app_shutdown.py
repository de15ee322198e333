"""Graceful shutdown: deleting web pods while requests are in flight loses no request
(preStop drain switch + sleep, SIGQUIT for FPM / drained Octane, grace period above both)."""

from __future__ import annotations

import time

import pytest

from fixtures.app import Load

pytestmark = [pytest.mark.k8s, pytest.mark.slow]


def _wait_replaced(app, deleted: str, count: int, timeout: float = 180) -> None:
    """Until `count` Ready web pods that are not being deleted exist and `deleted` is not one of
    them (the Deployment's status lags behind a pod deletion, so it is not asked)."""
    deadline = time.monotonic() + timeout
    while True:
        ready = {p["metadata"]["name"] for p in app.pods("web")}  # Ready and not terminating
        if deleted not in ready and len(ready) >= count:
            return
        assert time.monotonic() < deadline, f"{deleted} not replaced by a Ready pod within {timeout:.0f}s: {ready}"
        time.sleep(1)


@pytest.mark.criterion("graceful-shutdown")
def test_deleting_web_pods_under_load_loses_no_request(ready_app, record_metric):
    pods = [p["metadata"]["name"] for p in ready_app.pods("web")]
    # slow requests (100 ms of CPU each, ~0.3 CPU in total: one pod alone can carry it) so some
    # are always in flight when a pod is told to stop
    with Load(ready_app, "/api/stress?ms=100", rps=3, max_requests=1_000, max_seconds=240, threads=3, timeout=30) as load:
        time.sleep(5)
        for pod in pods:
            ready_app.kubectl("delete", "pod", pod, "--wait=false")
            _wait_replaced(ready_app, pod, len(pods))
        # keep the load on until every deleted pod has finished its drain and stopped
        deadline = time.monotonic() + 90
        while {p["metadata"]["name"] for p in ready_app.pods("web", ready_only=False)} & set(pods):
            assert time.monotonic() < deadline, "deleted pods still exist after 90 s"
            time.sleep(1)
        time.sleep(2)
    result = load.stop()
    print(result.summary())
    record_metric("graceful-shutdown", "requests while every web pod was replaced", result.requests, "requests")
    record_metric("graceful-shutdown", "failed requests", result.failed, "requests")
    assert result.requests >= 60, result.summary()
    assert result.connection_errors == 0, result.summary()
    assert result.server_errors == 0, result.summary()
