"""Graceful shutdown: requests in flight when the container is stopped finish with 200."""

from __future__ import annotations

import concurrent.futures
import time

import pytest
import requests

pytestmark = pytest.mark.container

SLOW = "/api/stress?ms=500"  # CPU-bound, the longest the stress endpoint allows by default


@pytest.mark.criterion("graceful-shutdown")
def test_requests_in_flight_when_the_container_stops_all_complete_and_new_ones_are_refused(variant, web_factory):
    # two idle FPM children, two slow requests: both are inside PHP when the stop signal arrives.
    # (A request still in FPM's listen queue at SIGQUIT is reset: in Kubernetes the preStop drain
    # keeps new requests away first, see the k8s graceful-shutdown test.)
    web = web_factory(env={"PHP_FPM_PM": "static", "PHP_FPM_PM_MAX_CHILDREN": "2"}, cpus="1", memory="512m")
    assert web.get("/health").status_code == 200
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        in_flight = [pool.submit(requests.get, web.url(SLOW), headers={"Accept": "application/json"}, timeout=30)
                     for _ in range(2)]
        time.sleep(0.25)
        stopper = pool.submit(web.stop, 30)  # SIGQUIT to FPM and nginx (their STOPSIGNAL)
        responses = [f.result(timeout=60) for f in in_flight]
        stopper.result(timeout=90)
    assert [r.status_code for r in responses] == [200, 200], [r.text[:200] for r in responses]
    for c in web.containers.values():
        state = c.health()
        assert state.startswith("exited"), state
    with pytest.raises(requests.ConnectionError):
        requests.get(web.url("/health"), timeout=5)
