"""Stateless sessions: two instances sharing Redis behave as one for a logged-in user (its writes
carry the session's CSRF token, tests/api_session.py)."""

from __future__ import annotations

import re

import pytest
import requests

from tests.api_session import log_in_new_user

pytestmark = pytest.mark.container

JSON = {"Accept": "application/json"}


def as_user(session: requests.Session, web, method: str, path: str, **kwargs) -> requests.Response:
    """Send the request to `web` with the session's cookies (cookie jars are per host:port, so copy them)."""
    return session.request(method, web.url(path), headers=JSON, timeout=15, **kwargs)


def logged_in_sessions(redis) -> set[str]:
    """User ids of the logged-in session payloads stored in Redis (every key of every database)."""
    script = (
        "for db in $(seq 0 15); do for k in $(redis-cli -n $db --scan); do "
        'redis-cli -n $db --raw get "$k" 2>/dev/null; echo; done; done'
    )
    dump = redis.exec("sh", "-c", script, timeout=60).stdout
    return set(re.findall(r'login_web_[0-9a-f]+\\?";i:(\d+);', dump))


@pytest.mark.criterion("redis-sessions", "sessions-solved", "auth-redis-sessions")
def test_a_session_created_on_one_instance_is_valid_on_another_and_logout_ends_it_on_both(
    web_factory, redis_server
):
    first = web_factory(cpus="1", memory="512m", name="a")
    second = web_factory(cpus="1", memory="512m", name="b")
    browser = requests.Session()

    email = log_in_new_user(browser, first.url, "Replica Tester")["email"]
    cookie_names = set(browser.cookies.keys())
    assert cookie_names, "no session cookie was set"
    # the same cookie, presented to the other instance (cookies are scoped by host, not port)
    me = as_user(browser, second, "GET", "/api/auth/me")
    assert me.status_code == 200, me.text
    assert me.json()["data"]["email"] == email
    user_id = str(me.json()["data"]["id"])

    assert user_id in logged_in_sessions(redis_server), "the session is not stored in Redis"

    out = as_user(browser, second, "POST", "/api/auth/logout", json={})
    assert out.status_code == 200, out.text
    for web in (first, second):
        after = as_user(browser, web, "GET", "/api/auth/me")
        assert after.status_code == 401, f"{web.port}: {after.status_code} {after.text}"
    assert user_id not in logged_in_sessions(redis_server), "logout left the session in Redis"


@pytest.mark.criterion("auth-redis-sessions")
def test_a_wrong_password_is_refused_without_creating_a_session(web):
    browser = requests.Session()
    email = log_in_new_user(browser, web.url, "Someone")["email"]
    assert as_user(browser, web, "POST", "/api/auth/logout", json={}).status_code == 200
    stranger = requests.Session()
    bad = as_user(
        stranger, web, "POST", "/api/auth/login", json={"email": email, "password": "wrong password!"}
    )
    assert bad.status_code in (401, 422), bad.text
    assert as_user(stranger, web, "GET", "/api/auth/me").status_code == 401
