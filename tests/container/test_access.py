"""Who may do what, through the real front door (nginx + FPM, or Octane) with real sessions in
Redis: the access matrix of docs/APP.md, called by a guest, by the owner and by another user."""

from __future__ import annotations

import uuid
from urllib.parse import unquote

import pytest
import requests

from tests.api_session import JSON, cookie_attributes, log_in_new_user, set_cookies
from tests.container.test_runtime_config import fpm_only
from tests.container.test_sessions import logged_in_sessions

pytestmark = pytest.mark.container

UNAUTHENTICATED = {"message": "Unauthenticated."}

# method, path, body, guest, owner, other user. Rows run in this order, each as the guest, the
# other user, then the owner: the other user's attempts meet the owner's task still in place,
# and the owner's delete and logout come last.
MATRIX = [
    ("GET", "/api/tasks", None, 401, 200, 200),
    ("POST", "/api/tasks", {"title": "Written by the caller"}, 401, 201, 201),
    ("GET", "/api/tasks/{task}", None, 401, 200, 404),
    ("PUT", "/api/tasks/{task}", {"title": "Renamed by the caller"}, 401, 200, 404),
    ("PATCH", "/api/tasks/{task}", {"status": "done"}, 401, 200, 404),
    ("POST", "/api/jobs", {"numbers": [1, 2, 3]}, 401, 202, 202),
    ("GET", "/api/jobs/{job}", None, 401, 200, 404),
    ("GET", "/api/auth/me", None, 401, 200, 200),
    ("DELETE", "/api/tasks/{task}", None, 401, 204, 404),
    ("POST", "/api/auth/logout", {}, 401, 200, 200),
]
PUBLIC = [
    "/health",
    "/ready",
    "/metrics",
    "/api/ping",
    "/api/stress?ms=1",
    "/api/stress-test?ms=1",
    "/api/slow?ms=1",
]
# what POST /api/jobs answers (202): the queued run, nothing done yet
QUEUED_JOB = {
    "status": "queued",
    "attempts": 0,
    "completions": 0,
    "idempotency_key": None,
    "result": None,
    "error": None,
    "worker": None,
    "finished_at": None,
}


def call(http: requests.Session, web, method: str, path: str, body: dict | None) -> requests.Response:
    return http.request(method, web.url(path), json=body, headers=JSON, timeout=15)


@pytest.mark.criterion("auth-redis-sessions", "api-crud")
def test_every_route_answers_the_guest_the_owner_and_another_user_as_the_access_matrix_says(
    web, redis_server
):
    guest, owner, other = requests.Session(), requests.Session(), requests.Session()
    me = log_in_new_user(owner, web.url, "Matrix Owner")
    them = log_in_new_user(other, web.url, "Matrix Other")
    assert {str(me["id"]), str(them["id"])} <= logged_in_sessions(redis_server), "both sessions live in Redis"
    secret = "Owner secret plan"
    task = call(owner, web, "POST", "/api/tasks", {"title": secret})
    assert task.status_code == 201, task.text
    job = call(owner, web, "POST", "/api/jobs", {"numbers": [4]})
    assert job.status_code == 202, job.text
    ids = {"task": task.json()["data"]["id"], "job": job.json()["data"]["id"]}

    wrong = []
    for method, template, body, *expected in MATRIX:
        path = template.format(**ids)
        for who, http, status in (
            ("guest", guest, expected[0]),
            ("other", other, expected[2]),
            ("owner", owner, expected[1]),
        ):
            reply = call(http, web, method, path, body)
            if reply.status_code != status:
                wrong.append(
                    f"{method} {path} as {who}: {reply.status_code}, expected {status}: {reply.text[:200]}"
                )
                continue
            if status == 204:
                continue
            assert reply.headers["Content-Type"].startswith("application/json"), f"{method} {path} as {who}"
            data = reply.json()
            caller = me if who == "owner" else them
            if who == "guest":
                assert data == UNAUTHENTICATED, f"{method} {path} as guest: {data}"
            elif status == 404:
                kind, key = ("JobRun", ids["job"]) if "{job}" in template else ("Task", ids["task"])
                assert data == {"message": f"{kind} {key} not found."}, f"{method} {path} as other: {data}"
                assert secret not in reply.text
            elif template == "/api/tasks" and method == "GET":
                titles = {t["title"] for t in data["data"]}
                assert (secret in titles) == (who == "owner"), f"{who} lists {titles}"
            elif template.startswith("/api/tasks"):
                assert data["data"]["user_id"] == caller["id"], f"{method} {path} as {who}: {data}"
            elif template == "/api/auth/me":
                assert data["data"] == {k: caller[k] for k in ("id", "name", "email")}, f"me as {who}: {data}"
            elif template == "/api/jobs" and method == "POST":
                run = data["data"]
                assert uuid.UUID(run.pop("id")) != uuid.UUID(ids["job"]), f"POST /api/jobs as {who}: {data}"
                assert run == QUEUED_JOB, f"POST /api/jobs as {who}: {data}"
            elif template == "/api/auth/logout":
                assert data == {"message": "Logged out."}, f"logout as {who}: {data}"
    assert not wrong, "\n".join(wrong)
    # the logouts destroyed both sessions in Redis: the old cookies no longer log anyone in
    left = {str(me["id"]), str(them["id"])} & logged_in_sessions(redis_server)
    assert not left, f"users {left} still have a logged-in session in Redis after logout"
    for who, http in (("owner", owner), ("other", other)):
        after = call(http, web, "GET", "/api/auth/me", None)
        assert after.status_code == 401, f"me as {who} after logout: {after.status_code} {after.text[:200]}"
    for path in PUBLIC:
        reply = guest.get(web.url(path), headers=JSON, timeout=15)
        assert reply.status_code == 200, f"GET {path} as guest: {reply.status_code} {reply.text[:200]}"


