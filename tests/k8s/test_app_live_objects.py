"""Resource limits, ConfigMaps, Secrets and non-root, asserted on the live objects and the
running processes of the cluster (the static tier checks the rendered YAML)."""

from __future__ import annotations

import base64
import json
import re

import pytest

from fixtures.k8s_app import WEB

pytestmark = [pytest.mark.k8s, pytest.mark.slow]

SECRET_KEYS = ("APP_KEY", "DB_PASSWORD", "REDIS_PASSWORD")
UNITS = {"Ki": 1 / 1024, "Mi": 1, "Gi": 1024, "K": 1 / 1048.576, "M": 1 / 1.048576, "G": 1000 / 1.048576}


def _mib(quantity: str) -> float:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([KMG]i?)?", quantity)
    assert match, quantity
    return float(match.group(1)) * (UNITS[match.group(2)] if match.group(2) else 1 / 1048576)


def _running_pods(app) -> list[dict]:
    return [p for p in app.get("pods")["items"] if p["status"].get("phase") == "Running"]


def _container_env(app, pod: str, container: str) -> dict[str, str]:
    """The environment Kubernetes gives the container (php-fpm rewrites its own /proc/1/environ
    for its process titles, so the container's env is read through an exec in it)."""
    raw = app.kubectl("exec", pod, "-c", container, "--", "env", "-0")
    return dict(item.split("=", 1) for item in raw.split("\0") if "=" in item)


def _fpm_pool_size(app, pod: str) -> dict[str, int]:
    """What the entrypoint sized the pool to, from its start-up log line."""
    logs = app.kubectl("logs", pod, "-c", "app")
    line = next((entry for entry in logs.splitlines() if "pm.max_children" in entry), None)
    assert line, "the app container logged no pool sizing line"
    match = re.search(r"memory (\d+) MB, child (\d+) MB, reserved (\d+) MB -> pm.max_children (\d+)", line)
    assert match, line
    memory, child, reserved, children = map(int, match.groups())
    pool = {"memory": memory, "child": child, "reserved": reserved, "children": children}
    per_request = re.search(r"memory_limit (\d+)M", line)
    if per_request:
        pool["memory_limit"] = int(per_request.group(1))
    return pool


def _secret(app) -> dict:
    dep = app.get("deployment", WEB)
    app_container = next(c for c in dep["spec"]["template"]["spec"]["containers"] if c["name"] == "app")
    name = next(e["secretRef"]["name"] for e in app_container["envFrom"] if "secretRef" in e)
    return app.get("secret", name)


@pytest.mark.criterion("resource-limits")
def test_every_live_container_has_requests_and_limits_and_fpm_fits_its_memory_limit(ready_app):
    missing = []
    for pod in _running_pods(ready_app):
        for c in pod["spec"]["containers"] + pod["spec"].get("initContainers", []):
            res = c.get("resources", {})
            for section in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    if resource not in res.get(section, {}):
                        missing.append(f"{pod['metadata']['name']}/{c['name']}: {section}.{resource}")
    assert not missing, missing

    web = ready_app.pods("web")[0]
    app_container = next(c for c in web["spec"]["containers"] if c["name"] == "app")
    limit_mib = _mib(app_container["resources"]["limits"]["memory"])
    php_limit = ready_app.kubectl(
        "exec", web["metadata"]["name"], "-c", "app", "--", "php", "-r", "echo ini_get('memory_limit');"
    ).strip()
    assert _mib(php_limit.replace("M", "Mi")) < limit_mib, (
        f"PHP memory_limit {php_limit} >= container limit {limit_mib} MiB"
    )
    if ready_app.variant == "fpm":
        pool = _fpm_pool_size(ready_app, web["metadata"]["name"])
        assert pool["memory"] == limit_mib, (
            f"FPM sized its pool for {pool['memory']} MB, the limit is {limit_mib} MiB"
        )
        assert pool["children"] >= 2
        assert pool["children"] * pool["child"] + pool["reserved"] <= limit_mib, pool
        if "memory_limit" in pool:  # the FPM workers' own PHP memory_limit fits the per-child budget
            assert pool["memory_limit"] <= pool["child"], pool
    usage = ready_app.kubectl(
        "top", "pod", web["metadata"]["name"], "--containers", "--no-headers", check=False
    )
    for line in usage.splitlines():
        fields = line.split()
        if len(fields) >= 4 and fields[1] == "app":
            assert _mib(fields[3]) < limit_mib, line


