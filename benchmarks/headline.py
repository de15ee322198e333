"""The README's headline numbers, read from the committed reference results, never typed by hand:
the container benchmark (benchmarks/results/reference/results.json: FPM p95, Swoole p95 and the
Swoole/FPM ratio or their SKIP) and the k8s tier's success metrics of one acceptance run
(benchmarks/results/reference/acceptance-k8s.json: HPA decision, rollout failures, deploy and
rollback time), each beside its target and verdict.

    .venv/bin/python -m benchmarks.headline --snapshot reports/acceptance.json   keep a k8s run's metrics
    .venv/bin/python -m benchmarks.headline --write                              rewrite the README block
    .venv/bin/python -m benchmarks.headline --check                              exit 1 when it differs

The block sits between the README's two HEADLINE markers; tests/static/test_readme_headline.py
fails when it is not what the committed results say.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "benchmarks" / "results" / "reference"
RESULTS = REFERENCE / "results.json"
K8S = REFERENCE / "acceptance-k8s.json"
README = ROOT / "README.md"
PICTURE = "benchmarks/results/reference/throughput-vs-concurrency.png"
START, END = "<!-- HEADLINE:START (benchmarks/headline.py --write) -->", "<!-- HEADLINE:END -->"
VARIANTS = ("fpm", "swoole")

# the k8s tier's criteria the headline shows, with the metric of each that is its number
# (None: the worst value in the target's unit, as the acceptance report decides it)
K8S_ROWS: list[tuple[str, str, str | None]] = [
    ("hpa-reaction", "HPA scale-out decision after load starts", None),
    (
        "zero-downtime-rollout",
        "failed requests through 3 rollouts under load",
        "failed requests (connection errors + 5xx)",
    ),
    ("deploy-time", "deploy (migrations + rollout)", None),
    ("rollback-time", "rollback of a broken release until Ready", None),
]


@dataclass
class Line:
    what: str
    cells: dict[str, str]  # variant -> measured value or SKIP
    target: str
    verdict: str


def _fmt(value: float, unit: str) -> str:
    text = f"{value:.0f}" if unit == "requests" or abs(value) >= 100 else f"{value:.3g}"
    return f"{text} {unit}".strip()


def snapshot(report: dict) -> dict:
    """The k8s success metrics of an acceptance report (reports/acceptance.json), with its commit."""
    wanted = {criterion for criterion, _, _ in K8S_ROWS}
    rows = [c for c in report["criteria"] if c["id"] in wanted]
    missing = wanted - {c["id"] for c in rows}
    if missing:
        raise ValueError(
            f"the report has no row {sorted(missing)}: is it an acceptance report of the k8s tier?"
        )
    kept = []
    for c in rows:
        metrics = [m for m in c.get("metrics", []) if not m.get("stale")]
        if not metrics:
            raise ValueError(f"{c['id']}: no metric of this commit in the report (did the k8s tier run?)")
        kept.append(
            {k: c[k] for k in ("id", "title", "target", "status", "columns", "measured")}
            | {
                "metrics": [
                    {k: m.get(k) for k in ("name", "value", "unit", "variant", "commit")} for m in metrics
                ]
            }
        )
    return {"generated": report["generated"], "source": report["source"], "criteria": kept}


def _benchmark_lines(results: dict) -> list[Line]:
    verdicts = results["verdicts"]
    skipped = results["meta"].get("skipped", {})
    lines = []
    fpm = [v for v in verdicts if v["criterion"] == "perf-fpm-p95" and "value_ms" in v]
    if not fpm:
        raise ValueError(f"{RESULTS.name}: no perf-fpm-p95 verdict")
    worst = max(fpm, key=lambda v: v["value_ms"])
    lines.append(
        Line(
            f"p95, {worst['what'].removeprefix('p95 of ')} (worst route, container benchmark)",
            {"fpm": _fmt(worst["value_ms"], "ms")},
            f"< {worst['target_ms']:g} ms",
            "PASS" if all(v["verdict"] == "PASS" for v in fpm) else "FAIL",
        )
    )
    for criterion, what, target in [
        ("perf-swoole-p95", "p95, same routes (container benchmark)", "< 50 ms"),
        ("perf-swoole-vs-fpm", "throughput per CPU, Swoole / FPM", ">= 3x"),
    ]:
        found = [v for v in verdicts if v["criterion"] == criterion]
        if not found or found[0]["verdict"] == "SKIP":
            reason = found[0].get("note") if found else skipped.get("swoole", "not run")
            lines.append(Line(what, {"swoole": f"SKIP: {reason}"}, target, "SKIP"))
            continue
        value_key = "value_ms" if "value_ms" in found[0] else "value"
        worst = (
            max(found, key=lambda v: v[value_key])
            if value_key == "value_ms"
            else min(found, key=lambda v: v[value_key])
        )
        unit = "ms" if value_key == "value_ms" else "x"
        verdict = "PASS" if all(v["verdict"] == "PASS" for v in found) else "FAIL"
        lines.append(Line(what, {"swoole": _fmt(worst[value_key], unit)}, target, verdict))
    return lines


def _k8s_lines(k8s: dict) -> list[Line]:
    by_id = {c["id"]: c for c in k8s["criteria"]}
    lines = []
    for criterion, what, metric in K8S_ROWS:
        row = by_id[criterion]
        cells = {}
        for variant in VARIANTS:
            column = row["columns"].get(variant)
            if column is None:
                continue
            if column["status"] == "SKIP":
                cells[variant] = "SKIP"
                continue
            values = [m for m in row["metrics"] if m["variant"] in (variant, None)]
            if metric is not None:
                chosen = [m for m in values if m["name"] == metric]
                cells[variant] = _fmt(max(m["value"] for m in chosen), chosen[0]["unit"]) if chosen else "-"
            elif row["measured"].get(variant) is not None:
                cells[variant] = _fmt(row["measured"][variant], row["target"]["unit"])
            else:
                cells[variant] = "-"
        target = row["target"]
        target_text = f"{target['op']} {target['value']:g} {target['unit']}" if target else "0 requests"
        if metric is not None and not target:
            failed = [m["value"] for m in row["metrics"] if m["name"] == metric]
            verdict = "PASS" if failed and max(failed) == 0 and row["status"] != "FAIL" else "FAIL"
        else:
            verdict = row["status"]
        lines.append(Line(what, cells, target_text, verdict))
    return lines


def render(results: dict, k8s: dict) -> str:
    """The README block: the picture, then one table row per headline number."""
    bench_commit = results["meta"].get("commit", "")
    k8s_commit = k8s["source"]["commit"][:7]
    out = [
        START,
        f"![FPM requests/s against concurrency, 1 CPU per runtime, with the runtime's own ceiling]({PICTURE})",
        "",
        "| headline (last reference run) | FPM | Swoole | target | verdict |",
        "|---|---|---|---|---|",
    ]
    for line in _benchmark_lines(results) + _k8s_lines(k8s):
        skip_note = next((c for c in line.cells.values() if c.startswith("SKIP: ")), None)
        cells = [line.cells.get(v, "") for v in VARIANTS]
        cells = ["SKIP" if c.startswith("SKIP: ") else c for c in cells]
        verdict = line.verdict + (f" ({skip_note.removeprefix('SKIP: ')})" if skip_note else "")
        out.append(f"| {line.what} | {cells[0]} | {cells[1]} | {line.target} | {verdict} |")
    out += [
        "",
        f"Benchmark: `make bench` run of {results['meta']['started'][:10]}"
        + (f" (commit {bench_commit[:7]})" if bench_commit else "")
        + ", [results.md](benchmarks/results/reference/results.md); k8s rows: the acceptance run of "
        f"{k8s['generated'][:10]} at commit {k8s_commit} ([acceptance-k8s.json]"
        "(benchmarks/results/reference/acceptance-k8s.json)). Swoole SKIP: offline the extension "
        "cannot be installed; the online profile runs it (docs/ONLINE.md).",
        END,
    ]
    return "\n".join(out)


def current_block(text: str) -> str:
    if START not in text or END not in text:
        raise ValueError(f"README.md has no {START} ... {END} block")
    return text[text.index(START) : text.index(END) + len(END)]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument(
        "--snapshot", type=Path, metavar="ACCEPTANCE_JSON", help=f"write {K8S.name} from a report"
    )
    group.add_argument("--write", action="store_true", help="rewrite the README block")
    group.add_argument("--check", action="store_true", help="exit 1 when the README block is not current")
    args = parser.parse_args(argv)
    try:
        if args.snapshot:
            K8S.write_text(json.dumps(snapshot(json.loads(args.snapshot.read_text())), indent=2) + "\n")
            print(f"wrote {K8S.relative_to(ROOT)}")
            return 0
        block = render(json.loads(RESULTS.read_text()), json.loads(K8S.read_text()))
        text = README.read_text()
        old = current_block(text)
    except (OSError, ValueError, KeyError) as exc:
        print(f"headline: {exc}", file=sys.stderr)
        return 2
    if args.check:
        if old != block:
            print(
                "README.md's headline block is not what the committed results say: run --write",
                file=sys.stderr,
            )
            return 1
        return 0
    README.write_text(text.replace(old, block))
    print("README.md headline block rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
