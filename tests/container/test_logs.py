"""Every line the app, FPM, nginx and the queue worker write is one JSON object on stdout/stderr."""

from __future__ import annotations

import json
import uuid

import pytest
import requests

from fixtures.php_app import docker

pytestmark = pytest.mark.container

REQUIRED = {"level", "message", "time"}


def lines_of(container) -> list[tuple[str, str]]:
    proc = docker("logs", container.name, check=False)
    return [("stdout", line) for line in proc.stdout.splitlines()] + [("stderr", line) for line in proc.stderr.splitlines()]


@pytest.mark.criterion("structured-logs", "logs-stdout")
def test_every_log_line_of_app_fpm_and_nginx_is_a_json_object_with_level_message_time_and_request_id(web, fpm_app):
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
        assert lines, f"{name} wrote nothing"
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
    nginx_lines = [json.loads(line) for _, line in lines_of(web.containers["nginx"])]
    assert any(r.get("status") == 404 for r in nginx_lines)
    assert all(r.get("request_id") for r in nginx_lines if "status" in r)
