"""Octane's Swoole server as it runs: its worker counts are the ones the environment asked for.

The app tier proves that config/octane.php reads every option from env; this proves the running
server took them (Server::stats(), exported on /metrics), not the host's CPU count.
"""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.container


def gauge(exposition: str, name: str) -> float:
    """The value of an unlabelled gauge in Prometheus text exposition."""
    values = re.findall(rf"^{name}(?:\{{\}})? ([0-9.eE+-]+)$", exposition, flags=re.MULTILINE)
    assert len(values) == 1, f"{name}: expected one sample in /metrics, found {values}"
    return float(values[0])


@pytest.mark.criterion("octane-swoole-config", variant="swoole")
@pytest.mark.parametrize(("workers", "task_workers"), [(3, 2), (1, 1)], ids=["3-workers", "1-worker"])
def test_the_swoole_server_runs_the_worker_counts_the_environment_sets(
    variant, web_factory, workers, task_workers
):
    if variant != "swoole":
        pytest.skip(
            "Octane settings apply to the swoole variant; FPM's pool is tested in test_runtime_config.py"
        )
    web = web_factory(
        {
            "OCTANE_WORKERS": str(workers),
            "OCTANE_TASK_WORKERS": str(task_workers),
            "OCTANE_MAX_REQUESTS": "1000",
        },
        cpus="2",
        memory="512m",
    )
    assert web.get("/api/ping").status_code == 200
    metrics = web.get("/metrics", headers={"Accept": "text/plain"})
    assert metrics.status_code == 200, metrics.text[:500]
    assert gauge(metrics.text, "swoole_worker_num") == workers
    assert gauge(metrics.text, "swoole_task_worker_num") == task_workers
