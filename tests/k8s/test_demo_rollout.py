"""Demo 2 as a user runs it (make demo-rollout, DEMO.md), short: scripts/demo/rollout.sh builds a
new version, deploys it with scripts/deploy.sh while its curl probe loop goes through the Ingress,
and draws the timeline; then --broken, whose release deploy.sh rolls back. Each leaves its PNG and
summary; the summary's failed-request count is the probes' own (benchmarks/timeline.py)."""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest

from fixtures.k8s_app import VERSION
from suite.project import ROOT

pytestmark = [pytest.mark.k8s, pytest.mark.slow, pytest.mark.demo]

ROLLOUT_SH = ROOT / "scripts" / "demo" / "rollout.sh"
DEMO_TIMEOUT = 600


def _demo(app, out, version: str, *args: str) -> tuple[subprocess.CompletedProcess, dict]:
    cluster = app.cluster
    env = dict(
        os.environ,
        VARIANT=app.variant,
        LKS_CLUSTER_NAME=cluster.name,
        LKS_KUBECONFIG=str(cluster.kubeconfig_path),
        KIND=str(cluster.kind_path),
        KUBECTL=str(cluster.kubectl_path),
        LKS_DB_STORAGE=app.db_storage,
        DEMO_OUT=str(out),
        PROBE_TAIL="2",
        PROBE_MAX_SECONDS="400",
    )
    proc = subprocess.run(
        [str(ROLLOUT_SH), version, *args], env=env, capture_output=True, text=True, timeout=DEMO_TIMEOUT
    )
    summary_file = out / f"rollout-{version}.json"
    summary = json.loads(summary_file.read_text()) if summary_file.exists() else {}
    return proc, summary


@pytest.mark.criterion("demo-rollout")
def test_the_rollout_demo_deploys_a_new_version_and_rolls_back_a_broken_one_with_their_timelines(
    ready_app, artifacts_dir, record_metric
):
    if not ready_app.cluster.has_kind:
        pytest.skip("the demo loads its images with kind load: a cluster given by --kubeconfig has no kind")
    out = artifacts_dir / "demo"
    stamp = int(time.time())
    good, broken = f"{VERSION}-demo{stamp}", f"{VERSION}-demo{stamp}-broken"
    try:
        proc, summary = _demo(ready_app, out, good)
        assert proc.returncode == 0, f"demo-rollout {good} failed:\n{proc.stderr[-3000:]}"
        assert ready_app.web_template_version() == good
        assert (out / f"rollout-{good}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        labels = [e["label"] for e in summary["events"]]
        assert f"web rollout to {good}" in labels, labels
        assert "rollout complete" in labels, labels
        assert summary["failed"] == 0, summary
        assert summary["requests"] >= 100, summary  # the probe loop ran through the whole rollout
        record_metric("demo-rollout", "probes through the rollout", summary["requests"], "requests")
        record_metric("demo-rollout", "failed probes through the rollout", summary["failed"], "requests")

        proc, summary = _demo(ready_app, out, broken, "--broken")
        assert proc.returncode == 0, f"demo-rollout {broken} --broken failed:\n{proc.stderr[-3000:]}"
        assert ready_app.web_template_version() == good, "not back on the version that served"
        labels = [e["label"] for e in summary["events"]]
        assert "rolled back" in labels, labels
        assert summary["failed"] == 0, summary
        record_metric("demo-rollout", "probes through the broken release", summary["requests"], "requests")
    finally:
        for tag in (good, broken):
            for name in ("fpm", "nginx", "worker", "swoole"):
                subprocess.run(["docker", "rmi", f"laravel-k8s-showcase/{name}:{tag}"], capture_output=True)
        restore = ready_app.deploy(VERSION)
        assert restore.returncode == 0, f"restoring {VERSION} failed:\n{restore.stderr[-2000:]}"
