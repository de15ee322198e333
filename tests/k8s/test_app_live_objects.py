"""Resource limits, ConfigMaps, Secrets and non-root, asserted on the live objects and the
running processes of the cluster (the static tier checks the rendered YAML)."""

from __future__ import annotations

import base64
import json
import re

import pytest
from kubernetes import client

from fixtures.k8s_app import NAMESPACE, WEB
from suite.project import image

pytestmark = [pytest.mark.k8s, pytest.mark.slow]

SECRET_KEYS = ("APP_KEY", "DB_PASSWORD", "REDIS_PASSWORD")
UNITS = {"Ki": 1 / 1024, "Mi": 1, "Gi": 1024, "K": 1 / 1048.576, "M": 1 / 1.048576, "G": 1000 / 1.048576}


def _mib(quantity: str) -> float:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([KMG]i?)?", quantity)
    assert match, quantity
    return float(match.group(1)) * (UNITS[match.group(2)] if match.group(2) else 1 / 1048576)


def _running_pods(app) -> list[client.V1Pod]:
    return [p for p in app.core.list_namespaced_pod(NAMESPACE).items if p.status.phase == "Running"]


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


def _secret(app) -> client.V1Secret:
    name = next(e.secret_ref.name for e in app.container(WEB, "app").env_from if e.secret_ref)
    return app.read("secret", name)


@pytest.mark.criterion("resource-limits")
def test_every_live_container_has_requests_and_limits_and_fpm_fits_its_memory_limit(ready_app):
    missing = []
    for pod in _running_pods(ready_app):
        for c in pod.spec.containers + (pod.spec.init_containers or []):
            for section in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    if resource not in (getattr(c.resources, section) or {}):
                        missing.append(f"{pod.metadata.name}/{c.name}: {section}.{resource}")
    assert not missing, missing

    web_pod = ready_app.pods("web")[0]
    web = web_pod.metadata.name
    limit_mib = _mib(next(c for c in web_pod.spec.containers if c.name == "app").resources.limits["memory"])
    php_limit = ready_app.kubectl(
        "exec", web, "-c", "app", "--", "php", "-r", "echo ini_get('memory_limit');"
    ).strip()
    assert _mib(php_limit.replace("M", "Mi")) < limit_mib, (
        f"PHP memory_limit {php_limit} >= container limit {limit_mib} MiB"
    )
    if ready_app.variant == "fpm":
        pool = _fpm_pool_size(ready_app, web)
        assert pool["memory"] == limit_mib, (
            f"FPM sized its pool for {pool['memory']} MB, the limit is {limit_mib} MiB"
        )
        assert pool["children"] >= 2
        assert pool["children"] * pool["child"] + pool["reserved"] <= limit_mib, pool
        if "memory_limit" in pool:  # the FPM workers' own PHP memory_limit fits the per-child budget
            assert pool["memory_limit"] <= pool["child"], pool
    usage = ready_app.kubectl("top", "pod", web, "--containers", "--no-headers", check=False)
    for line in usage.splitlines():
        fields = line.split()
        if len(fields) >= 4 and fields[1] == "app":
            assert _mib(fields[3]) < limit_mib, line


@pytest.mark.criterion("non-root")
def test_no_process_of_the_app_runs_as_root_and_the_namespace_refuses_root_pods(ready_app):
    checked = []
    for pod in _running_pods(ready_app):
        name = pod.metadata.name
        assert pod.spec.security_context.run_as_non_root is True, name
        for c in pod.spec.containers:
            status = ready_app.kubectl("exec", name, "-c", c.name, "--", "cat", "/proc/1/status")
            uids = next(line.split()[1:] for line in status.splitlines() if line.startswith("Uid:"))
            assert "0" not in uids, f"{name}/{c.name} PID 1 uids {uids}"
            checked.append(f"{name}/{c.name}={uids[0]}")
    assert len(checked) >= 5, checked

    root = client.V1Container(
        name="c", image=image("redis"), security_context=client.V1SecurityContext(run_as_user=0)
    )
    root_pod = client.V1Pod(
        metadata=client.V1ObjectMeta(name="root-probe"), spec=client.V1PodSpec(containers=[root])
    )
    with pytest.raises(client.ApiException) as refused:
        ready_app.core.create_namespaced_pod(NAMESPACE, root_pod, dry_run="All")
    assert refused.value.status == 403, "the namespace accepted a pod running as root"
    assert "PodSecurity" in refused.value.body, refused.value.body


@pytest.mark.criterion("configmaps")
@pytest.mark.criterion("config-env")
def test_the_running_app_takes_its_config_from_a_content_hashed_configmap(ready_app):
    refs = [e.config_map_ref.name for e in ready_app.container(WEB, "app").env_from if e.config_map_ref]
    assert refs
    pod = ready_app.pods("web")[0].metadata.name
    env = _container_env(ready_app, pod, "app")
    for name in refs:
        assert re.fullmatch(r"[a-z-]+-[a-z0-9]{10}", name), f"{name}: no content hash in the name"
        data = ready_app.read("configmap", name).data
        assert data
        for key, value in data.items():
            assert env.get(key) == value, (
                f"{key}: ConfigMap {name} says {value!r}, the running process has {env.get(key)!r}"
            )
            assert not re.search(r"PASSWORD|SECRET|TOKEN|APP_KEY", key), f"{name} holds {key}"


@pytest.mark.criterion("secrets")
def test_credentials_come_only_from_secrets_and_redis_refuses_anonymous_clients(ready_app):
    secret = _secret(ready_app)
    values = {k: base64.b64decode(v).decode() for k, v in secret.data.items()}
    assert set(SECRET_KEYS) <= set(values), sorted(values)
    cluster = ready_app.cluster
    configmaps = json.dumps(cluster.plain(ready_app.core.list_namespaced_config_map(NAMESPACE).items))
    for key in SECRET_KEYS:
        assert values[key] not in configmaps, f"the value of {key} appears in a ConfigMap"
    workloads = (
        ready_app.apps.list_namespaced_deployment(NAMESPACE).items
        + ready_app.apps.list_namespaced_stateful_set(NAMESPACE).items
        + cluster.batch.list_namespaced_job(NAMESPACE).items
    )
    assert workloads, "no Deployment, StatefulSet or Job in the namespace"
    specs = json.dumps([cluster.plain(w.spec) for w in workloads])
    for key in SECRET_KEYS:
        assert values[key] not in specs, f"the value of {key} is written into a workload spec"
    # the app actually authenticates with them: readiness checks DB and Redis
    with ready_app.http() as http:
        assert http.get(ready_app.url("/ready"), timeout=10).status_code == 200
    redis = ready_app.pods("redis")[0].metadata.name
    anonymous = ready_app.kubectl(
        "exec", redis, "-c", "redis", "--", "env", "-u", "REDISCLI_AUTH", "redis-cli", "ping", check=False
    )
    assert "NOAUTH" in anonymous, f"redis answered an unauthenticated PING: {anonymous!r}"
