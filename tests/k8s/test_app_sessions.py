"""Sessions live in Redis: a login served by one web pod is valid on another, and a logout on
one pod ends the session everywhere. Each request is sent to a named pod (php inside that pod
calls its own listener), so which replica served it is a fact, not luck of the balancer."""

from __future__ import annotations

import ipaddress
import json
import uuid

import pytest

from tests.api_session import cookie_attributes, log_in_new_user, set_cookies
from tests.static.k8s_rules import pod_subnet

pytestmark = [pytest.mark.k8s, pytest.mark.slow]

JSON = {"Content-Type": "application/json", "Accept": "application/json"}


def _cookie_header(jar: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def _redis_keys(app) -> int:
    pod = app.pods("redis")[0].metadata.name
    out = app.kubectl("exec", pod, "-c", "redis", "--", "redis-cli", "--no-auth-warning", "dbsize")
    return sum(int(x) for x in out.split() if x.isdigit())


@pytest.mark.criterion("redis-sessions")
@pytest.mark.criterion("auth-redis-sessions")
@pytest.mark.criterion("sessions-solved")
def test_a_login_on_one_pod_is_valid_on_another_and_a_logout_ends_it_everywhere(ready_app):
    pods = [p.metadata.name for p in ready_app.pods("web")]
    assert len(pods) >= 2, f"need two web pods, have {pods}"
    first, second = pods[0], pods[1]
    email = f"k8s-{uuid.uuid4().hex[:12]}@example.test"
    keys_before = _redis_keys(ready_app)

    registered = ready_app.pod_request(
        first,
        "POST",
        "/api/auth/register",
        JSON,
        json.dumps({"name": "K8s Session", "email": email, "password": "correct-horse-battery"}),
    )
    assert registered.status == 201, registered.body
    jar = registered.cookies()
    assert jar, f"no session cookie from {first}: {registered.headers}"
    assert _redis_keys(ready_app) > keys_before, "the login stored no key in Redis"

    me_elsewhere = ready_app.pod_request(
        second, "GET", "/api/auth/me", {**JSON, "Cookie": _cookie_header(jar)}
    )
    assert me_elsewhere.status == 200, f"session from {first} not valid on {second}: {me_elsewhere.body}"
    assert me_elsewhere.json()["data"]["email"] == email

    # a write with the session cookie carries the session's CSRF token (docs/APP.md, "Access matrix")
    csrf = registered.json()["meta"]["csrf_token"]
    logout = ready_app.pod_request(
        second, "POST", "/api/auth/logout", {**JSON, "Cookie": _cookie_header(jar), "X-CSRF-TOKEN": csrf}
    )
    assert logout.status == 200, logout.body
    me_after = ready_app.pod_request(first, "GET", "/api/auth/me", {**JSON, "Cookie": _cookie_header(jar)})
    assert me_after.status == 401, (
        f"logout on {second} did not end the session on {first}: {me_after.status} {me_after.body}"
    )


@pytest.mark.criterion("auth-redis-sessions")
def test_a_wrong_password_is_refused_on_every_pod(ready_app):
    for pod in [p.metadata.name for p in ready_app.pods("web")][:2]:
        reply = ready_app.pod_request(
            pod,
            "POST",
            "/api/auth/login",
            JSON,
            json.dumps({"email": "nobody@example.test", "password": "wrong-password"}),
        )
        assert reply.status in (401, 422), f"{pod}: {reply.status} {reply.body}"


@pytest.mark.criterion("auth-redis-sessions")
@pytest.mark.criterion("ingress-tls")
def test_a_login_through_the_tls_ingress_sets_secure_samesite_lax_session_cookies(ready_app):
    with ready_app.http() as http:
        user = log_in_new_user(http, ready_app.url, "K8s Cookie")
    with ready_app.http() as browser:  # a fresh browser: no cookie yet
        login = browser.post(
            ready_app.url("/api/auth/login"),
            json={"email": user["email"], "password": user["password"]},
            headers=JSON,
            timeout=15,
        )
    assert login.status_code == 200, f"login through the Ingress: {login.status_code} {login.text[:300]}"
    cookies = set_cookies(login)
    assert set(cookies) >= {"lks_session", "XSRF-TOKEN"}, cookies
    for name, line in cookies.items():
        attributes = cookie_attributes(line)
        # SESSION_SECURE_COOKIE / SESSION_SAME_SITE of k8s/base/app-config.env
        assert "secure" in attributes, f"{name} is not Secure behind the TLS Ingress: {line}"
        assert "samesite=lax" in attributes, f"{name} is not SameSite=Lax: {line}"
    assert "httponly" in cookie_attributes(cookies["lks_session"]), cookies["lks_session"]


@pytest.mark.criterion("auth-redis-sessions")
def test_the_login_throttle_behind_the_ingress_counts_the_client_not_the_traefik_pod(ready_app):
    """TRUSTED_PROXIES (k8s/base/app-config.env) is the pod network: the app believes Traefik's
    X-Forwarded-For, so a failed login is counted for the client's address. Without it every
    client behind one Traefik pod would share the throttle of that pod's address."""
    email = f"k8s-throttle-{uuid.uuid4().hex[:12]}@example.test"
    with ready_app.http() as http:
        failed = http.post(
            ready_app.url("/api/auth/login"),
            json={"email": email, "password": "wrong-password"},
            headers=JSON,
            timeout=15,
        )
    assert failed.status_code == 401, f"{failed.status_code} {failed.text[:200]}"
    redis = ready_app.pods("redis")[0].metadata.name
    # the login throttle's cache key (AuthController: login:<email>|<client address>; REDIS_CACHE_DB=1)
    keys = ready_app.kubectl(
        "exec",
        redis,
        "-c",
        "redis",
        "--",
        "redis-cli",
        "--no-auth-warning",
        "-n",
        "1",
        "--scan",
        "--pattern",
        f"*login:{email}|*",
    ).split()
    counted = {k.split("|", 1)[1] for k in keys if not k.endswith(":timer")}
    assert len(counted) == 1, f"no single throttle key for {email}: {keys}"
    client = ipaddress.ip_address(counted.pop())
    traefik = {p.status.pod_ip for p in ready_app.cluster.core.list_namespaced_pod("traefik").items}
    assert str(client) not in traefik, (
        f"the failed login counted for the Traefik pod {client}, not the client"
    )
    assert client not in pod_subnet(), f"the failed login counted for the in-cluster peer {client}"
