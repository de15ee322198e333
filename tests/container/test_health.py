"""Liveness and readiness, answered through nginx (or Octane) on 127.0.0.1, with dependencies
taken down for real."""

from __future__ import annotations

import pytest

from fixtures.web import wait_until

pytestmark = pytest.mark.container


@pytest.fixture
def own_redis(docker_stack):
    """A Redis only this test uses, so stopping it disturbs no other test."""
    redis = docker_stack.start("redis", "redis-health", port=6379, role="redis", wait_s=30)
    yield redis
    redis.remove()


@pytest.mark.criterion("health-endpoints", "laravel-health-checks")
def test_ready_turns_503_while_redis_is_down_and_health_stays_200(web_factory, own_redis):
    web = web_factory(env={"REDIS_HOST": own_redis.host}, cpus="1", memory="512m")
    health = web.get("/health")
    assert health.status_code == 200
    assert health.json()["status"] == "ok"
    ready = web.get("/ready")
    assert ready.status_code == 200, ready.text
    checks = ready.json()["checks"]
    assert {"database", "redis", "cache", "queue", "migrations"} <= set(checks), checks
    assert all(c["ok"] for c in checks.values()), checks

    own_redis.stop(timeout=5)
    try:
        wait_until(lambda: web.get("/ready").status_code == 503, 30, "/ready to report 503 without Redis")
        assert web.get("/ready").json()["checks"]["redis"]["ok"] is False
        assert web.get("/health").status_code == 200, "liveness must not depend on Redis"
    finally:
        own_redis.start()
    own_redis.wait_healthy(30)
    wait_until(lambda: web.get("/ready").status_code == 200, 30, "/ready to recover after Redis restarts")
    assert web.get("/health").status_code == 200


@pytest.mark.criterion("health-endpoints", "laravel-health-checks")
def test_ready_turns_503_while_the_database_is_down_and_health_stays_200(web, database_server):
    assert web.get("/ready").status_code == 200
    database_server.stop(timeout=10)
    try:
        wait_until(
            lambda: web.get("/ready", timeout=30).status_code == 503,
            60,
            "/ready to report 503 without the DB",
        )
        body = web.get("/ready", timeout=30).json()
        assert body["checks"]["database"]["ok"] is False
        assert web.get("/health").status_code == 200, "liveness must not depend on the database"
    finally:
        database_server.start()
        database_server.wait_healthy(120)
    wait_until(
        lambda: web.get("/ready", timeout=30).status_code == 200,
        60,
        "/ready to recover after the DB restarts",
    )