@pytest.mark.criterion("auth-redis-sessions")
def test_a_logged_in_write_needs_the_csrf_token_and_the_xsrf_cookie_pair_supplies_it(web):
    browser = requests.Session()
    log_in_new_user(browser, web.url, "Csrf Tester")
    plain_token = browser.headers.pop("X-CSRF-TOKEN")

    forged = call(browser, web, "POST", "/api/tasks", {"title": "Forged with the cookie alone"})
    assert forged.status_code == 419, forged.text
    assert "message" in forged.json()

    def write(title: str, token: dict[str, str]) -> requests.Response:
        """POST a task with the session's cookies and `token` as the only CSRF header."""
        return browser.post(
            web.url("/api/tasks"), json={"title": title}, headers={**JSON, **token}, timeout=15
        )

    wrong = write("Forged", {"X-XSRF-TOKEN": "nope"})
    assert wrong.status_code == 419, wrong.text

    # what axios does: echo the XSRF-TOKEN cookie (URL-encoded in the jar) in X-XSRF-TOKEN
    xsrf = unquote(browser.cookies["XSRF-TOKEN"])
    echoed = write("Sent like axios", {"X-XSRF-TOKEN": xsrf})
    assert echoed.status_code == 201, echoed.text
    plain = write("Sent with the plain token", {"X-CSRF-TOKEN": plain_token})
    assert plain.status_code == 201, plain.text
    titles = {t["title"] for t in call(browser, web, "GET", "/api/tasks", None).json()["data"]}
    assert titles == {"Sent like axios", "Sent with the plain token"}


@pytest.mark.criterion("auth-redis-sessions")
def test_the_session_cookies_keep_samesite_lax_and_are_not_secure_over_the_plain_http_of_this_tier(web):
    reply = requests.post(
        web.url("/api/auth/login"),
        json={"email": "nobody@example.test", "password": "wrong-password"},
        headers=JSON,
        timeout=15,
    )
    cookies = set_cookies(reply)
    assert set(cookies) >= {"lks_session", "XSRF-TOKEN"}, cookies
    for line in cookies.values():
        assert "samesite=lax" in cookie_attributes(line), line
        # SESSION_SECURE_COOKIE is on only behind the TLS Ingress (k8s/base/app-config.env)
        assert "secure" not in cookie_attributes(line), line
    assert "httponly" in cookie_attributes(cookies["lks_session"])


@pytest.mark.criterion("fpm-container-config")
def test_the_fpm_status_and_ping_pages_are_404_json_outside_and_served_only_on_the_pods_loopback(
    variant, web
):
    fpm_only(variant)
    for path in ("/fpm-status", "/fpm-ping", "/fpm-status?json&full"):
        reply = web.get(path)
        assert reply.status_code == 404, f"{path}: {reply.status_code} {reply.text[:200]}"
        assert reply.headers["Content-Type"].startswith("application/json"), (
            f"{path}: {reply.headers['Content-Type']}"
        )
        assert "message" in reply.json()
        assert "pool" not in reply.text
        assert "pong" not in reply.text
    nginx, fpm = web.containers["nginx"], web.containers["fpm"]
    # inside the pod (nginx's own network namespace) the internal listener answers
    inside = nginx.exec("curl", "-s", "--max-time", "5", "http://127.0.0.1:8081/fpm-ping")
    assert inside.stdout.strip() == "pong", inside.stdout + inside.stderr
    # another container on the same network (another pod) cannot even connect to it
    probe = f"echo @fsockopen('{nginx.name}', 8081, $e, $m, 3) ? 'OPEN' : 'CLOSED';"
    outside = fpm.exec("php", "-r", probe)
    assert outside.stdout.strip() == "CLOSED", outside.stdout + outside.stderr
    # positive control: the public listener of the same container is reachable from there
    public = fpm.exec("php", "-r", probe.replace("8081", "8080"))
    assert public.stdout.strip() == "OPEN", public.stdout + public.stderr


@pytest.mark.criterion("metrics-collected")
def test_metrics_answers_a_direct_scrape_but_not_a_request_forwarded_by_a_proxy(web):
    assert web.get("/metrics").status_code == 200
    for header in (
        {"X-Forwarded-Proto": "https"},
        {"X-Forwarded-Host": "localhost"},
        {"Forwarded": "proto=https"},
    ):
        reply = web.get("/metrics", headers=header)
        assert reply.status_code == 404, f"{header}: {reply.status_code}"
        assert "message" in reply.json()
        assert "http_requests_total" not in reply.text
