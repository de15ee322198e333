"""The app served by the real FPM image (laravel-k8s-showcase/fpm) with a separate queue:work
container (laravel-k8s-showcase/worker), real Redis and MariaDB.

HTTP path used here, for this tier only: FastCGI requests straight into the FPM pool with
Debian's `cgi-fcgi` (docker exec into the fpm container). The lead's nginx image is the HTTP
front in the container tier; these tests need the pool, not nginx.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
import uuid

import pytest

from plugins.capabilities import require_tool

pytestmark = pytest.mark.app


def _series(text: str) -> dict[str, float]:
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            values[key] = float(value)
    return values


@pytest.mark.criterion("custom-prometheus-metrics", "php-laravel-metrics")
def test_promtool_accepts_a_real_metrics_scrape_from_the_fpm_pool(fpm_app):
    user = _logged_in(fpm_app)
    for uri in ("/api/ping", "/api/ping", "/api/tasks", "/api/tasks/999999", "/nope"):
        fpm_app.request("GET", uri, headers=user)

    status, headers, body = fpm_app.request("GET", "/metrics")

    assert status == 200
    assert headers["content-type"].startswith("text/plain; version=0.0.4")
    with tempfile.NamedTemporaryFile("w", suffix=".prom") as fh:
        fh.write(body)
        fh.flush()
        with open(fh.name) as stdin:
            check = subprocess.run(
                [require_tool("promtool"), "check", "metrics"],
                stdin=stdin,
                capture_output=True,
                text=True,
                timeout=30,
            )
    assert check.returncode == 0, f"promtool check metrics:\n{check.stdout}{check.stderr}"
    values = _series(body)
    assert values['http_requests_total{method="GET",route="api/ping",status="200"}'] >= 2
    assert values['http_requests_total{method="GET",route="api/tasks/{task}",status="404"}'] >= 1
    assert values['http_requests_total{method="GET",route="unmatched",status="404"}'] >= 1
    # OPcache and the pool as the serving FPM SAPI sees them (not the CLI)
    assert values["opcache_enabled"] == 1
    assert values["opcache_statistics_num_cached_scripts"] > 100
    assert 0 < values["opcache_statistics_hit_rate"] <= 1
    assert values["opcache_memory_usage_used_memory"] > 0
    assert values['php_fpm_pool_processes_max{pool="www"}'] >= 2
    pool = {k: values[f'php_fpm_pool_processes_{k}{{pool="www"}}'] for k in ("total", "active", "idle")}
    assert pool["total"] >= 1
    assert (
        pool["active"] + pool["idle"] == pool["total"]
    )  # FPM's scoreboard (the master updates it each second)
    assert values['php_fpm_pool_accepted_connections_total{pool="www"}'] >= 6
    version = fpm_app.fpm.image.rsplit(":", 1)[1]
    assert values[f'app_info{{runtime="fpm",version="{version}"}}'] == 1


def _logged_in(fpm_app) -> dict[str, str]:
    """Headers of a freshly registered user's requests: its session cookie and its CSRF token."""
    email = f"fpm-{uuid.uuid4().hex[:12]}@example.test"
    status, headers, body = fpm_app.request(
        "POST",
        "/api/auth/register",
        {"name": "FPM Tester", "email": email, "password": "correct horse battery"},
    )
    assert status == 201, body
    cookies = [line.split(";", 1)[0] for line in headers.get("set-cookie", "").splitlines()]
    session = [c for c in cookies if c.startswith("lks_session=")]
    assert session, f"no session cookie in {headers.get('set-cookie')!r}"
    return {"Cookie": session[0], "X-CSRF-TOKEN": json.loads(body)["meta"]["csrf_token"]}


def _wait_for_job(fpm_app, job_id: str, final: set[str], deadline_s: float, user: dict[str, str]) -> dict:
    end = time.monotonic() + deadline_s
    data: dict = {}
    while time.monotonic() < end:
        status, _, body = fpm_app.request("GET", f"/api/jobs/{job_id}", headers=user)
        assert status == 200, body
        data = json.loads(body)["data"]
        if data["status"] in final:
            return data
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} still {data.get('status')} after {deadline_s} s")


@pytest.mark.criterion("queue-redis")
def test_a_job_dispatched_through_the_api_is_processed_by_the_separate_queue_worker(fpm_app):
    user = _logged_in(fpm_app)
    status, _, body = fpm_app.request("POST", "/api/jobs", {"numbers": [2, 3, 5]}, headers=user)
    assert status == 202, body
    job_id = json.loads(body)["data"]["id"]

    data = _wait_for_job(fpm_app, job_id, {"succeeded", "failed"}, 30, user)

    assert data["status"] == "succeeded"
    assert data["result"] == {"count": 3, "sum": 10, "mean": 10 / 3}
    worker_host = fpm_app.worker.testinfra.check_output("hostname")
    fpm_host = fpm_app.fpm.testinfra.check_output("hostname")
    assert data["worker"].split(":")[0] == worker_host != fpm_host, "run by the worker container, not by FPM"


@pytest.mark.criterion("queue-redis")
def test_a_job_that_keeps_failing_is_retried_with_backoff_then_recorded_as_failed(fpm_app):
    user = _logged_in(fpm_app)
    status, _, body = fpm_app.request(
        "POST", "/api/jobs", {"numbers": [1], "fail_attempts": 10}, headers=user
    )
    assert status == 202, body
    job_id = json.loads(body)["data"]["id"]

    data = _wait_for_job(fpm_app, job_id, {"failed", "succeeded"}, 45, user)

    assert data["status"] == "failed"
    assert data["attempts"] == 3
    _, _, metrics = fpm_app.request("GET", "/metrics")
    assert (
        _series(metrics)[
            'laravel_queue_jobs_failed_total{job="App\\\\Jobs\\\\GenerateReport",queue="default"}'
        ]
        >= 1
    )
    count = fpm_app.worker.exec("php", "artisan", "queue:failed").stdout
    assert job_id in count or "GenerateReport" in count
