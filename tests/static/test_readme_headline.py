"""The README's first screen says what the committed reference results say (benchmarks/headline.py):
its headline block is generated from results.json and acceptance-k8s.json, so a number typed by
hand, or results re-run without rewriting the block, fails here."""

from __future__ import annotations

import copy
import json

import pytest

from benchmarks import headline
from tests.repo import ROOT

pytestmark = pytest.mark.static


@pytest.fixture(scope="module")
def committed() -> tuple[dict, dict]:
    return json.loads(headline.RESULTS.read_text()), json.loads(headline.K8S.read_text())


def test_the_readme_headline_block_is_what_the_committed_results_say(committed):
    block = headline.current_block(headline.README.read_text())
    assert block == headline.render(*committed), (
        "README.md's headline block differs from the committed results: "
        ".venv/bin/python -m benchmarks.headline --write"
    )


def test_the_headline_is_on_the_first_screen_after_the_two_commands():
    lines = headline.README.read_text().splitlines()
    first_command = next(i for i, line in enumerate(lines) if line.startswith("make verify"))
    assert first_command < 12, "the two commands for a fresh machine come first"
    assert any(headline.START in line for line in lines[:45]), "the headline block is on the first screen"


def test_the_headline_picture_is_a_committed_png(committed):
    picture = ROOT / headline.PICTURE
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", picture


def test_every_headline_row_carries_its_target_and_a_verdict(committed):
    rows = [
        line
        for line in headline.render(*committed).splitlines()
        if line.startswith("| ") and "---" not in line
    ]
    assert len(rows) == 1 + 3 + len(headline.K8S_ROWS)
    for row in rows[1:]:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[3], row  # target
        assert cells[4].split()[0] in {"PASS", "PARTIAL", "FAIL", "SKIP"}, row


def test_a_changed_result_changes_the_block(committed):
    results, k8s = copy.deepcopy(committed[0]), copy.deepcopy(committed[1])
    before = headline.render(results, k8s)
    worst = max((v for v in results["verdicts"] if "value_ms" in v), key=lambda v: v["value_ms"])
    worst["value_ms"] = 150.0
    worst["verdict"] = "FAIL"
    changed = headline.render(results, k8s)
    assert changed != before
    assert "| 150 ms |" in changed
    assert "| FAIL |" in changed


def test_the_snapshot_keeps_only_the_metrics_of_its_commit_and_refuses_a_report_without_the_k8s_rows():
    report = {
        "generated": "2026-12-03T06:00:00+00:00",
        "source": {"commit": "a" * 40, "dirty": False},
        "criteria": [
            {
                "id": criterion,
                "title": criterion,
                "target": {"op": "<", "value": 30, "unit": "s"},
                "status": "PARTIAL",
                "columns": {"fpm": {"status": "PASS", "note": ""}, "swoole": {"status": "SKIP", "note": "x"}},
                "measured": {"fpm": 12.0, "swoole": None},
                "metrics": [
                    {"name": metric or "m", "value": 12.0, "unit": "s", "variant": "fpm", "commit": "a" * 40},
                    {"name": "old", "value": 99.0, "unit": "s", "variant": "fpm", "stale": True},
                ],
            }
            for criterion, _, metric in headline.K8S_ROWS
        ],
    }
    kept = headline.snapshot(report)
    assert all(len(c["metrics"]) == 1 for c in kept["criteria"])
    with pytest.raises(ValueError, match="no row"):
        headline.snapshot(report | {"criteria": report["criteria"][1:]})
