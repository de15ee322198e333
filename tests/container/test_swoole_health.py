"""/health and /ready under Octane: the Swoole workers from Server::stats() (idle/busy, connections,
tasking), and readiness that fails while no worker has been idle for longer than
OCTANE_READY_MAX_BUSY_SECONDS (every other worker stuck on one request), and recovers after."""

from __future__ import annotations

import concurrent.futures
import time

import pytest
import requests

from fixtures.web import wait_until

pytestmark = pytest.mark.container

BUSY_LIMIT_S = 1
HOLD_MS = 20_000  # a CPU-bound request that keeps the other worker busy this long (room for a loaded machine)


@pytest.mark.criterion("health-endpoints", "laravel-health-checks", variant="swoole")
def test_health_and_ready_report_the_swoole_workers_and_ready_fails_while_no_worker_is_idle(
    variant, web_factory
):
    if variant != "swoole":
        pytest.skip("Swoole worker stats exist under Octane only; FPM's pool is on /metrics (php_fpm_pool_*)")
    web = web_factory(
        env={
            "OCTANE_WORKERS": "2",
            "OCTANE_READY_MAX_BUSY_SECONDS": str(BUSY_LIMIT_S),
            "STRESS_MAX_MS": str(HOLD_MS),
        },
        cpus="2",
        memory="512m",
    )
    health = web.get("/health")
    assert health.status_code == 200, health.text
    workers = health.json()["workers"]
    assert {"workers", "idle", "busy", "connections", "tasking", "task_workers"} <= workers.keys(), workers
    assert workers["workers"] == 2, workers
    assert workers["connections"] >= 1, "the probe's own connection is open"
    ready = web.get("/ready")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"]["workers"]["ok"] is True, ready.json()

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        hold = pool.submit(
            requests.get,
            web.url(f"/api/stress?ms={HOLD_MS}"),
            headers={"Accept": "application/json"},
            timeout=60,
        )
        began = time.monotonic()
        seen: list[requests.Response] = []

        def workers_not_ready() -> bool:
            reply = web.get("/ready")
            seen.append(reply)
            return reply.status_code == 503 and reply.json()["checks"]["workers"]["ok"] is False

        wait_until(workers_not_ready, 5, "/ready to report 503 with every other worker busy")
        still_held = time.monotonic() - began < HOLD_MS / 1000
        failed = seen[-1]
        assert [c for c, v in failed.json()["checks"].items() if not v["ok"]] == ["workers"], failed.json()
        check = failed.json()["checks"]["workers"]
        assert check["ok"] is False, check
        assert "no idle worker" in check["error"], check
        assert check["detail"]["longest_busy_s"] > BUSY_LIMIT_S, check
        assert still_held, "the 503 came only after the held request should have ended"
        busy = web.get("/health")
        assert not hold.done(), (
            f"the held request ended before /health was asked: {hold.result().status_code}"
        )
        assert busy.status_code == 200, "liveness must not fail on busy workers"
        assert busy.json()["workers"]["busy"] == 2, busy.json()  # the held one and the one answering
        assert hold.result(timeout=60).status_code == 200
    wait_until(
        lambda: web.get("/ready").status_code == 200, 10, "/ready to recover once a worker is idle again"
    )
