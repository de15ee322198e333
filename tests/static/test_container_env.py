"""The container tier starts the app with the environment the deployment gives it: the fpm
overlay's rendered ConfigMaps, local-dev Secret and container env, changed only where the tier
must (its own Redis and MariaDB, plain HTTP). A wrong value in the ConfigMap reaches it.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from fixtures import manifests
from fixtures.manifests import OVERLAYS
from suite.stack import app_env, runtime_env
from tests.static.k8s_rules import rule_redis_drivers

pytestmark = [pytest.mark.static, pytest.mark.criterion("config-env", "configmaps")]

REDIS = SimpleNamespace(host="redis-under-test", port=6379)
DATABASE = SimpleNamespace(
    host="mariadb-under-test", port=3306, database="laravel", user="laravel", password="s3cret"
)
# what the container tier may change, and nothing else
TIER_OVERRIDES = {
    "DB_HOST",
    "DB_PORT",
    "DB_DATABASE",
    "DB_USERNAME",
    "DB_PASSWORD",
    "REDIS_HOST",
    "REDIS_PORT",
    "REDIS_PASSWORD",
    "SESSION_SECURE_COOKIE",
    "AWS_BUCKET",  # no object store on a stack unless a test starts one
    "OTEL_EXPORTER_OTLP_ENDPOINT",  # no trace store on a stack unless a test starts one
}


def _config_map(directory: Path, name: str) -> dict[str, str]:
    docs = manifests.render(directory)
    return next(
        d["data"] for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith(name)
    )


def test_the_container_tier_environment_is_the_fpm_overlays_rendered_one_but_for_its_own_services():
    deployed = manifests.deployed_env("fpm")
    env = app_env(REDIS, DATABASE)
    changed = {k for k in deployed if env.get(k) != deployed[k]}
    assert changed <= TIER_OVERRIDES, (
        f"the container tier changes more than its own services: {sorted(changed - TIER_OVERRIDES)}"
    )
    assert set(env) - set(deployed) <= TIER_OVERRIDES, sorted(set(env) - set(deployed))
    for name in ("laravel-config", "database-config"):
        for key, value in _config_map(OVERLAYS / "fpm", name).items():
            assert key in TIER_OVERRIDES or env[key] == value, (
                f"{name} {key}: ConfigMap {value!r}, container tier {env.get(key)!r}"
            )
    assert (env["DB_HOST"], env["REDIS_HOST"], env["SESSION_SECURE_COOKIE"]) == (
        "mariadb-under-test",
        "redis-under-test",
        "false",
    )


def test_the_swoole_containers_get_the_octane_settings_of_the_swoole_overlay():
    swoole = manifests.deployed_env("swoole")
    octane = runtime_env("swoole")
    assert octane, "the swoole overlay sets nothing of its own: the Octane settings are missing"
    assert {k for k in swoole if k.startswith("OCTANE_")} <= set(octane)
    assert all(swoole[k] == v for k, v in octane.items())
    assert runtime_env("fpm") == {}


def test_a_wrong_value_in_the_configmap_reaches_the_container_environment(tmp_path):
    overlay = tmp_path / "wrong"
    overlay.mkdir()
    (overlay / "app-config.env").write_text("SESSION_DRIVER=file\n")
    (overlay / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        f"resources: [{os.path.relpath(OVERLAYS / 'fpm', overlay)}]\n"
        "configMapGenerator:\n  - {name: laravel-config, behavior: merge, envs: [app-config.env]}\n"
    )
    assert manifests.deployed_env(overlay)["SESSION_DRIVER"] == "file"
    assert any("SESSION_DRIVER is 'file'" in v for v in rule_redis_drivers(manifests.render(overlay)))


def test_a_container_that_refers_to_a_missing_configmap_is_an_error():
    with pytest.raises(LookupError, match="missing ConfigMap nowhere"):
        manifests.container_env([], {"name": "app", "envFrom": [{"configMapRef": {"name": "nowhere"}}]})