@pytest.mark.criterion("non-root")
def test_no_process_of_the_app_runs_as_root_and_the_namespace_refuses_root_pods(ready_app):
    checked = []
    for pod in _running_pods(ready_app):
        assert pod["spec"]["securityContext"].get("runAsNonRoot") is True, pod["metadata"]["name"]
        for c in pod["spec"]["containers"]:
            status = ready_app.kubectl(
                "exec", pod["metadata"]["name"], "-c", c["name"], "--", "cat", "/proc/1/status"
            )
            uids = next(line.split()[1:] for line in status.splitlines() if line.startswith("Uid:"))
            assert "0" not in uids, f"{pod['metadata']['name']}/{c['name']} PID 1 uids {uids}"
            checked.append(f"{pod['metadata']['name']}/{c['name']}={uids[0]}")
    assert len(checked) >= 5, checked

    root_pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "root-probe", "namespace": "laravel"},
        "spec": {
            "containers": [
                {"name": "c", "image": "laravel-k8s-showcase/redis:7", "securityContext": {"runAsUser": 0}}
            ]
        },
    }
    proc = ready_app.kubectl_proc("apply", "--dry-run=server", "-f", "-", input=json.dumps(root_pod))
    assert proc.returncode != 0, "the namespace accepted a pod running as root"
    assert "PodSecurity" in proc.stderr, proc.stderr


@pytest.mark.criterion("configmaps")
@pytest.mark.criterion("config-env")
def test_the_running_app_takes_its_config_from_a_content_hashed_configmap(ready_app):
    dep = ready_app.get("deployment", WEB)
    app_container = next(c for c in dep["spec"]["template"]["spec"]["containers"] if c["name"] == "app")
    refs = [e["configMapRef"]["name"] for e in app_container["envFrom"] if "configMapRef" in e]
    assert refs
    pod = ready_app.pods("web")[0]["metadata"]["name"]
    env = _container_env(ready_app, pod, "app")
    for name in refs:
        assert re.fullmatch(r"[a-z-]+-[a-z0-9]{10}", name), f"{name}: no content hash in the name"
        data = ready_app.get("configmap", name)["data"]
        assert data
        for key, value in data.items():
            assert env.get(key) == value, (
                f"{key}: ConfigMap {name} says {value!r}, the running process has {env.get(key)!r}"
            )
            assert not re.search(r"PASSWORD|SECRET|TOKEN|APP_KEY", key), f"{name} holds {key}"


@pytest.mark.criterion("secrets")
def test_credentials_come_only_from_secrets_and_redis_refuses_anonymous_clients(ready_app):
    secret = _secret(ready_app)
    values = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    assert set(SECRET_KEYS) <= set(values), sorted(values)
    configmaps = json.dumps(ready_app.get("configmaps")["items"])
    for key in SECRET_KEYS:
        assert values[key] not in configmaps, f"the value of {key} appears in a ConfigMap"
    specs = json.dumps([d["spec"] for d in ready_app.get("deployments,statefulsets,jobs")["items"]])
    for key in SECRET_KEYS:
        assert values[key] not in specs, f"the value of {key} is written into a workload spec"
    # the app actually authenticates with them: readiness checks DB and Redis
    with ready_app.http() as http:
        assert http.get(ready_app.url("/ready"), timeout=10).status_code == 200
    redis = ready_app.pods("redis")[0]["metadata"]["name"]
    anonymous = ready_app.kubectl(
        "exec", redis, "-c", "redis", "--", "env", "-u", "REDISCLI_AUTH", "redis-cli", "ping", check=False
    )
    assert "NOAUTH" in anonymous, f"redis answered an unauthenticated PING: {anonymous!r}"
