"""Every line the app, FPM, nginx and the queue worker write is one JSON object on stdout/stderr."""

from __future__ import annotations

import json
import uuid

import pytest
import requests

pytestmark = pytest.mark.container

REQUIRED = {"level", "message", "time"}


def lines_of(container) -> list[tuple[str, str]]:
    stdout, stderr = container.streams()
    return [("stdout", line) for line in stdout.splitlines()] + [
        ("stderr", line) for line in stderr.splitlines()
    ]


def access_log(variant: str, web) -> list[dict]:
    """One record per request: nginx's JSON access log (FPM), the app's `request` lines (Swoole,
    App\\Octane\\LogRequest: route, status, duration, worker id in its context)."""
    if variant == "fpm":
        return [
            r for r in (json.loads(line) for _, line in lines_of(web.containers["nginx"])) if "status" in r
        ]
    records = [json.loads(line) for _, line in lines_of(web.containers["swoole"])]
    return [
        r["context"] | {"request_id": r.get("request_id")} for r in records if r.get("message") == "request"
    ]


@pytest.mark.criterion("structured-logs", "logs-stdout")
def test_every_log_line_of_app_fpm_and_nginx_is_a_json_object_with_level_message_time_and_request_id(
    variant, web, fpm_app
):
    request_id = uuid.uuid4().hex
    # traffic that logs: a normal request, a 404, a validation error, a slow request
    assert web.get("/api/ping", headers={"X-Request-Id": request_id}).status_code == 200
    web.get("/no/such/route")
    requests.post(web.url("/api/tasks"), json={}, headers={"Accept": "application/json"}, timeout=15)
    web.get("/api/stress?ms=100")
    containers = {**web.containers, "worker": fpm_app.worker}
    seen_request_id = False
    for name, container in containers.items():
        lines = lines_of(container)
        # the queue worker logs the jobs it runs: in a session that queued none it has nothing to say
        assert lines or name == "worker", f"{name} wrote nothing"
        for stream, line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                pytest.fail(f"{name} {stream} line is not JSON: {line[:300]}", pytrace=False)
            assert isinstance(record, dict), line
            missing = REQUIRED - record.keys()
            assert not missing, f"{name} {stream}: missing {missing} in {line[:300]}"
            if record.get("request_id") == request_id:
                seen_request_id = True
    assert seen_request_id, "the caller's X-Request-Id was not logged"
    access = access_log(variant, web)
    assert any(r.get("status") == 404 for r in access), access
    assert all(r.get("request_id") for r in access), access
    assert [r["status"] for r in access if r["request_id"] == request_id] == [200], access
    if variant == "swoole":
        # the app's access log has what nginx's gives the FPM variant, plus the Swoole worker
        ping = next(r for r in access if r["request_id"] == request_id)
        assert ping["route"] == "api/ping", ping
        assert ping["duration_ms"] >= 0, ping
        assert isinstance(ping["worker_id"], int), ping
        assert {r["route"] for r in access} >= {"api/ping", "unmatched", "api/stress"}, access
