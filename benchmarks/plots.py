"""The benchmark's outputs from its results.json (benchmarks/bench.py): the results table with the
POC's targets and verdicts (results.md) and the plots (PNG, matplotlib).

    .venv/bin/python -m benchmarks.plots RESULTS.json   re-draws both next to the file
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

COLOURS = {"fpm": "#4c72b0", "swoole": "#dd8452"}


def rows_of(data: dict, **match) -> list[dict]:
    return [r for r in data["summary"] if all(r.get(k) == v for k, v in match.items())]


def ceiling_share(data: dict, variant: str, route: str, load: int) -> str:
    """The Laravel route's rps as % of the runtime's hello world at the same concurrency."""
    ceiling = rows_of(data, variant=variant, kind="ceiling", mode="closed", load=load)
    mine = rows_of(data, variant=variant, kind="laravel", route=route, mode="closed", load=load)
    if not ceiling or not mine or not ceiling[0]["rps"]:
        return "-"
    return f"{100 * mine[0]['rps'] / ceiling[0]['rps']:.0f} %"


def write_table(data: dict, path: Path) -> None:
    meta = data["meta"]
    m = meta["machine"]
    lines = [
        "# FPM vs Swoole benchmark",
        "",
        f"Run {meta['started']} on {m['cpu_model']}, {m['cores']} cores, {m['memory_gib']} GiB, kernel {m['kernel']}, Docker {m['docker']}.",
        f"Limits: {meta['limits']}. Load: {meta['load']}.",
        "",
    ]
    for variant, reason in meta.get("skipped", {}).items():
        lines += [f"**{variant}: SKIP** — {reason}", ""]
    lines += [
        "## Verdicts (POC targets)",
        "",
        "| criterion | measured | value | target | verdict |",
        "|---|---|---|---|---|",
    ]
    for v in data["verdicts"]:
        if v["verdict"] == "SKIP":
            lines.append(f"| {v['criterion']} | {v['note']} | | | SKIP |")
        elif "value_ms" in v:
            lines.append(
                f"| {v['criterion']} | {v['what']} | {v['value_ms']} ms | < {v['target_ms']:g} ms | {v['verdict']} |"
            )
        else:
            lines.append(
                f"| {v['criterion']} | {v['what']} | {v['value']}x | >= {v['target']:g}x | {v['verdict']} |"
            )
    lines += [
        "",
        "## Closed loop (N connections, each sends when answered): medians of the rounds",
        "",
        "| route | runtime | conns | rps (range) | p50 ms | p95 ms | p99 ms | CPU used | rps per CPU-s | CPU-s / 1k req | % of ceiling | errors |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in sorted(
        rows_of(data, mode="closed"),
        key=lambda r: (r["kind"] != "laravel", r["route"], r["load"], r["variant"]),
    ):
        share = (
            ceiling_share(data, r["variant"], r["route"], r["load"]) if r["kind"] == "laravel" else "100 %"
        )
        name = r["route"] if r["kind"] == "laravel" else "hello world (ceiling)"
        lines.append(
            f"| {name} | {r['variant']} | {r['load']} | {r['rps']:.0f} ({r['rps_range'][0]:.0f}-{r['rps_range'][1]:.0f}) | "
            f"{r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['p99_ms']:.1f} | {r['cpu_used']:.2f} | {r['rps_per_cpu']:.0f} | "
            f"{r['cpu_s_per_1k']:.2f} | {share} | {r['errors']} of {r['requests']} |"
        )
    open_rows = rows_of(data, mode="open")
    if open_rows:
        lines += [
            "",
            "## Open loop (a fixed arrival rate: half of FPM's best closed-loop rps on the route)",
            "",
            "| route | runtime | req/s offered | rps served | p50 ms | p95 ms (range) | p99 ms | CPU used | errors |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for r in sorted(open_rows, key=lambda r: (r["kind"] != "laravel", r["route"], r["variant"])):
            name = r["route"] if r["kind"] == "laravel" else "hello world (ceiling)"
            lines.append(
                f"| {name} | {r['variant']} | {r['load']} | {r['rps']:.0f} | {r['p50_ms']:.1f} | "
                f"{r['p95_ms']:.1f} ({r['p95_range'][0]:.1f}-{r['p95_range'][1]:.1f}) | {r['p99_ms']:.1f} | {r['cpu_used']:.2f} | {r['errors']} of {r['requests']} |"
            )
    recycling = rows_of(data, mode="recycling")
    if recycling:
        lines += [
            "",
            "## Worker recycling (/api/ping, 32 connections; max_requests 0 = off)",
            "",
            "| runtime | max_requests | rps | p50 ms | p95 ms | p99 ms | errors |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in sorted(recycling, key=lambda r: (r["variant"], r["recycling"] or 10**9)):
            lines.append(
                f"| {r['variant']} | {r['recycling'] or 'off'} | {r['rps']:.0f} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['p99_ms']:.1f} | {r['errors']} of {r['requests']} |"
            )
    lines += [
        "",
        "## Resources",
        "",
        "| instance | start to first 200 | workers | worker RSS MiB (median / max) | pod MiB (steady / peak) |",
        "|---|---|---|---|---|",
    ]
    for name, r in data["resources"].items():
        workers = f"{r['worker_rss_mib_median']} / {r['worker_rss_mib_max']}" if r["workers"] else "-"
        lines.append(
            f"| {name} | {r['startup_to_first_200_s']} s | {r['workers'] or '-'} | {workers} | {r['pod_mib_steady']} / {r['pod_mib_peak']} |"
        )
    lines += ["", "Routes:", ""]
    lines += [f"- `{n}`: {r['method']} `{r['path']}` — {r['what']}" for n, r in meta["routes"].items()]
    tuning = path.parent / "tuning.json"
    if tuning.is_file():
        lines += tuning_section(json.loads(tuning.read_text()))
    cluster = path.parent / "cluster.json"
    if cluster.is_file():
        lines += cluster_section(json.loads(cluster.read_text()))
    path.write_text("\n".join(lines) + "\n")


def write_section(out: Path, name: str, data: dict) -> None:
    """Write one extra part of a results folder (tuning.json, cluster.json) and the folder's
    results.md again, now with that part's section."""
    (out / name).write_text(json.dumps(data, indent=1) + "\n")
    results = out / "results.json"
    if results.is_file():
        write_table(json.loads(results.read_text()), out / "results.md")


