"""Zero-downtime deploys: continuous bounded load through the Ingress (127.0.0.1:18443) while
scripts/deploy.sh rolls the web tier to a new image, then restarts it for a ConfigMap change,
then rolls back to the original version. Every connection error and every 5xx is counted."""

from __future__ import annotations

import json
import time

import pytest

from fixtures.k8s_app import MIGRATIONS, NAMESPACE, VERSION, WEB, timings
from fixtures.load import Load

pytestmark = [pytest.mark.k8s, pytest.mark.slow]

# bounded load: 30 requests/s, at most 18,000 requests and 540 s
RPS, MAX_REQUESTS, MAX_SECONDS = 30, 18_000, 540


def _config_of(app) -> tuple[str, dict]:
    name = next(
        e.config_map_ref.name
        for e in app.container(WEB, "app").env_from
        if e.config_map_ref and e.config_map_ref.name.startswith("laravel-config")
    )
    return name, app.read("configmap", name).data


def _process_env(app, pod: str) -> dict[str, str]:
    raw = app.kubectl("exec", pod, "-c", "app", "--", "env", "-0")
    return dict(item.split("=", 1) for item in raw.split("\0") if "=" in item)


def _deploy(app, version: str, **env: str) -> dict[str, str]:
    proc = app.deploy(version, **env)
    assert proc.returncode == 0, (
        f"scripts/deploy.sh {version} failed ({proc.returncode}):\n{proc.stderr[-3000:]}"
    )
    return timings(proc.stdout)


@pytest.mark.criterion("zero-downtime-rollout")
@pytest.mark.criterion("cd-deploy")
@pytest.mark.criterion("configmaps")
@pytest.mark.criterion("migrations")
@pytest.mark.criterion("deploy-time")
def test_rolling_updates_under_load_fail_no_request(ready_app, record_metric):
    # a tag of its own per run, so the rollout creates a new ReplicaSet even on a reused cluster
    new_version = f"{VERSION}-rollout{int(time.time())}"
    ready_app.tag_images(new_version)
    config_before, data_before = _config_of(ready_app)
    log_level = "notice" if data_before.get("LOG_LEVEL") != "notice" else "warning"

    ping = ready_app.url("/api/ping")
    restored = False
    try:
        with Load(ready_app.http, ping, rps=RPS, max_requests=MAX_REQUESTS, max_seconds=MAX_SECONDS) as load:
            # 1. new image tag
            image_rollout = _deploy(ready_app, new_version)
            assert ready_app.web_template_version() == new_version
            job = ready_app.read("job", MIGRATIONS)
            replica_sets = ready_app.apps.list_namespaced_replica_set(
                NAMESPACE, label_selector="app.kubernetes.io/component=web"
            ).items
            newest = max(replica_sets, key=lambda rs: rs.metadata.creation_timestamp)

            # 2. ConfigMap change only (same image): a new content-hash name rolls the pods
            config_rollout = _deploy(ready_app, new_version, LKS_CONFIG=f"LOG_LEVEL={log_level}")
            config_after, data_after = _config_of(ready_app)
            pods_after_config = [p.metadata.name for p in ready_app.wait_web_ready()]
            env_after_config = _process_env(ready_app, pods_after_config[0])

            # 3. back to the original version and config
            restore_rollout = _deploy(ready_app, VERSION)
            restored = True
            during = load.elapsed
    finally:
        if not restored:
            # a step failed: back to the original version and config, the state the next test expects
            ready_app.deploy(VERSION)
    result = load.stop()
    print(f"load during three rollouts ({during:.0f}s): {result.summary()}")
    print(json.dumps({"image": image_rollout, "config": config_rollout, "restore": restore_rollout}))

    record_metric("zero-downtime-rollout", "requests during 3 rollouts", result.requests, "requests")
    record_metric(
        "zero-downtime-rollout", "failed requests (connection errors + 5xx)", result.failed, "requests"
    )
    record_metric("zero-downtime-rollout", "image rollout time", float(image_rollout["rollout"]), "s")
    record_metric("zero-downtime-rollout", "config rollout time", float(config_rollout["rollout"]), "s")
    record_metric("deploy-time", "deploy.sh total (migrations + rollout)", float(image_rollout["total"]), "s")

    # migrations completed before the new version's first pod was created
    assert job.status.completion_time <= newest.metadata.creation_timestamp, (job.status, newest.metadata)
    # the config change went through a new, content-hashed ConfigMap and reached the running process
    assert config_after != config_before, "the ConfigMap name did not change with its content"
    assert data_after["LOG_LEVEL"] == log_level
    assert env_after_config.get("LOG_LEVEL") == log_level, (
        "the restarted pod does not run with the new config"
    )
    # zero downtime
    assert result.requests >= RPS * 30, f"too little load to prove anything: {result.summary()}"
    assert result.connection_errors == 0, result.summary()
    assert result.server_errors == 0, result.summary()
    assert ready_app.web_template_version() == VERSION
