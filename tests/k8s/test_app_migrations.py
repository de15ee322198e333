"""Migrations run as a Kubernetes Job before the app serves, and running them again is a no-op."""

from __future__ import annotations

import json
import time
import uuid

import pytest

pytestmark = [pytest.mark.k8s, pytest.mark.slow]


def _rerun_job(app, name: str) -> dict:
    """A copy of the deployed migrations Job (same image, config and command) under a new name."""
    job = app.get("job", "laravel-migrate")
    template = job["spec"]["template"]
    for key in (
        "controller-uid",
        "batch.kubernetes.io/controller-uid",
        "job-name",
        "batch.kubernetes.io/job-name",
    ):
        template["metadata"]["labels"].pop(key, None)
    copy = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": "laravel", "labels": job["metadata"]["labels"]},
        "spec": {
            "backoffLimit": 0,
            "activeDeadlineSeconds": 180,
            "ttlSecondsAfterFinished": 600,
            "template": template,
        },
    }
    app.kubectl("delete", "job", name, "--ignore-not-found", "--wait=true")
    app.kubectl("apply", "-f", "-", input=json.dumps(copy))
    deadline = time.monotonic() + 240
    while True:
        status = app.get("job", name)["status"]
        if status.get("succeeded"):
            return status
        if status.get("failed") or time.monotonic() > deadline:
            logs = app.kubectl("logs", f"job/{name}", check=False)
            pytest.fail(f"the re-run migrations Job did not complete: {status}\n{logs}", pytrace=False)
        time.sleep(2)


@pytest.mark.criterion("migrations")
def test_the_migrations_job_completed_and_a_second_run_is_a_no_op(ready_app):
    job = ready_app.get("job", "laravel-migrate")
    assert job["status"].get("succeeded") == 1, job["status"]
    first_logs = ready_app.kubectl("logs", "job/laravel-migrate")

    # a name of this run: an earlier run's copy (kept up to its TTL) is never read instead
    rerun = f"laravel-migrate-rerun-{uuid.uuid4().hex[:6]}"
    try:
        status = _rerun_job(ready_app, rerun)
        logs = ready_app.kubectl("logs", f"job/{rerun}")
    finally:
        ready_app.kubectl("delete", "job", rerun, "--ignore-not-found", "--wait=false", check=False)

    assert status["succeeded"] == 1
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
        for container in pod["spec"]["containers"] + pod["spec"].get("initContainers", []):
            command = " ".join(container.get("command", []) + container.get("args", []))
            assert "migrate" not in command, f"{pod['metadata']['name']}/{container['name']} runs {command}"
