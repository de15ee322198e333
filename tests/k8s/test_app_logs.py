"""Logs of every pod in one queryable store (k8s/telemetry): vlagent tails each node's
/var/log/pods, parses the JSON lines and ships them with the pod's metadata to VictoriaLogs, where
a LogsQL query by request id finds what nginx, the app and the queue worker wrote about one
request, within a bounded wait."""

from __future__ import annotations

import time
import uuid

import pytest
from kubernetes import client

from fixtures.cluster import wait_until
from fixtures.k8s_app import NAMESPACE
from suite.project import image
from tests.api_session import log_in_new_user

pytestmark = [pytest.mark.k8s, pytest.mark.slow]

# seconds from a log line to its being queryable that a test waits at most (vlagent flushes every
# second; the measured delay is recorded, not asserted)
SHIP_WAIT = 60
JSON = {"Accept": "application/json"}
COMPONENT = "kubernetes.pod_labels.app.kubernetes.io/component"


def sources(rows: list[dict]) -> set[tuple[str, str]]:
    """(component label, container) of every line: who wrote it."""
    return {(r.get(COMPONENT, ""), r.get("kubernetes.container_name", "")) for r in rows}


def request_id() -> str:
    return f"lks-logs-{uuid.uuid4().hex}"


@pytest.mark.criterion("log-aggregation")
def test_one_requests_lines_from_the_proxy_the_app_and_the_worker_are_found_by_its_request_id(
    ready_app, telemetry, record_metric
):
    expected = {("web", "app"), ("worker", "worker")} | (
        {("web", "nginx")} if ready_app.variant == "fpm" else set()
    )
    task_rid, job_rid = request_id(), request_id()
    with ready_app.http() as http:
        log_in_new_user(http, ready_app.url, "K8s Logs")
        created = http.post(
            ready_app.url("/api/tasks"),
            json={"title": "find my logs", "priority": "normal"},
            headers=JSON | {"X-Request-Id": task_rid},
            timeout=15,
        )
        assert created.status_code == 201, created.text
        sent = time.monotonic()
        job = http.post(
            ready_app.url("/api/jobs"),
            json={"numbers": [1, 2]},
            headers=JSON | {"X-Request-Id": job_rid},
            timeout=15,
        )
        assert job.status_code == 202, job.text

    rows = telemetry.logs.wait_for(
        f'request_id:="{task_rid}"',
        lambda r: (
            {("web", "app")} | ({("web", "nginx")} if ready_app.variant == "fpm" else set()) <= sources(r)
        ),
        SHIP_WAIT,
        interval=0.5,
    )
    delay = time.monotonic() - sent
    record_metric("log-aggregation", "log line to queryable in the store", round(delay, 2), "s")
    messages = {r.get("_msg") for r in rows}
    assert "task created" in messages, rows
    for row in rows:
        # the pod's metadata on every line: namespace, pod, variant and version labels
        assert row["kubernetes.pod_namespace"] == NAMESPACE, row
        assert row["kubernetes.pod_name"].startswith("laravel-app-"), row
        assert row["kubernetes.pod_labels.laravel-k8s-showcase/variant"] == ready_app.variant, row
        assert row["kubernetes.pod_labels.app.kubernetes.io/version"], row
    app_line = next(r for r in rows if r.get("kubernetes.container_name") == "app")
    # the app's JSON line arrives as fields, not as one string
    assert app_line["level"] == "info", app_line
    assert app_line["channel"], app_line
    if ready_app.variant == "fpm":
        access = next(r for r in rows if r.get("kubernetes.container_name") == "nginx")
        assert access["status"] == "201", access
        assert access["method"] == "POST", access

    job_rows = telemetry.logs.wait_for(
        f'request_id:="{job_rid}"', lambda r: expected <= sources(r), SHIP_WAIT, interval=1
    )
    worker_messages = {r.get("_msg") for r in job_rows if r.get(COMPONENT) == "worker"}
    assert {"job processing", "job processed"} <= worker_messages, job_rows


@pytest.mark.criterion("log-aggregation")
def test_the_lines_of_a_pod_deleted_right_after_logging_stay_in_the_store(cluster, telemetry, record_metric):
    """A short-lived pod logs one line and is deleted at once, before anyone looked for it: the
    collector shipped it anyway, exactly once. Runtime-independent: the pod runs the collector's
    own image (loaded by the telemetry fixture) in a namespace of its own, restricted like the
    app's."""
    marker = request_id()
    namespace, name = f"log-test-{uuid.uuid4().hex[:8]}", "log-once"
    line = f'{{"level":"info","message":"last words","request_id":"{marker}"}}'
    cluster.create_namespace(
        namespace,
        {
            "pod-security.kubernetes.io/enforce": "restricted",
            "app.kubernetes.io/part-of": "laravel-k8s-showcase",
        },
    )
    pod = client.V1Pod(
        metadata=client.V1ObjectMeta(name=name, labels={"app.kubernetes.io/component": "log-test"}),
        spec=client.V1PodSpec(
            restart_policy="Never",
            automount_service_account_token=False,
            security_context=client.V1PodSecurityContext(
                run_as_non_root=True,
                run_as_user=10001,
                seccomp_profile=client.V1SeccompProfile(type="RuntimeDefault"),
            ),
            containers=[
                client.V1Container(
                    name="once",
                    image=image("vlagent"),
                    image_pull_policy="IfNotPresent",
                    command=["sh", "-c", f"echo '{line}'"],
                    resources=client.V1ResourceRequirements(
                        requests={"cpu": "10m", "memory": "16Mi"}, limits={"cpu": "100m", "memory": "64Mi"}
                    ),
                    security_context=client.V1SecurityContext(
                        allow_privilege_escalation=False,
                        read_only_root_filesystem=True,
                        capabilities=client.V1Capabilities(drop=["ALL"]),
                    ),
                )
            ],
        ),
    )
    core = cluster.core
    try:
        core.create_namespaced_pod(namespace, pod)
        wait_until(
            f"pod {namespace}/{name} to finish",
            120,
            lambda: core.read_namespaced_pod(name, namespace).status.phase in ("Succeeded", "Failed"),
        )
        assert core.read_namespaced_pod(name, namespace).status.phase == "Succeeded"
        core.delete_namespaced_pod(name, namespace, grace_period_seconds=0)
        deleted = time.monotonic()

        def gone() -> bool:
            try:
                core.read_namespaced_pod(name, namespace)
            except client.ApiException as exc:
                return exc.status == 404
            return False

        wait_until(f"pod {namespace}/{name} to be deleted", 60, gone)
        rows = telemetry.logs.wait_for(
            f'request_id:="{marker}"', lambda r: len(r) >= 1, SHIP_WAIT, interval=1
        )
        record_metric(
            "log-aggregation", "pod deleted to its line found", round(time.monotonic() - deleted, 2), "s"
        )
        # a few seconds more: a repeated line would show now
        time.sleep(3)
        rows = telemetry.logs.query(f'request_id:="{marker}"')
    finally:
        cluster.delete_namespace(namespace)
    assert len(rows) == 1, rows  # once: neither lost nor repeated
    assert rows[0]["_msg"] == "last words", rows
    assert rows[0]["kubernetes.pod_namespace"] == namespace, rows
    assert rows[0]["kubernetes.pod_name"] == name, rows
