"""The dashboards as pictures, without Grafana (AGPL, not packaged here): every panel of a
dashboard JSON of monitoring/grafana/dashboards queried over a time range from a live Prometheus
(query_range of the panel's own PromQL, its variables filled in as Grafana would) and drawn with
matplotlib, one PNG per dashboard, the panels' titles, units and legend formats from the JSON.

    .venv/bin/python -m monitoring.grafana.render --prometheus http://127.0.0.1:9090 \
        --out artifacts/dashboards [--minutes 15] [--namespace laravel]

(a Prometheus on 127.0.0.1: `kubectl -n monitoring port-forward svc/prometheus 9090`). The k8s
tier renders them from the cluster's Prometheus (tests/k8s/test_observability.py) and fails when
a panel of the deployed runtime drew no series.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from monitoring.grafana.panels import load, panels, substitute

DASHBOARDS = Path(__file__).resolve().parent / "dashboards"
COLUMNS = 3
MAX_LEGEND = 6
# Grafana's unit ids the dashboards use -> the axis label
UNITS = {
    "reqps": "req/s",
    "s": "s",
    "ms": "ms",
    "bytes": "bytes",
    "decbytes": "bytes",
    "percentunit": "fraction (0-1)",
    "percent": "%",
    "short": "",
    "none": "",
    "ops": "ops/s",
}
# query_range(expr, start, end, step) -> Prometheus' matrix result: [{"metric": {...}, "values": [[t, "v"], ...]}]
QueryRange = Callable[[str, float, float, float], list[dict]]


@dataclass
class PanelResult:
    title: str
    series: int = 0  # series with at least one finite point
    points: int = 0
    errors: list[str] = field(default_factory=list)


def legend(fmt: str, labels: dict[str, str], fallback: str) -> str:
    """Grafana's legendFormat: {{label}} replaced by the series' label value."""
    if not fmt or fmt == "__auto":
        return fallback
    text = re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: labels.get(m.group(1), ""), fmt).strip()
    return text or fallback


def unit_of(panel: dict) -> str:
    unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit", "")
    return UNITS.get(unit, unit)


def render(
    dashboard: dict,
    query_range: QueryRange,
    out: Path,
    variables: dict[str, str],
    start: float,
    end: float,
    step: float = 15,
) -> list[PanelResult]:
    """Query every panel of `dashboard` over [start, end] and draw them into `out` (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    drawn = [p for p in panels(dashboard) if p.get("targets")]
    rows = max(1, math.ceil(len(drawn) / COLUMNS))
    fig, axes = plt.subplots(rows, COLUMNS, figsize=(5.2 * COLUMNS, 2.9 * rows), squeeze=False)
    results = []
    for ax, panel in zip(axes.flat, drawn, strict=False):
        result = PanelResult(panel.get("title", ""))
        lines = 0
        for target in panel["targets"]:
            expr = substitute(target.get("expr", ""), variables)
            try:
                matrix = query_range(expr, start, end, step)
            except (OSError, ValueError) as exc:
                result.errors.append(f"{target.get('refId', '?')}: {exc}")
                continue
            for series in matrix:
                points = [(float(t) - end, float(v)) for t, v in series["values"] if math.isfinite(float(v))]
                if not points:
                    continue
                result.series += 1
                result.points += len(points)
                label = legend(target.get("legendFormat", ""), series["metric"], target.get("refId", ""))
                ax.plot(
                    [t / 60 for t, _ in points],
                    [v for _, v in points],
                    label=label if lines < MAX_LEGEND else None,
                    linewidth=1.2,
                )
                lines += 1
        ax.set_title(result.title, fontsize=9)
        ax.set_ylabel(unit_of(panel), fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        if result.series == 0:
            ax.text(
                0.5,
                0.5,
                "no data" if not result.errors else "query error",
                ha="center",
                va="center",
                transform=ax.transAxes,
                color="grey",
            )
        elif lines:
            ax.legend(fontsize=6, loc="upper left")
        results.append(result)
    for ax in list(axes.flat)[len(drawn) :]:
        ax.axis("off")
    for ax in axes[-1]:
        ax.set_xlabel("minutes before the end", fontsize=8)
    fig.suptitle(f"{dashboard.get('title', out.stem)} (rendered from Prometheus, {len(drawn)} panels)")
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.35 / (2.9 * rows)))
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=90)
    plt.close(fig)
    return results


def http_query_range(base_url: str, timeout: float = 30) -> QueryRange:
    """query_range against a Prometheus HTTP API at base_url."""

    def query(expr: str, start: float, end: float, step: float) -> list[dict]:
        params = urllib.parse.urlencode({"query": expr, "start": start, "end": end, "step": step})
        with urllib.request.urlopen(
            f"{base_url.rstrip('/')}/api/v1/query_range?{params}", timeout=timeout
        ) as r:
            body = json.loads(r.read())
        if body.get("status") != "success":
            raise ValueError(f"{body.get('errorType')}: {body.get('error')}")
        return body["data"]["result"]

    return query


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description="render the dashboards' panels to PNG from a live Prometheus"
    )
    parser.add_argument("--prometheus", required=True, help="base URL, e.g. http://127.0.0.1:9090")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--minutes", type=float, default=15)
    parser.add_argument("--namespace", default="laravel")
    args = parser.parse_args(argv)
    end = time.time()
    variables = {"namespace": args.namespace, "pod": ".*", "__rate_interval": "1m", "__interval": "15s"}
    query = http_query_range(args.prometheus)
    empty = 0
    for path in sorted(DASHBOARDS.glob("*.json")):
        out = args.out / f"{path.stem}.png"
        try:
            results = render(
                load(path),
                query,
                out,
                variables | {"__range": f"{int(args.minutes)}m"},
                end - 60 * args.minutes,
                end,
            )
        except OSError as exc:
            print(f"render: {args.prometheus}: {exc}", file=sys.stderr)
            return 2
        without = [r.title for r in results if not r.series]
        empty += len(without)
        print(
            f"{out}: {len(results) - len(without)}/{len(results)} panels with data"
            + (f"; without: {', '.join(without)}" if without else "")
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
