"""A logged-in API client, for the tiers that talk HTTP to the app (container, k8s).

The task and job routes need a session and, for writes, the session's CSRF token (docs/APP.md,
"Access matrix"). `log_in_new_user` registers a fresh user through the API; the requests.Session
then carries the session cookie (its jar) and the token (`X-CSRF-TOKEN`, from the register
response's `meta.csrf_token`) on every later request.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import requests

JSON = {"Accept": "application/json"}
PASSWORD = "correct horse battery"


def log_in_new_user(http: requests.Session, url: Callable[[str], str], name: str = "API Tester") -> dict:
    """Register a fresh user with `http` (logged in by the registration); return its `data`."""
    email = f"{name.lower().replace(' ', '-')}-{uuid.uuid4().hex[:12]}@example.test"
    reply = http.post(
        url("/api/auth/register"),
        json={"name": name, "email": email, "password": PASSWORD},
        headers=JSON,
        timeout=15,
    )
    assert reply.status_code == 201, f"register {email}: {reply.status_code} {reply.text[:300]}"
    http.headers["X-CSRF-TOKEN"] = reply.json()["meta"]["csrf_token"]
    return reply.json()["data"] | {"password": PASSWORD}


def set_cookies(reply: requests.Response) -> dict[str, str]:
    """The Set-Cookie lines of `reply` by cookie name, each lower-cased (`...; secure; samesite=lax`)."""
    return {c.split("=", 1)[0]: c.lower() for c in reply.raw.headers.getlist("Set-Cookie")}


def cookie_attributes(line: str) -> set[str]:
    """The attributes of one Set-Cookie line from set_cookies: {'secure', 'samesite=lax', 'path=/', ...}."""
    return {a.strip() for a in line.split(";")[1:]}