def tuning_section(data: dict) -> list[str]:
    """FPM's tuning steps (benchmarks/tuning.py), each against the image as shipped."""
    lines = [
        "",
        "## Tuning steps (FPM, one knob at a time against the image as shipped)",
        "",
        f"Run {data['meta']['started']}: {data['meta']['load']}. A gain counts only when the rounds' "
        "ranges do not overlap; otherwise it is noise and the shipped setting stays.",
        "",
        "| route | step | rps | rps per CPU-s (range) | vs shipped | p95 ms | errors |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in data["summary"]:
        lo, hi = r["rps_per_cpu_range"]
        if "gain_pct" in r:
            gain = f"{r['gain_pct']:+.0f} %" + ("" if r["beyond_noise"] else " (noise)")
        else:
            gain = "-"
        lines.append(
            f"| {r['route']} | {r['step']} | {r['rps']:.0f} | {r['rps_per_cpu']:.0f} ({lo:.0f}-{hi:.0f}) | {gain} | "
            f"{r['p95_ms']:.1f} | {r['errors']} of {r['requests']} |"
        )
    lines += ["", "OPcache in the pool after warm-up (`opcache_get_status()`, read through FastCGI):", ""]
    lines += [
        "| step | preloaded classes | functions | scripts | preload MiB | cached scripts | JIT on |",
        "|---|---|---|---|---|---|---|",
    ]
    for step, o in data["opcache"].items():
        lines.append(
            f"| {step} | {o['classes']} | {o['functions']} | {o['scripts']} | {o['memory_mib']} | {o['cached_scripts']} | {'yes' if o['jit'] else 'no'} |"
        )
    return lines


def cluster_section(data: dict) -> list[str]:
    """The in-cluster run (benchmarks/cluster.py, Demo 3): the same load through the Ingress."""
    meta = data["meta"]
    lines = [
        "",
        "## In the cluster (Demo 3): through the Ingress",
        "",
        f"Run {meta['started']}: {meta['overlay']} on the kind cluster, load through {meta['through']}; "
        f"{meta['load']}. CPU: {meta['cpu']}. Medians of the rounds.",
        "",
    ]
    for variant, reason in meta.get("skipped", {}).items():
        lines += [f"**{variant}: SKIP** — {reason}", ""]
    lines += [
        "| route | runtime | conns | rps (range) | p50 ms | p95 ms | p99 ms | web pods | pods' CPU used | rps per CPU-s | CPU-s / 1k req | Traefik CPU used | errors |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in sorted(data["summary"], key=lambda r: (r["route"], r["load"], r["variant"])):
        pods = (
            f"{r['replicas'][0]}"
            if r["replicas"][0] == r["replicas"][1]
            else f"{r['replicas'][0]}-{r['replicas'][1]}"
        )
        lines.append(
            f"| {r['route']} | {r['variant']} | {r['load']} | {r['rps']:.0f} ({r['rps_range'][0]:.0f}-{r['rps_range'][1]:.0f}) | "
            f"{r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['p99_ms']:.1f} | {pods} | {r['cpu_used']:.2f} | {r['rps_per_cpu']:.0f} | "
            f"{r['cpu_s_per_1k']:.2f} | {r['proxy_cpu_used']:.2f} | {r['errors']} of {r['requests']} |"
        )
    lines += [
        "",
        "`kubectl top pods` of the web pods during the load (metrics.k8s.io, every 10 s): peak per pod",
        "",
    ]
    lines += [
        "| runtime | pod | samples | CPU m (median / peak) | memory MiB (median / peak) |",
        "|---|---|---|---|---|",
    ]
    for variant, samples in data["top"].items():
        for pod in sorted({s["pod"] for s in samples}):
            mine = [s for s in samples if s["pod"] == pod]
            cpu = sorted(s["cpu_m"] for s in mine)
            mem = sorted(s["mem_mib"] for s in mine)
            lines.append(
                f"| {variant} | {pod} | {len(mine)} | {cpu[len(cpu) // 2]:.0f} / {cpu[-1]:.0f} | {mem[len(mem) // 2]:.0f} / {mem[-1]:.0f} |"
            )
    return lines


def write_plots(data: dict, out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    closed = rows_of(data, mode="closed")
    routes = sorted({r["route"] for r in closed if r["kind"] == "laravel"})
    if closed:
        fig, axes = plt.subplots(1, len(routes), figsize=(4 * len(routes), 3.6), squeeze=False)
        for ax, route in zip(axes[0], routes, strict=True):
            for variant in ("fpm", "swoole"):
                for kind, style in (("laravel", "-o"), ("ceiling", ":")):
                    pts = sorted(
                        (r["load"], r["rps"])
                        for r in closed
                        if r["variant"] == variant
                        and r["kind"] == kind
                        and (kind == "ceiling" or r["route"] == route)
                    )
                    if pts:
                        label = f"{variant}" + (" ceiling" if kind == "ceiling" else "")
                        ax.plot(*zip(*pts, strict=True), style, color=COLOURS[variant], label=label)
            ax.set_xscale("log", base=2)
            ax.set_title(route)
            ax.set_xlabel("connections")
            ax.set_ylabel("rps")
            ax.grid(alpha=0.3)
        axes[0][0].legend(fontsize=8)
        fig.suptitle("Throughput vs concurrency (1 CPU per runtime)")
        fig.tight_layout()
        written.append(out / "throughput-vs-concurrency.png")
        fig.savefig(written[-1], dpi=110)
        plt.close(fig)

        loads = sorted({r["load"] for r in closed})
        load = 32 if 32 in loads else loads[-1]
        at = [r for r in closed if r["load"] == load and r["kind"] == "laravel"]
        fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(routes)), 3.6))
        width = 0.13
        for i, route in enumerate(routes):
            for j, variant in enumerate(("fpm", "swoole")):
                mine = [r for r in at if r["route"] == route and r["variant"] == variant]
                if not mine:
                    continue
                for k, p in enumerate(("p50_ms", "p95_ms", "p99_ms")):
                    x = i + (j * 3 + k - 2.5) * width
                    ax.bar(x, mine[0][p], width, color=COLOURS[variant], alpha=0.45 + 0.25 * k)
        ax.set_xticks(range(len(routes)), routes)
        ax.set_ylabel("ms")
        ax.set_title(f"Latency p50 / p95 / p99 at {load} connections (blue FPM, orange Swoole)")
        ax.grid(axis="y", alpha=0.3)
        fig.tight_layout()
        written.append(out / "latency-percentiles.png")
        fig.savefig(written[-1], dpi=110)
        plt.close(fig)

    recycling = rows_of(data, mode="recycling")
    if recycling:
        fig, ax = plt.subplots(figsize=(6, 3.6))
        for variant in ("fpm", "swoole"):
            pts = sorted(
                (r["recycling"] or 0, r["p99_ms"], r["p50_ms"]) for r in recycling if r["variant"] == variant
            )
            if pts:
                labels = [str(v or "off") for v, _, _ in pts]
                ax.plot(labels, [p for _, p, _ in pts], "-o", color=COLOURS[variant], label=f"{variant} p99")
                ax.plot(labels, [p for _, _, p in pts], "--", color=COLOURS[variant], label=f"{variant} p50")
        ax.set_xlabel("max_requests (worker recycled after N requests)")
        ax.set_ylabel("ms")
        ax.set_title("Cost of worker recycling (/api/ping, 32 connections)")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
        fig.tight_layout()
        written.append(out / "recycling-p99.png")
        fig.savefig(written[-1], dpi=110)
        plt.close(fig)

    if data.get("memory"):
        fig, ax = plt.subplots(figsize=(7, 3.6))
        for name, series in data["memory"].items():
            variant = name.split("-")[0]
            ax.plot(
                [t for t, _ in series],
                [m for _, m in series],
                color=COLOURS.get(variant, "grey"),
                linestyle="-" if name.endswith("laravel") else ":",
                label=name,
            )
        ax.set_xlabel("s since the instance's first run")
        ax.set_ylabel("MiB (pod, as docker stats: no inactive page cache)")
        ax.set_title("Memory over the benchmark")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
        fig.tight_layout()
        written.append(out / "memory-over-time.png")
        fig.savefig(written[-1], dpi=110)
        plt.close(fig)
    return written


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m benchmarks.plots RESULTS.json", file=sys.stderr)
        return 2
    results = Path(argv[1])
    data = json.loads(results.read_text())
    write_table(data, results.parent / "results.md")
    for p in write_plots(data, results.parent):
        print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
