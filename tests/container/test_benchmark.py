"""Demo 3: one command benchmarks both runtimes under the same limits and writes table + plot."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from suite.project import ROOT, SWOOLE_OFFLINE_REASON

pytestmark = [pytest.mark.container, pytest.mark.slow]


def compare(out: Path, **settings: str) -> tuple[Path, dict]:
    """benchmarks/compare.sh with `settings` (BENCH_*), results in `out`; its summary."""
    env = os.environ | {"BENCH_OUT": str(out)} | settings
    proc = subprocess.run(
        [str(ROOT / "benchmarks" / "compare.sh")], capture_output=True, text=True, env=env, timeout=900
    )
    if proc.returncode != 0:
        pytest.fail(f"benchmarks/compare.sh failed:\n{proc.stderr[-3000:]}", pytrace=False)
    return out, json.loads((out / "results.json").read_text())["summary"]


@pytest.fixture(scope="module")
def benchmark(app_images, tmp_path_factory) -> tuple[Path, dict]:
    """benchmarks/compare.sh once, bounded: 2 interleaved rounds of 1,600 requests per runtime."""
    return compare(
        tmp_path_factory.mktemp("bench"), BENCH_REQUESTS="1600", BENCH_ROUNDS="2", BENCH_CONCURRENCY="16"
    )


@pytest.mark.criterion("perf-fpm-p95")
def test_compare_sh_measures_fpm_under_its_limits_and_writes_a_table_and_a_plot(benchmark, record_metric):
    out, summary = benchmark
    for name in ("results.md", "results.json", "results.svg", "rounds.jsonl"):
        assert (out / name).is_file(), name
    fpm = summary["fpm"]
    assert fpm["rounds"] == 2
    assert fpm["rps"] > 0
    assert fpm["errors"] == 0, f"{fpm['errors']} failed requests under a modest load"
    assert 0 < fpm["p50_ms"] <= fpm["p95_ms"] <= fpm["p99_ms"]
    record_metric("perf-fpm-p95", "FPM p95 /api/ping (1 CPU, 16 conns)", fpm["p95_ms"], "ms")
    record_metric("perf-fpm-p95", "FPM rps per CPU", fpm["rps_per_cpu"], "rps")


@pytest.mark.criterion("fpm-vs-swoole-comparison", "perf-swoole-p95", "perf-swoole-vs-fpm")
def test_compare_sh_puts_swoole_beside_fpm_with_a_throughput_per_cpu_ratio(benchmark, record_metric):
    out, summary = benchmark
    swoole = summary["swoole"]
    if "skipped" in swoole:
        assert swoole["skipped"] == SWOOLE_OFFLINE_REASON
        assert f"SKIP: {SWOOLE_OFFLINE_REASON}" in (out / "results.md").read_text()
        pytest.skip(swoole["skipped"])
    assert swoole["errors"] == 0
    ratio = summary["ratio"]["swoole_vs_fpm_rps_per_cpu"]
    record_metric("perf-swoole-p95", "Swoole p95 /api/ping (1 CPU, 16 conns)", swoole["p95_ms"], "ms")
    record_metric("perf-swoole-vs-fpm", "Swoole/FPM rps per CPU", ratio, "x")
    assert ratio > 0


@pytest.mark.criterion("auth-redis-sessions")
def test_compare_sh_benchmarks_a_route_that_needs_a_session_as_a_logged_in_user(app_images, tmp_path):
    # /api/tasks answers 401 to a guest: every request would count as an error without the login
    out, summary = compare(
        tmp_path, BENCH_ENDPOINT="/api/tasks", BENCH_REQUESTS="200", BENCH_ROUNDS="1", BENCH_CONCURRENCY="8"
    )
    rounds = [json.loads(line) for line in (out / "rounds.jsonl").read_text().splitlines()]
    measured = ["fpm"]
    if "skipped" in summary["swoole"]:
        assert summary["swoole"]["skipped"] == SWOOLE_OFFLINE_REASON
    else:
        measured.append("swoole")  # Octane's half ran: it logged in too
    for runtime in measured:
        result = summary[runtime]
        assert result["errors"] == 0, (
            f"{runtime}: {result['errors']} of {result['requests']} requests to /api/tasks failed"
        )
        statuses = [r.get("status") for r in rounds if r.get("variant") == runtime]
        assert statuses == [{"200": result["requests"]}], f"{runtime}: {statuses}"
