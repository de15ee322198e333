"""Demo 3: one command benchmarks both runtimes under the same limits, next to each runtime's own
ceiling, closed and open loop, and writes the table with the POC's verdicts and the plots
(benchmarks/bench.py; the full run is `make bench`, this is a bounded one)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from suite.project import ROOT, SWOOLE_OFFLINE_REASON

pytestmark = [pytest.mark.container, pytest.mark.slow]


def bench(out: Path, *args: str) -> dict:
    """benchmarks/bench.py with `args`, results in `out`; its results.json."""
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench", "--out", str(out), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=900,
    )
    if proc.returncode != 0:
        pytest.fail(f"benchmarks/bench.py failed:\n{proc.stderr[-3000:]}", pytrace=False)
    return json.loads((out / "results.json").read_text())


def row(data: dict, **match) -> dict:
    rows = [r for r in data["summary"] if all(r.get(k) == v for k, v in match.items())]
    assert len(rows) == 1, (match, rows)
    return rows[0]


@pytest.fixture(scope="module")
def benchmark(app_images, tmp_path_factory) -> tuple[Path, dict]:
    """/api/ping and the runtimes' hello worlds: 2 interleaved rounds of 5 s at 16 connections,
    then the open loop at half of FPM's throughput; no recycling runs."""
    out = tmp_path_factory.mktemp("bench")
    return out, bench(
        out, "--routes", "ping", "--concurrency", "16", "--rounds", "2", "--duration", "5", "--no-recycling"
    )


@pytest.mark.criterion("perf-fpm-p95")
def test_the_benchmark_measures_fpm_beside_its_ceiling_and_writes_the_table_and_plots(
    benchmark, record_metric
):
    out, data = benchmark
    for name in (
        "results.md",
        "results.json",
        "throughput-vs-concurrency.png",
        "latency-percentiles.png",
        "memory-over-time.png",
    ):
        assert (out / name).is_file(), name
        assert (out / name).stat().st_size > 0, name
    closed = row(data, variant="fpm", kind="laravel", route="ping", mode="closed")
    ceiling = row(data, variant="fpm", kind="ceiling", mode="closed")
    opened = row(data, variant="fpm", kind="laravel", route="ping", mode="open")
    for r in (closed, ceiling, opened):
        assert r["rounds"] == 2
        assert r["errors"] == 0, f"{r['errors']} of {r['requests']} requests failed: {r}"
        assert 0 < r["p50_ms"] <= r["p95_ms"] <= r["p99_ms"]
    # the hello world under the same nginx and FPM pool is the most Laravel could reach
    assert ceiling["rps"] > closed["rps"] > 0
    # the open loop holds half of the closed loop's throughput
    assert opened["rps"] == pytest.approx(opened["load"], rel=0.15)
    assert data["resources"]["fpm-laravel"]["workers"] >= 1
    assert data["resources"]["fpm-laravel"]["startup_to_first_200_s"] > 0
    verdict = next(v for v in data["verdicts"] if v["criterion"] == "perf-fpm-p95")
    assert verdict["value_ms"] == round(opened["p95_ms"], 1)
    assert f"| perf-fpm-p95 | {verdict['what']} |" in (out / "results.md").read_text()
    record_metric(
        "perf-fpm-p95",
        f"FPM p95 /api/ping at {opened['load']} req/s (half its peak, 1 CPU)",
        round(opened["p95_ms"], 1),
        "ms",
    )
    record_metric(
        "perf-fpm-p95", "FPM rps per CPU-second, /api/ping at 16 conns", round(closed["rps_per_cpu"]), "rps"
    )
    record_metric(
        "perf-fpm-p95",
        "FPM /api/ping as % of its hello-world ceiling",
        round(100 * closed["rps"] / ceiling["rps"]),
        "%",
    )


@pytest.mark.criterion("fpm-vs-swoole-comparison", "perf-swoole-p95", "perf-swoole-vs-fpm")
def test_the_benchmark_puts_swoole_beside_fpm_with_a_throughput_per_cpu_ratio(benchmark, record_metric):
    out, data = benchmark
    if "swoole" in data["meta"]["skipped"]:
        assert data["meta"]["skipped"]["swoole"] == SWOOLE_OFFLINE_REASON
        assert f"**swoole: SKIP** — {SWOOLE_OFFLINE_REASON}" in (out / "results.md").read_text()
        pytest.skip(SWOOLE_OFFLINE_REASON)
    swoole = row(data, variant="swoole", kind="laravel", route="ping", mode="closed")
    opened = row(data, variant="swoole", kind="laravel", route="ping", mode="open")
    assert swoole["errors"] == 0
    assert opened["errors"] == 0
    ratio = next(v for v in data["verdicts"] if v["criterion"] == "perf-swoole-vs-fpm")
    record_metric(
        "perf-swoole-p95",
        f"Swoole p95 /api/ping at {opened['load']} req/s (1 CPU)",
        round(opened["p95_ms"], 1),
        "ms",
    )
    record_metric("perf-swoole-vs-fpm", "Swoole/FPM rps per CPU-second, /api/ping", ratio["value"], "x")
    assert ratio["value"] > 0


@pytest.mark.criterion("auth-redis-sessions")
def test_the_benchmark_drives_the_session_routes_as_a_logged_in_user(app_images, tmp_path):
    # the task routes answer 401 to a guest and a write needs the session's CSRF token: every
    # request would count as an error without the login
    data = bench(
        tmp_path,
        "--routes",
        "me,tasks-list,tasks-create",
        "--concurrency",
        "4",
        "--rounds",
        "1",
        "--duration",
        "2",
        "--no-recycling",
        "--no-ceiling",
        "--no-open-loop",
    )
    measured = ["fpm"] + ([] if "swoole" in data["meta"]["skipped"] else ["swoole"])
    for runtime in measured:
        for route, status in (("me", "200"), ("tasks-list", "200"), ("tasks-create", "201")):
            runs = [r for r in data["runs"] if (r["variant"], r["route"]) == (runtime, route)]
            assert runs, (runtime, route)
            for r in runs:
                assert r["requests"] > 0
                assert r["status"] == {status: r["requests"]}, (
                    f"{runtime} {route}: {r['status']} {r['error_kinds']}"
                )
