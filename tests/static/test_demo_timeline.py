"""The demos' timeline (benchmarks/timeline.py) on made-up probe logs in the format of
benchmarks/curl-format.txt: failures counted (no answer, 5xx), per-second buckets, the events
marked, a PNG drawn; and scripts/demo/rollout.sh refusing bad input in one line before it touches
a cluster."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from benchmarks import timeline
from tests.repo import ROOT

pytestmark = [pytest.mark.static, pytest.mark.criterion("demo-rollout")]

ROLLOUT_SH = ROOT / "scripts" / "demo" / "rollout.sh"
START = 1_796_000_000.0


def probe(at: float, code: int = 200, total: float = 0.012, error: int = 0) -> str:
    return f"{START + at:.6f} code={code:03d} connect=0.001 ttfb={total} total={total} bytes=39 error={error}"


def test_the_curl_format_gives_every_field_the_timeline_reads():
    fmt = (ROOT / "benchmarks" / "curl-format.txt").read_text()
    fields = set(re.findall(r"(\w+)=%\{", fmt))
    assert {"code", "total", "error"} <= fields, fields
    # what curl prints for that format parses (an answer and a connection refused)
    line = fmt.replace("%{http_code}", "200").replace("%{exitcode}", "0").replace("\\n", "")
    line = re.sub(r"%\{\w+\}", "0.5", line)
    assert timeline.parse_probe_line(f"{START} {line}").code == 200


def test_failures_are_no_answer_or_5xx_and_4xx_is_an_answer():
    lines = [probe(0), probe(0.5, 404), probe(1.0, 503), probe(1.5, 0, 0.0, 7), probe(2.0, 200, 0.4)]
    tl = timeline.Timeline([timeline.parse_probe_line(line) for line in lines])
    summary = tl.summary()
    assert summary["requests"] == 5
    assert summary["failed"] == 2
    assert summary["statuses"] == {"0": 1, "200": 2, "404": 1, "503": 1}
    assert summary["failed_at"] == [1.0, 1.5]
    assert [r["requests"] for r in tl.per_second()] == [2, 2, 1]
    assert tl.per_second()[2]["p95_ms"] == pytest.approx(400)


def test_a_line_that_is_not_a_probe_is_refused_with_the_line():
    with pytest.raises(ValueError, match=r"not a probe line.*'HTTP/1\.1 200 OK'"):
        timeline.parse_probe_line("HTTP/1.1 200 OK")


def test_the_timeline_draws_a_png_with_its_events_and_writes_the_summary(tmp_path):
    probes = tmp_path / "p.log"
    probes.write_text("\n".join(probe(i / 10, 502 if i == 31 else 200) for i in range(60)) + "\n")
    events = tmp_path / "events"
    events.write_text(f"{START + 1.2} web rollout to 2.0.0\n{START + 4.4} rollout complete\n")
    out = tmp_path / "demo" / "rollout.png"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.timeline", str(probes), str(events), str(out), "--title", "t"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = json.loads(out.with_suffix(".json").read_text())
    assert summary["failed"] == 1
    assert [e["label"] for e in summary["events"]] == ["web rollout to 2.0.0", "rollout complete"]
    assert summary["events"][0]["at"] == pytest.approx(1.2)


def test_an_empty_probe_log_is_a_one_line_reason(tmp_path):
    empty = tmp_path / "p.log"
    empty.write_text("")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.timeline",
            str(empty),
            str(tmp_path / "e"),
            str(tmp_path / "o.png"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("timeline: ")
    assert "no probe line" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        ([], "error: usage: scripts/demo/rollout.sh VERSION [--broken] (e.g. 2.0.0)"),
        (["2.0.0", "--fast"], "error: unknown option --fast (scripts/demo/rollout.sh VERSION [--broken])"),
        (["2.0.0/../x"], "error: VERSION 2.0.0/../x is not an image tag"),
        (["2.0.0"], "error: no kubeconfig /nonexistent/kubeconfig: make cluster (or make verify) first"),
    ],
)
def test_the_rollout_demo_refuses_bad_input_in_one_line(args, reason):
    proc = subprocess.run(
        [str(ROLLOUT_SH), *args],
        capture_output=True,
        text=True,
        timeout=30,
        env=dict(os.environ, LKS_KUBECONFIG="/nonexistent/kubeconfig"),
    )
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [reason]


def test_every_picture_demo_md_shows_is_a_committed_png():
    text = (ROOT / "DEMO.md").read_text()
    pictures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(pictures) >= 4, pictures
    for picture in pictures:
        assert (ROOT / picture).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", picture
