"""A demo's probe log drawn over time (DEMO.md): one line per request, as the probe loop of
scripts/demo/*.sh writes them, `EPOCH_SECONDS` followed by the fields of benchmarks/curl-format.txt
(`code=200 connect=0.001 ttfb=0.012 total=0.012 bytes=39 error=0`), and an events file of
`EPOCH_SECONDS LABEL` lines (rollout started, rolled back, ...). Per second: requests, failed
requests (no answer, or 5xx), p50 and p95 latency; the events as vertical lines; the failed-request
count in the title.

    .venv/bin/python -m benchmarks.timeline PROBE_LOG EVENTS OUT.png --title "rollout to 2.0.0"

prints the summary (JSON: requests, failed, statuses, rps, p95, events) and writes it beside the
PNG as OUT.json.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Probe:
    at: float  # epoch seconds the request started
    code: int  # 0: no answer (curl error)
    total: float  # seconds
    error: int  # curl's exit code

    @property
    def failed(self) -> bool:
        return self.code == 0 or self.code >= 500 or self.error != 0


@dataclass
class Timeline:
    probes: list[Probe]
    events: list[tuple[float, str]] = field(default_factory=list)

    @property
    def start(self) -> float:
        return min([p.at for p in self.probes] + [t for t, _ in self.events])

    def summary(self) -> dict:
        failed = [p for p in self.probes if p.failed]
        span = max(p.at for p in self.probes) - min(p.at for p in self.probes) if self.probes else 0.0
        statuses: dict[str, int] = {}
        for p in self.probes:
            statuses[str(p.code)] = statuses.get(str(p.code), 0) + 1
        latencies = sorted(p.total for p in self.probes if not p.failed)
        return {
            "requests": len(self.probes),
            "failed": len(failed),
            "statuses": dict(sorted(statuses.items())),
            "seconds": round(span, 1),
            "rps": round(len(self.probes) / span, 1) if span else 0.0,
            "p50_ms": round(1000 * percentile(latencies, 50), 1) if latencies else None,
            "p95_ms": round(1000 * percentile(latencies, 95), 1) if latencies else None,
            "slowest_ms": round(1000 * latencies[-1], 1) if latencies else None,
            "failed_at": [round(p.at - self.start, 1) for p in failed][:50],
            "events": [{"at": round(t - self.start, 1), "label": label} for t, label in self.events],
        }

    def per_second(self) -> list[dict]:
        """One bucket per second since the start: requests, failed, p50 and p95 (ms) of the answers."""
        if not self.probes:
            return []
        start = self.start
        buckets: dict[int, list[Probe]] = {}
        for p in self.probes:
            buckets.setdefault(int(p.at - start), []).append(p)
        rows = []
        for second in range(max(buckets) + 1):
            probes = buckets.get(second, [])
            ok = sorted(p.total for p in probes if not p.failed)
            rows.append(
                {
                    "second": second,
                    "requests": len(probes),
                    "failed": sum(p.failed for p in probes),
                    "p50_ms": 1000 * percentile(ok, 50) if ok else math.nan,
                    "p95_ms": 1000 * percentile(ok, 95) if ok else math.nan,
                }
            )
        return rows


def percentile(sorted_values: list[float], pct: float) -> float:
    """The nearest-rank percentile of an already sorted list."""
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def parse_probe_line(line: str) -> Probe:
    """`EPOCH code=200 ... total=0.012 ... error=0`; ValueError with the line when it is not one."""
    parts = line.split()
    try:
        fields = dict(part.split("=", 1) for part in parts[1:])
        return Probe(
            float(parts[0]), int(fields["code"]), float(fields["total"]), int(fields.get("error", 0))
        )
    except (IndexError, KeyError, ValueError) as exc:
        raise ValueError(f"not a probe line ({exc}): {line!r}") from None


def read(probe_log: Path, events: Path | None = None) -> Timeline:
    probes = [parse_probe_line(line) for line in probe_log.read_text().splitlines() if line.strip()]
    marks = []
    if events and events.exists():
        for line in events.read_text().splitlines():
            if line.strip():
                at, _, label = line.partition(" ")
                marks.append((float(at), label.strip()))
    if not probes:
        raise ValueError(f"{probe_log}: no probe line: did the probe loop reach the Ingress?")
    return Timeline(probes, marks)


def draw(timeline: Timeline, out: Path, title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = timeline.per_second()
    summary = timeline.summary()
    seconds = [r["second"] for r in rows]
    fig, (ax_rps, ax_lat) = plt.subplots(2, 1, figsize=(9, 5.2), sharex=True)
    answered = [r["requests"] - r["failed"] for r in rows]
    ax_rps.bar(seconds, answered, width=1.0, align="edge", color="#4c72b0", label="answered")
    ax_rps.bar(
        seconds,
        [r["failed"] for r in rows],
        bottom=answered,
        width=1.0,
        align="edge",
        color="#c44e52",
        label="failed (no answer or 5xx)",
    )
    ax_rps.set_ylabel("requests / s")
    ax_rps.legend(fontsize=8, loc="lower left")
    centres = [s + 0.5 for s in seconds]
    ax_lat.plot(centres, [r["p50_ms"] for r in rows], color="#55a868", label="p50")
    ax_lat.plot(centres, [r["p95_ms"] for r in rows], color="#dd8452", label="p95")
    ax_lat.set_ylabel("latency (ms)")
    ax_lat.set_xlabel("seconds since the probe started")
    ax_lat.legend(fontsize=8, loc="upper left")
    for ax in (ax_rps, ax_lat):
        ax.grid(alpha=0.3)
        for event in summary["events"]:
            ax.axvline(event["at"], color="black", linestyle="--", linewidth=1)
    for event in summary["events"]:
        ax_rps.annotate(
            event["label"],
            (event["at"], 1),
            xycoords=("data", "axes fraction"),
            rotation=90,
            va="top",
            ha="right",
            fontsize=8,
        )
    fig.suptitle(
        f"{title}: {summary['failed']} failed of {summary['requests']} requests "
        f"({summary['rps']} req/s, p95 {summary['p95_ms']} ms)"
    )
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="draw a demo's probe log over time")
    parser.add_argument("probe_log", type=Path)
    parser.add_argument("events", type=Path)
    parser.add_argument("out", type=Path, help="the PNG; its summary goes beside it as .json")
    parser.add_argument("--title", default="probe")
    args = parser.parse_args(argv)
    try:
        timeline = read(args.probe_log, args.events)
    except (OSError, ValueError) as exc:
        print(f"timeline: {exc}", file=sys.stderr)
        return 2
    draw(timeline, args.out, args.title)
    summary = timeline.summary() | {"png": str(args.out)}
    args.out.with_suffix(".json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
