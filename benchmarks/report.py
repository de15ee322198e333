#!/usr/bin/env python3
"""Turn benchmark rounds (JSON lines from compare.sh) into a results table and an SVG plot.

Usage: report.py ROUNDS.jsonl OUTDIR
Each line: {"variant": "fpm", "round": 1, "rps": 412.3, "p50_ms": .., "p95_ms": .., "p99_ms": ..,
            "errors": 0, "requests": 3000, "cpu_pct": 98.1, "mem_mib": 120.4}
or {"variant": "swoole", "skipped": "reason"}.
Writes OUTDIR/results.md, OUTDIR/results.json and OUTDIR/results.svg (no plotting library needed).
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

FIELDS = ("rps", "p50_ms", "p95_ms", "p99_ms", "cpu_pct", "mem_mib")


def summarize(rows: list[dict]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for variant in sorted({r["variant"] for r in rows}):
        mine = [r for r in rows if r["variant"] == variant]
        skipped = [r["skipped"] for r in mine if "skipped" in r]
        measured = [r for r in mine if "skipped" not in r]
        if skipped and not measured:
            out[variant] = {"skipped": skipped[0]}
            continue
        s = {f: statistics.median(r[f] for r in measured) for f in FIELDS}
        s["rounds"] = len(measured)
        s["requests"] = sum(r["requests"] for r in measured)
        s["errors"] = sum(r["errors"] for r in measured)
        s["rps_range"] = [min(r["rps"] for r in measured), max(r["rps"] for r in measured)]
        s["rps_per_cpu"] = s["rps"] / max(s["cpu_pct"] / 100.0, 0.01)
        out[variant] = s
    if "rps_per_cpu" in out.get("fpm", {}) and "rps_per_cpu" in out.get("swoole", {}):
        out["ratio"] = {"swoole_vs_fpm_rps_per_cpu": out["swoole"]["rps_per_cpu"] / out["fpm"]["rps_per_cpu"]}
    return out


def markdown(summary: dict, meta: dict) -> str:
    lines = [
        "# FPM vs Swoole",
        "",
        f"Endpoint `{meta.get('endpoint')}`, limits {meta.get('limits')}, {meta.get('load')}; medians of interleaved rounds.",
        "",
        "| variant | rps (median) | rps range | p50 ms | p95 ms | p99 ms | CPU % | memory MiB | rps per CPU | requests | errors |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for variant in ("fpm", "swoole"):
        s = summary.get(variant)
        if s is None:
            continue
        if "skipped" in s:
            lines.append(f"| {variant} | SKIP: {s['skipped']} |||||||||| ")
            continue
        lines.append(
            f"| {variant} | {s['rps']:.0f} | {s['rps_range'][0]:.0f}-{s['rps_range'][1]:.0f} | {s['p50_ms']:.1f} | "
            f"{s['p95_ms']:.1f} | {s['p99_ms']:.1f} | {s['cpu_pct']:.0f} | {s['mem_mib']:.0f} | "
            f"{s['rps_per_cpu']:.0f} | {s['requests']} | {s['errors']} |"
        )
    if "ratio" in summary:
        lines += [
            "",
            f"Swoole / FPM throughput per CPU: **{summary['ratio']['swoole_vs_fpm_rps_per_cpu']:.2f}x**",
        ]
    return "\n".join(lines) + "\n"


def svg(summary: dict) -> str:
    """Grouped bars: rps (left axis) and p95 latency (right panel), one colour per variant."""
    variants = [v for v in ("fpm", "swoole") if v in summary and "skipped" not in summary[v]]
    colours = {"fpm": "#4c72b0", "swoole": "#dd8452"}
    width, height, pad = 640, 320, 50
    panels = [("throughput (rps)", "rps"), ("p95 latency (ms)", "p95_ms")]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
        '<rect width="100%" height="100%" fill="white"/>',
    ]
    panel_w = (width - pad) / len(panels)
    for i, (title, key) in enumerate(panels):
        x0 = pad / 2 + i * panel_w
        top = max([summary[v][key] for v in variants] + [1])
        parts.append(f'<text x="{x0 + panel_w / 2:.0f}" y="20" text-anchor="middle">{title}</text>')
        bar_w = (panel_w - 40) / max(len(variants), 1)
        for j, v in enumerate(variants):
            value = summary[v][key]
            h = (height - 2 * pad) * value / top
            x = x0 + 20 + j * bar_w
            y = height - pad - h
            parts.append(
                f'<rect x="{x:.0f}" y="{y:.0f}" width="{bar_w - 10:.0f}" height="{h:.0f}" fill="{colours[v]}"/>'
            )
            parts.append(
                f'<text x="{x + (bar_w - 10) / 2:.0f}" y="{y - 4:.0f}" text-anchor="middle">{value:.0f}</text>'
            )
            parts.append(
                f'<text x="{x + (bar_w - 10) / 2:.0f}" y="{height - pad + 16:.0f}" text-anchor="middle">{v}</text>'
            )
    skipped = [f"{v}: {summary[v]['skipped']}" for v in ("fpm", "swoole") if "skipped" in summary.get(v, {})]
    for k, text in enumerate(skipped):
        parts.append(f'<text x="10" y="{height - 12 - 14 * k}" fill="#888">{text}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: report.py ROUNDS.jsonl OUTDIR", file=sys.stderr)
        return 2
    rounds = Path(argv[1])
    outdir = Path(argv[2])
    rows = [json.loads(line) for line in rounds.read_text().splitlines() if line.strip()]
    meta = next((r for r in rows if r.get("meta")), {})
    rows = [r for r in rows if not r.get("meta")]
    if not rows:
        print(f"error: no rounds in {rounds}", file=sys.stderr)
        return 1
    summary = summarize(rows)
    outdir.mkdir(parents=True, exist_ok=True)
    (outdir / "results.json").write_text(
        json.dumps({"meta": meta, "summary": summary, "rounds": rows}, indent=2) + "\n"
    )
    (outdir / "results.md").write_text(markdown(summary, meta))
    (outdir / "results.svg").write_text(svg(summary))
    print((outdir / "results.md").read_text(), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
