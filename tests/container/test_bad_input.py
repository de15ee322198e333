"""Bad input through the real front door (nginx or Octane) gets a clear JSON error, never a 500."""

from __future__ import annotations

import pytest
import requests

pytestmark = pytest.mark.container

JSON = {"Accept": "application/json", "Content-Type": "application/json"}


@pytest.mark.criterion("api-crud")
def test_oversize_malformed_unknown_and_wrong_method_requests_get_json_errors(web):
    cases = [
        ("POST", "/api/tasks", "x" * (2 * 1024 * 1024), 413),  # above the 1 MiB body limit
        ("POST", "/api/tasks", '{"title": ', 400),
        ("GET", "/api/no-such-thing", None, 404),
        ("DELETE", "/api/ping", None, 405),
        ("GET", "/api/tasks/999999999", None, 401),  # a guest: the task routes need a session (docs/APP.md)
    ]
    for method, path, body, expected in cases:
        response = requests.request(method, web.url(path), data=body, headers=JSON, timeout=15)
        assert response.status_code == expected, (
            f"{method} {path}: {response.status_code} {response.text[:200]}"
        )
        assert response.headers["Content-Type"].startswith("application/json"), f"{method} {path}"
        assert "message" in response.json(), f"{method} {path}: {response.text[:200]}"
        assert response.headers.get("X-Request-Id"), f"{method} {path}: no request id"
