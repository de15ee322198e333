"""Configuration comes from the environment only: changing a variable changes behaviour."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.container


@pytest.mark.criterion("config-env", "stress-endpoint")
def test_the_stress_bound_follows_the_environment_of_the_running_instance(web_factory):
    default = web_factory(cpus="1", memory="512m", name="default")
    strict = web_factory(env={"STRESS_MAX_MS": "100"}, cpus="1", memory="512m", name="strict")
    assert default.get("/api/stress?ms=200").status_code == 200
    rejected = strict.get("/api/stress?ms=200")
    assert rejected.status_code == 422, rejected.text
    assert "ms" in rejected.json()["errors"]
    assert strict.get("/api/stress?ms=100").status_code == 200
    assert default.get("/api/stress?ms=100000").status_code == 422
