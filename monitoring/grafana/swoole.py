"""The Swoole dashboard (uid lks-swoole): HTTP, Server::stats(), OPcache, resources, Laravel."""

from __future__ import annotations

from monitoring.grafana import runtime_rows
from monitoring.grafana.board import Board, gauge, pod_gauges, rate

# Server::stats() counters: (name in swoole_<name>_count, legend)
COUNTS = (("accept", "accepted"), ("close", "closed"), ("request", "requests"))


def server(b: Board) -> None:
    b.panel(
        "Workers: total and idle",
        "swoole_worker_num and swoole_idle_worker_num per pod.",
        [gauge("swoole_worker_num", "{{pod}} workers"), gauge("swoole_idle_worker_num", "{{pod}} idle")],
    )
    b.ratio(
        "Worker utilization",
        "Busy workers in percent; SwooleWorkerSaturation warns above 90% for 5 minutes.",
        [gauge("swoole_worker_utilization", "{{pod}}")],
        unit="percent",
    )
    b.panel(
        "Task workers",
        "Task workers and tasks in progress.",
        [
            gauge("swoole_task_worker_num", "{{pod}} task workers"),
            gauge("swoole_tasking_num", "{{pod}} tasking"),
        ],
    )
    b.panel("Connections", "Open connections per pod.", [gauge("swoole_connection_num", "{{pod}}")])
    b.panel(
        "Accepted, closed and requests per second",
        "From Swoole's monotonic accept_count, close_count and request_count.",
        [rate(f"swoole_{what}_count", f"{{{{pod}}}} {label}/s") for what, label in COUNTS],
        unit="reqps",
    )
    b.panel(
        "Worker memory: usage and peak",
        "Sum over the HTTP workers; a steady climb despite max_request recycling is a leak.",
        pod_gauges("swoole_memory_{}", "usage", "peak"),
        unit="bytes",
    )
    b.panel("Coroutines", "Coroutines alive per pod.", [gauge("swoole_coroutine_num", "{{pod}}")])


def build() -> dict:
    return runtime_rows.runtime_dashboard(
        "swoole",
        "lks-swoole",
        "Laravel on Swoole (Octane)",
        "The Swoole variant: HTTP, Swoole server stats, OPcache, resources and Laravel internals.",
        ["swoole", "octane"],
        ("Swoole server (Server::stats())", server),
    )
