"""Liveness and readiness, answered through nginx (or Octane) on 127.0.0.1, with dependencies
taken down for real."""

from __future__ import annotations

import pytest

from fixtures.php_app import docker, start_container, wait_healthy
from fixtures.web import wait_until

pytestmark = pytest.mark.container


@pytest.fixture
def own_redis(app_images, backend_network):
    """A Redis only this test uses, so stopping it disturbs no other test."""
    redis = start_container(app_images["redis"], "redis-health", backend_network, port=6379)
    wait_healthy(redis, 30)
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

    docker("stop", "--time", "5", own_redis.name)
    try:
        wait_until(lambda: web.get("/ready").status_code == 503, 30, "/ready to report 503 without Redis")
        assert web.get("/ready").json()["checks"]["redis"]["ok"] is False
        assert web.get("/health").status_code == 200, "liveness must not depend on Redis"
    finally:
        docker("start", own_redis.name)
    wait_healthy(own_redis, 30)
    wait_until(lambda: web.get("/ready").status_code == 200, 30, "/ready to recover after Redis restarts")
    assert web.get("/health").status_code == 200


@pytest.mark.criterion("health-endpoints", "laravel-health-checks")
def test_ready_turns_503_while_the_database_is_down_and_health_stays_200(web, database_server):
    assert web.get("/ready").status_code == 200
    docker("stop", "--time", "10", database_server.name)
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
        docker("start", database_server.name)
        wait_healthy(database_server, 120)
    wait_until(
        lambda: web.get("/ready", timeout=30).status_code == 200,
        60,
        "/ready to recover after the DB restarts",
    )
