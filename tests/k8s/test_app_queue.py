"""A job dispatched through the API (Ingress) is processed by the separate worker Deployment.
Dispatching needs a session: the test registers a user first (its session cookie and CSRF token
ride on every later request of the same requests.Session)."""

from __future__ import annotations

import time

import pytest

from tests.api_session import log_in_new_user

pytestmark = [pytest.mark.k8s, pytest.mark.slow]


@pytest.mark.criterion("queue-redis")
def test_a_job_dispatched_through_the_api_is_processed_by_a_worker_pod(ready_app):
    workers = {p.metadata.name for p in ready_app.pods("worker")}
    web = {p.metadata.name for p in ready_app.pods("web")}
    assert workers, "no Ready worker pod"
    with ready_app.http() as http:
        log_in_new_user(http, ready_app.url, "K8s Queue")
        created = http.post(
            ready_app.url("/api/jobs"),
            json={"numbers": [3, 4, 5]},
            headers={"Accept": "application/json"},
            timeout=15,
        )
        assert created.status_code == 202, created.text
        job_id = created.json()["data"]["id"]
        deadline = time.monotonic() + 60
        while True:
            run = http.get(
                ready_app.url(f"/api/jobs/{job_id}"), headers={"Accept": "application/json"}, timeout=10
            ).json()["data"]
            if run["status"] not in ("queued", "running", "retrying") or time.monotonic() > deadline:
                break
            time.sleep(1)
    assert run["status"] == "succeeded", run
    assert run["result"], run
    host = (run["worker"] or "").split(":")[0]  # hostname:pid of the process that ran it
    assert host in workers, f"processed by {run['worker']!r}, not one of the worker pods {sorted(workers)}"
    assert host not in web
