"""benchmarks/report.py turns interleaved rounds into medians, a per-CPU ratio, a table and a plot."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.repo import ROOT

pytestmark = pytest.mark.static

ROUNDS = Path(__file__).parent / "data" / "bench-rounds.jsonl"


def run_report(rounds: Path, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "report.py"), str(rounds), str(out)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_report_takes_medians_and_compares_throughput_per_cpu(tmp_path):
    proc = run_report(ROUNDS, tmp_path)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((tmp_path / "results.json").read_text())["summary"]
    assert summary["fpm"]["rps"] == 425.0
    assert summary["swoole"]["rps"] == 850.0
    assert summary["swoole"]["cpu_pct"] == 75.0
    assert summary["swoole"]["errors"] == 1
    # 850 rps on 0.75 CPU vs 425 rps on 1 CPU
    assert summary["ratio"]["swoole_vs_fpm_rps_per_cpu"] == pytest.approx((850 / 0.75) / 425)
    table = (tmp_path / "results.md").read_text()
    assert "| fpm | 425 |" in table
    assert "2.67x" in table
    svg = ET.parse(tmp_path / "results.svg").getroot()
    assert len([e for e in svg.iter() if e.tag.endswith("rect")]) == 1 + 4  # background + 2 panels x 2 bars


def test_a_skipped_variant_is_reported_with_its_reason_and_no_ratio(tmp_path):
    rounds = tmp_path / "rounds.jsonl"
    lines = [line for line in ROUNDS.read_text().splitlines() if '"swoole"' not in line]
    lines.append(json.dumps({"variant": "swoole", "skipped": "swoole: not here"}))
    rounds.write_text("\n".join(lines) + "\n")
    assert run_report(rounds, tmp_path / "out").returncode == 0
    summary = json.loads((tmp_path / "out" / "results.json").read_text())["summary"]
    assert summary["swoole"] == {"skipped": "swoole: not here"}
    assert "ratio" not in summary
    assert "SKIP: swoole: not here" in (tmp_path / "out" / "results.md").read_text()


def test_the_report_refuses_an_empty_rounds_file(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    proc = run_report(empty, tmp_path / "out")
    assert proc.returncode == 1
    assert "no rounds" in proc.stderr
