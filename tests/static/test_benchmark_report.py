"""The benchmark's arithmetic and outputs (benchmarks/bench.py, benchmarks/plots.py) on made-up
runs: medians of interleaved rounds with their range, the POC's verdicts on both sides of each
target, the share of the runtime's ceiling, a skipped runtime with its reason, the plots."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from benchmarks.bench import TARGETS, summarize, verdicts
from benchmarks.plots import write_plots, write_table
from tests.repo import ROOT

pytestmark = pytest.mark.static


def run(variant, kind, route, mode, load, rnd, rps, p95, cpu_s=1.0, errors=0, **extra):
    requests = int(rps * 5)
    return {
        "variant": variant,
        "kind": kind,
        "route": route,
        "mode": mode,
        "load": load,
        "round": rnd,
        "requests": requests,
        "ok": requests - errors,
        "errors": errors,
        "status": {"200": requests - errors},
        "rps": rps,
        "p50_ms": p95 / 2,
        "p95_ms": p95,
        "p99_ms": p95 * 1.5,
        "cpu_used": cpu_s / 5,
        "rps_per_cpu": (requests - errors) / cpu_s,
        "cpu_s_per_1k": 1000 * cpu_s / max(requests - errors, 1),
        "pod_mib_peak": 100.0,
        **extra,
    }


def results(fpm_open_p95=40.0, swoole_factor=3.5, skipped=None) -> dict:
    runs = []
    for rnd, (fpm_rps, fpm_cpu) in enumerate([(400, 5.0), (420, 5.0), (380, 5.0)], start=1):
        runs.append(run("fpm", "laravel", "ping", "closed", 32, rnd, fpm_rps, 90.0, fpm_cpu))
        runs.append(run("fpm", "ceiling", "ceiling", "closed", 32, rnd, 2 * fpm_rps, 20.0, fpm_cpu))
        runs.append(run("fpm", "laravel", "ping", "open", 200, rnd, 200, fpm_open_p95, 2.5))
        runs.append(run("fpm", "laravel", "ping", "recycling", 32, rnd, 390, 95.0, 5.0, recycling=500))
        if not skipped:
            runs.append(
                run("swoole", "laravel", "ping", "closed", 32, rnd, fpm_rps * swoole_factor, 30.0, fpm_cpu)
            )
            runs.append(run("swoole", "laravel", "ping", "open", 200, rnd, 200, 8.0, 0.8))
    rows = summarize(runs)
    skipped = skipped or {}
    variants = ["fpm"] + ([] if skipped else ["swoole"])
    return {
        "meta": {
            "started": "2026-12-02T00:00:00+00:00",
            "machine": {
                "cpu_model": "Test CPU",
                "cores": 2,
                "memory_gib": 8,
                "kernel": "6.1",
                "docker": "20.10",
            },
            "limits": "1 CPU",
            "load": "vegeta",
            "skipped": skipped,
            "routes": {"ping": {"method": "GET", "path": "/api/ping", "what": "floor"}},
        },
        "summary": rows,
        "verdicts": verdicts(rows, variants, skipped),
        "resources": {
            "fpm-laravel": {
                "startup_to_first_200_s": 2.1,
                "workers": 4,
                "worker_rss_mib_median": 26.0,
                "worker_rss_mib_max": 27.5,
                "pod_mib_steady": 90.0,
                "pod_mib_peak": 120.0,
            }
        },
        "memory": {"fpm-laravel": [[0.0, 80.0], [0.5, 90.0]]},
        "runs": runs,
    }


def test_rounds_become_medians_with_their_range_and_the_ceiling_share():
    data = results()
    fpm = next(
        r for r in data["summary"] if (r["variant"], r["kind"], r["mode"]) == ("fpm", "laravel", "closed")
    )
    assert fpm["rounds"] == 3
    assert fpm["rps"] == 400
    assert fpm["rps_range"] == [380, 420]
    assert fpm["requests"] == 2000 + 2100 + 1900
    recycling = next(r for r in data["summary"] if r["mode"] == "recycling")
    assert recycling["recycling"] == 500


def test_the_verdicts_pass_within_the_targets_and_fail_outside_them():
    passing = {v["criterion"]: v for v in results(fpm_open_p95=40.0, swoole_factor=3.5)["verdicts"]}
    assert passing["perf-fpm-p95"]["verdict"] == "PASS"
    assert passing["perf-fpm-p95"]["value_ms"] == 40.0
    assert passing["perf-swoole-p95"]["verdict"] == "PASS"
    assert passing["perf-swoole-vs-fpm"]["value"] == pytest.approx(3.5)
    assert passing["perf-swoole-vs-fpm"]["verdict"] == "PASS"
    failing = {v["criterion"]: v for v in results(fpm_open_p95=150.0, swoole_factor=2.0)["verdicts"]}
    assert failing["perf-fpm-p95"]["verdict"] == "FAIL"
    assert failing["perf-swoole-vs-fpm"]["verdict"] == "FAIL"
    assert TARGETS == {"fpm_p95_ms": 100.0, "swoole_p95_ms": 50.0, "swoole_vs_fpm_rps_per_cpu": 3.0}


def test_a_skipped_runtime_has_its_reason_in_every_verdict_and_no_ratio(tmp_path):
    data = results(skipped={"swoole": "swoole: not here"})
    by = {v["criterion"]: v for v in data["verdicts"]}
    assert by["perf-swoole-p95"] == {
        "criterion": "perf-swoole-p95",
        "verdict": "SKIP",
        "note": "swoole: not here",
    }
    assert by["perf-swoole-vs-fpm"]["verdict"] == "SKIP"
    write_table(data, tmp_path / "results.md")
    table = (tmp_path / "results.md").read_text()
    assert "**swoole: SKIP** — swoole: not here" in table
    assert "| perf-swoole-vs-fpm | swoole: not here | | | SKIP |" in table


def test_the_table_and_the_plots_are_written_from_results_json(tmp_path):
    data = results()
    (tmp_path / "results.json").write_text(json.dumps(data))
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.plots", str(tmp_path / "results.json")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    table = (tmp_path / "results.md").read_text()
    # ping at 400 rps is 50 % of the 800 rps hello world of the same runtime
    assert "| ping | fpm | 32 | 400 (380-420) |" in table
    assert "| 50 % |" in table
    assert "| fpm | 500 | 390 |" in table
    pngs = {p.name for p in write_plots(data, tmp_path)}
    assert pngs == {
        "throughput-vs-concurrency.png",
        "latency-percentiles.png",
        "recycling-p99.png",
        "memory-over-time.png",
    }
    for name in pngs:
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


REFERENCE = ROOT / "benchmarks" / "results" / "reference"


@pytest.mark.criterion("fpm-vs-swoole-comparison")
def test_the_committed_reference_run_is_what_its_results_json_says(tmp_path):
    # the table is regenerated from the run's own numbers: nothing in it is typed by hand
    data = json.loads((REFERENCE / "results.json").read_text())
    for extra in ("tuning.json", "cluster.json"):  # the sections the table adds from them
        (tmp_path / extra).write_text((REFERENCE / extra).read_text())
    write_table(data, tmp_path / "results.md")
    assert (tmp_path / "results.md").read_text() == (REFERENCE / "results.md").read_text()
    assert summarize(data["runs"]) == data["summary"]
    variants = [v for v in ("fpm", "swoole") if v not in data["meta"]["skipped"]]
    assert verdicts(data["summary"], variants, data["meta"]["skipped"]) == data["verdicts"]
    assert {"cpu_model", "cores", "kernel"} <= set(data["meta"]["machine"])
    for name in (
        "throughput-vs-concurrency.png",
        "latency-percentiles.png",
        "recycling-p99.png",
        "memory-over-time.png",
    ):
        assert (REFERENCE / name).read_bytes()[:4] == b"\x89PNG", name
    # every route at every concurrency, the ceiling beside them, recycling at three settings
    closed = {
        (r["route"], r["load"]) for r in data["summary"] if r["mode"] == "closed" and r["kind"] == "laravel"
    }
    assert closed == {(route, c) for route in data["meta"]["routes"] for c in (1, 8, 32, 128)}
    assert all(r["errors"] == 0 for r in data["summary"]), [r for r in data["summary"] if r["errors"]]
    readme = (ROOT / "README.md").read_text() + (ROOT / "docs" / "SWOOLE-VS-FPM.md").read_text()
    assert "benchmarks/results/reference/results.md" in readme


@pytest.mark.criterion("fpm-vs-swoole-comparison")
def test_the_reference_run_has_the_tuning_steps_and_the_in_cluster_run_with_their_numbers():
    from benchmarks.cluster import summarize as cluster_summary
    from benchmarks.tuning import STEPS

    tuning = json.loads((REFERENCE / "tuning.json").read_text())
    routes = {r["route"] for r in tuning["summary"]}
    assert {(r["route"], r["step"]) for r in tuning["summary"]} == {
        (route, s) for route in routes for s in STEPS
    }
    assert all(r["errors"] == 0 for r in tuning["summary"])
    # preloading is on in the shipped image and really linked the hot path
    assert tuning["opcache"]["shipped"]["classes"] >= 300, tuning["opcache"]["shipped"]
    assert tuning["opcache"]["preload off"]["classes"] == 0
    assert tuning["opcache"]["JIT tracing"]["jit"] is True
    cluster = json.loads((REFERENCE / "cluster.json").read_text())
    assert cluster_summary(cluster["runs"]) == cluster["summary"]
    assert cluster["summary"], "no in-cluster run"
    assert all(r["errors"] == 0 and r["requests"] > 0 for r in cluster["summary"]), cluster["summary"]
    # kubectl top of the web pods during the load, for every runtime that ran
    ran = {r["variant"] for r in cluster["summary"]}
    assert ran == {v for v, samples in cluster["top"].items() if samples}
    assert set(cluster["meta"]["skipped"]) | ran == {"fpm", "swoole"}
