"""APP_KEY rotation (docs/SECURITY.md, "Rotating APP_KEY"): Laravel 10 has no previous keys, so
new instances started with a new key against the same Redis and MariaDB (new pods with the new
Secret) refuse every session cookie encrypted with the old key: users are logged out, the app stays
up, and logging in again works. Another instance still on the old key accepts the old cookie, so it
is the key that decides, not the instance or the session store."""

from __future__ import annotations

import base64
import secrets

import pytest
import requests

from tests.api_session import JSON, PASSWORD, log_in_new_user

pytestmark = pytest.mark.container

UNAUTHENTICATED = {"message": "Unauthenticated."}


def new_app_key() -> str:
    """A key as `php artisan key:generate --show` prints it: base64 of 32 random bytes."""
    return "base64:" + base64.b64encode(secrets.token_bytes(32)).decode()


def browser_with(cookies: requests.cookies.RequestsCookieJar) -> requests.Session:
    """A client holding exactly these cookies (cookies are scoped by host, not port: every instance gets them)."""
    browser = requests.Session()
    browser.cookies.update(cookies)
    return browser


@pytest.mark.criterion("app-key-rotation", "secrets")
def test_a_new_app_key_logs_every_user_out_keeps_the_app_up_and_lets_them_log_in_again(web_factory):
    key_a, key_b = new_app_key(), new_app_key()
    old_pod = web_factory({"APP_KEY": key_a}, cpus="1", memory="512m", name="key-a")
    browser = requests.Session()
    user = log_in_new_user(browser, old_pod.url, "Rotation Tester")
    me = browser.get(old_pod.url("/api/auth/me"), headers=JSON, timeout=15)
    assert me.status_code == 200, me.text
    old_cookies = browser.cookies.copy()

    # the rotation: an instance with the new key, same Redis and MariaDB
    new_pod = web_factory({"APP_KEY": key_b}, cpus="1", memory="512m", name="key-b")
    ready = requests.get(new_pod.url("/ready"), headers=JSON, timeout=15)
    assert ready.status_code == 200, ready.text

    stale_me = browser.get(new_pod.url("/api/auth/me"), headers=JSON, timeout=15)
    stale_write = browser.post(
        new_pod.url("/api/tasks"), json={"title": "after rotation"}, headers=JSON, timeout=15
    )
    for reply in (stale_me, stale_write):
        assert reply.status_code == 401, (
            f"{reply.request.method} {reply.url}: {reply.status_code} {reply.text[:300]}"
        )
        assert reply.headers["Content-Type"].startswith("application/json"), reply.headers
        assert reply.json() == UNAUTHENTICATED

    # the same browser (still holding the old cookies) logs in again: the account is unchanged
    login = browser.post(
        new_pod.url("/api/auth/login"),
        json={"email": user["email"], "password": PASSWORD},
        headers=JSON,
        timeout=15,
    )
    assert login.status_code == 200, login.text
    browser.headers["X-CSRF-TOKEN"] = login.json()["meta"]["csrf_token"]
    task = browser.post(new_pod.url("/api/tasks"), json={"title": "after rotation"}, headers=JSON, timeout=15)
    assert task.status_code == 201, task.text
    assert task.json()["data"]["user_id"] == user["id"]
    new_cookies = browser.cookies.copy()

    # the key decides: a second instance with the old key takes the old cookie, refuses the new one
    another_old_pod = web_factory({"APP_KEY": key_a}, cpus="1", memory="512m", name="key-a2")
    old_session = browser_with(old_cookies).get(another_old_pod.url("/api/auth/me"), headers=JSON, timeout=15)
    assert old_session.status_code == 200, old_session.text
    assert old_session.json()["data"]["email"] == user["email"]
    new_session = browser_with(new_cookies).get(another_old_pod.url("/api/auth/me"), headers=JSON, timeout=15)
    assert new_session.status_code == 401, new_session.text
    assert new_session.json() == UNAUTHENTICATED
