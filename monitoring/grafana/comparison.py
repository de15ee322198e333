"""The comparison dashboard (uid lks-fpm-vs-swoole): both runtimes side by side, read from the
per-runtime recording rules of monitoring/prometheus/*.yml (namespace_runtime:*)."""

from __future__ import annotations

from monitoring.grafana.board import NS, Board, Query, dashboard, gauge, namespace_var, rate_of


def recorded(rule: str, legend: str = "{{runtime}}") -> Query:
    """A recording rule of the selected namespace."""
    return gauge(rule, legend, NS)


def throughput(b: Board) -> None:
    b.row("Throughput and latency, per runtime")
    b.panel(
        "Requests per second",
        "namespace_runtime:http_requests:rate5m: requests served per runtime.",
        [recorded("namespace_runtime:http_requests:rate5m")],
        unit="reqps",
    )
    b.panel(
        "Latency p50 / p95 / p99",
        "Quantiles of http_request_duration_seconds per runtime (recording rules).",
        [
            recorded(f"namespace_runtime:http_request_duration_seconds:p{q}_5m", f"{{{{runtime}}}} p{q}")
            for q in (50, 95, 99)
        ],
        unit="s",
    )
    b.ratio(
        "5xx ratio",
        "Share of requests answered with a 5xx status; LaravelHigh5xxRatio pages above 5%.",
        [recorded("namespace_runtime:http_requests_5xx:ratio_rate5m")],
    )
    swoole, fpm = (
        f'namespace_runtime:http_requests:rate5m{{{NS}, runtime="{r}"}}' for r in ("swoole", "fpm")
    )
    b.panel(
        "Swoole / FPM throughput",
        "Requests per second of Swoole divided by those of FPM (both deployed, same limits).",
        [(f"{swoole} / ignoring (runtime) {fpm}", "swoole / fpm")],
        unit="none",
        kind="stat",
        width=6,
    )
    b.panel(
        "Replicas per runtime",
        "Pods whose /metrics answers (count of app_info), i.e. the replicas the HPA keeps.",
        [recorded("namespace_runtime:app_pods:count")],
        width=18,
    )


# (title, description, recording rule, unit) of the resource row, one quarter wide each
RESOURCES = (
    (
        "CPU cores",
        "CPU used by the app pods of each runtime, in cores.",
        "container_cpu_usage_seconds:rate5m",
        "short",
    ),
    (
        "Memory working set",
        "Working set of the app pods of each runtime.",
        "container_memory_working_set_bytes:sum",
        "bytes",
    ),
    ("CPU per request", "CPU seconds spent per request served.", "cpu_seconds_per_request:ratio5m", "s"),
    (
        "Memory per request/s",
        "Working-set bytes per request/s of throughput: memory needed to serve one request per second.",
        "memory_bytes_per_request_per_second:ratio5m",
        "bytes",
    ),
)


def resources(b: Board) -> None:
    b.row("Resources, per runtime (kubelet cAdvisor)")
    for title, description, rule, unit in RESOURCES:
        b.panel(title, description, [recorded(f"namespace_runtime:{rule}")], unit=unit, width=6)


def workers(b: Board) -> None:
    b.row("Workers and PHP internals, per runtime")
    b.panel(
        "Workers busy / idle",
        "FPM: active/idle pool processes; Swoole: busy/idle HTTP workers.",
        [
            recorded(f"namespace_runtime:php_workers_{s}:sum", f"{{{{runtime}}}} {s}")
            for s in ("busy", "idle")
        ],
    )
    b.ratio(
        "OPcache hit rate",
        "Average opcache_statistics_hit_rate of the pods of each runtime.",
        [recorded("namespace_runtime:opcache_statistics_hit_rate:avg")],
    )
    b.ratio(
        "FPM pool saturation",
        "Active / pm.max_children per FPM pod and pool.",
        [recorded("namespace_pod_pool:php_fpm_pool_utilization:ratio", "{{pod}} {{pool}}")],
    )
    b.panel(
        "Swoole connections and requests",
        "Open connections and requests per second from Server::stats(), summed over Swoole pods.",
        [
            (f"sum(swoole_connection_num{{{NS}}})", "connections"),
            (f"sum({rate_of('swoole_request_count', NS)})", "requests/s"),
        ],
    )
    b.ratio(
        "Swoole worker utilization",
        "Busy Swoole workers in percent, per pod.",
        [recorded("swoole_worker_utilization", "{{pod}}")],
        unit="percent",
    )
    memory = f"php_memory_usage_bytes{{{NS}}} * on (namespace, pod) group_left (runtime) app_info"
    b.panel(
        "PHP worker memory",
        "memory_get_usage() of the serving worker, averaged per runtime.",
        [(f"avg by (runtime) ({memory})", "{{runtime}}")],
        unit="bytes",
    )


def build() -> dict:
    b = Board()
    throughput(b)
    resources(b)
    workers(b)
    return dashboard(
        "lks-fpm-vs-swoole",
        "Laravel: PHP-FPM vs Swoole",
        "Both runtimes side by side under the same limits: throughput, latency, resources per request, workers.",
        ["comparison", "php-fpm", "swoole"],
        [namespace_var()],
        b,
    )
