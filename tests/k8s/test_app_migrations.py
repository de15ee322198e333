"""Migrations run as a Kubernetes Job before the app serves, and running them again is a no-op."""

from __future__ import annotations

import json
import uuid

import pytest
from kubernetes import client

from fixtures.cluster import wait_until
from fixtures.k8s_app import MIGRATIONS, NAMESPACE

pytestmark = [pytest.mark.k8s, pytest.mark.slow]


def _job_logs(app, name: str) -> str:
    """The logs of the pods of Job `name` (the Jobs here run one pod)."""
    pods = app.core.list_namespaced_pod(NAMESPACE, label_selector=f"job-name={name}").items
    return "".join(app.core.read_namespaced_pod_log(p.metadata.name, NAMESPACE) for p in pods)


def _rerun_job(app, name: str) -> client.V1JobStatus:
    """A copy of the deployed migrations Job (same image, config and command) under a new name."""
    batch = app.cluster.batch
    job = batch.read_namespaced_job(MIGRATIONS, NAMESPACE)
    template = job.spec.template
    for key in (
        "controller-uid",
        "batch.kubernetes.io/controller-uid",
        "job-name",
        "batch.kubernetes.io/job-name",
    ):
        template.metadata.labels.pop(key, None)
    copy = client.V1Job(
        metadata=client.V1ObjectMeta(name=name, labels=job.metadata.labels),
        spec=client.V1JobSpec(
            backoff_limit=0, active_deadline_seconds=180, ttl_seconds_after_finished=600, template=template
        ),
    )
    app.delete("job", name)
    batch.create_namespaced_job(NAMESPACE, copy)

    def finished() -> client.V1JobStatus | None:
        status = batch.read_namespaced_job_status(name, NAMESPACE).status
        if status.failed:
            pytest.fail(
                f"the re-run migrations Job did not complete: {status}\n{_job_logs(app, name)}", pytrace=False
            )
        return status if status.succeeded else None

    return wait_until(f"the re-run migrations Job {name} to complete", 240, finished)


@pytest.mark.criterion("migrations")
def test_the_migrations_job_completed_and_a_second_run_is_a_no_op(ready_app):
    job = ready_app.read("job", MIGRATIONS)
    assert job.status.succeeded == 1, job.status
    first_logs = _job_logs(ready_app, MIGRATIONS)

    # a name of this run: an earlier run's copy (kept up to its TTL) is never read instead
    rerun = f"laravel-migrate-rerun-{uuid.uuid4().hex[:6]}"
    try:
        status = _rerun_job(ready_app, rerun)
        logs = _job_logs(ready_app, rerun)
    finally:
        ready_app.delete("job", rerun)

    assert status.succeeded == 1
    assert "Nothing to migrate" in logs, f"second run was not a no-op:\n{logs}\n(first run:\n{first_logs})"
    assert "Migrating:" not in logs, logs
    assert "DONE" not in logs, logs
    # the app agrees: readiness reports the migrations check as passing
    with ready_app.http() as http:
        ready = http.get(ready_app.url("/ready"), timeout=10)
    assert ready.status_code == 200, ready.text
    assert "migrations" in json.dumps(ready.json()), ready.text


@pytest.mark.criterion("migrations")
def test_migrations_are_not_run_by_the_app_containers_on_start(ready_app):
    for pod in ready_app.pods("web") + ready_app.pods("worker"):
        for container in pod.spec.containers + (pod.spec.init_containers or []):
            command = " ".join((container.command or []) + (container.args or []))
            assert "migrate" not in command, f"{pod.metadata.name}/{container.name} runs {command}"
