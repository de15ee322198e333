"""Why the Swoole image's entrypoint stops Swoole in two steps (manager first, then the master):
SIGTERM sent straight to the Swoole master, as forwarding the stop signal to it would, ends the
master's event loop at once in process mode and drops the client connection of a request that its
worker still completes. The graceful path (`docker stop`, STOPSIGNAL through the entrypoint) is
proven by tests/container/test_lifecycle.py; this is its negative case."""

from __future__ import annotations

import concurrent.futures
import json
import time

import pytest
import requests

from fixtures.web import wait_until

pytestmark = pytest.mark.container

HOLD_MS = 4000
STATE_FILE = "/app/storage/logs/octane-server-state.json"


def access_statuses(container, route: str) -> list[int]:
    """Statuses of the app's access log lines (App\\Octane\\LogRequest) for a route."""
    out = []
    for line in container.logs().splitlines():  # "<timestamp> <json>"
        try:
            record = json.loads(line.split(" ", 1)[1])
        except (IndexError, ValueError):
            continue
        if record.get("message") == "request" and record.get("context", {}).get("route") == route:
            out.append(record["context"]["status"])
    return out


def in_flight(pool, web) -> concurrent.futures.Future:
    def get():
        try:
            return requests.get(
                web.url(f"/api/stress?ms={HOLD_MS}"), headers={"Accept": "application/json"}, timeout=30
            )
        except requests.RequestException as exc:
            return exc

    return pool.submit(get)


@pytest.mark.criterion("graceful-shutdown", variant="swoole")
def test_sigterm_straight_to_the_swoole_master_drops_the_request_its_worker_still_completes(
    variant, web_factory
):
    if variant != "swoole":
        pytest.skip("the Swoole master's shutdown; FPM's broken stops are in test_lifecycle.py")
    web = web_factory(env={"OCTANE_WORKERS": "2", "STRESS_MAX_MS": str(HOLD_MS)}, cpus="2", memory="512m")
    (container,) = web.containers.values()
    master = json.loads(container.testinfra.file(STATE_FILE).content_string)["masterProcessId"]
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        reply = in_flight(pool, web)
        # both workers busy: the held request and the one answering /health
        wait_until(lambda: web.get("/health").json()["workers"]["busy"] == 2, 10, "the held request to run")
        began = time.monotonic()
        container.exec("kill", "-TERM", str(master))
        outcome = reply.result(timeout=60)
        ended = time.monotonic() - began
    assert not isinstance(outcome, requests.Response) or outcome.status_code != 200, (
        "the request survived SIGTERM to the master: the entrypoint's manager-first stop would be unnecessary"
    )
    assert ended < HOLD_MS / 1000, f"the client connection ended {ended:.1f}s after the signal, not at once"
    # ... while its worker finished it: the access log line with 200 for the held request
    wait_until(
        lambda: 200 in access_statuses(container, "api/stress"),
        HOLD_MS / 1000 + 10,
        "the worker to log the held request as completed",
    )
