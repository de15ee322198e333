"""What the PHP-FPM and the Swoole dashboards share: their layout (HTTP, the runtime's own row,
OPcache, resources, Laravel), those rows, and the `pod` variable of the runtime."""

from __future__ import annotations

from collections.abc import Callable

from monitoring.grafana.board import (
    CADVISOR,
    NS,
    RATE,
    SEL,
    Board,
    dashboard,
    gauge,
    namespace_var,
    pod_gauges,
    pod_var,
    rate,
    rate_of,
)


def runtime_dashboard(
    runtime: str,
    uid: str,
    title: str,
    description: str,
    tags: list[str],
    server: tuple[str, Callable[[Board], None]],
) -> dict:
    """A dashboard of one runtime's pods: the shared rows around `server`, the title and the
    panels of the runtime's own row."""
    b = Board()
    http(b)
    b.row(server[0])
    server[1](b)
    opcache(b)
    resources(b)
    laravel(b)
    uploads(b)
    return dashboard(uid, title, description, tags, [namespace_var(), pod_var(runtime)], b)


def http(b: Board) -> None:
    b.row("HTTP (the app's middleware)")
    for by, description in (
        ("status", "http_requests_total of the selected pods, per status code."),
        ("route", "http_requests_total per Laravel route pattern (unmatched = 404)."),
    ):
        expr = f"sum by ({by}) (rate(http_requests_total{{{SEL}}}{RATE}))"
        b.panel(f"Requests per second by {by}", description, [(expr, "{{" + by + "}}")], unit="reqps")
    buckets = f"sum by (le) (rate(http_request_duration_seconds_bucket{{{SEL}}}{RATE}))"
    b.panel(
        "Latency p50 / p95 / p99",
        "Quantiles of http_request_duration_seconds over the selected pods.",
        [(f"histogram_quantile({q}, {buckets})", f"p{int(q * 100)}") for q in (0.5, 0.95, 0.99)],
        unit="s",
    )


def opcache(b: Board) -> None:
    b.row("OPcache (opcache_get_status() of the serving SAPI)")
    b.ratio(
        "OPcache hit rate",
        "opcache_statistics_hit_rate per pod (ratio since start); alert below 95%.",
        [gauge("opcache_statistics_hit_rate", "{{pod}}"), gauge("opcache_enabled", "{{pod}} enabled")],
    )
    b.panel(
        "OPcache memory",
        "Shared memory used, free and wasted per pod.",
        pod_gauges("opcache_memory_usage_{}_memory", "used", "free", "wasted"),
        unit="bytes",
    )
    b.panel(
        "OPcache scripts, hits and restarts",
        "Cached scripts, hits and misses per second, and out-of-memory restarts.",
        [
            gauge("opcache_statistics_num_cached_scripts", "{{pod}} cached scripts"),
            rate("opcache_statistics_hits", "{{pod}} hits/s"),
            rate("opcache_statistics_misses", "{{pod}} misses/s"),
            gauge("opcache_statistics_oom_restarts", "{{pod}} OOM restarts"),
        ],
    )
    b.panel(
        "Interned strings buffer",
        "OPcache interned strings buffer used and free per pod.",
        pod_gauges("opcache_interned_strings_usage_{}_memory", "used", "free"),
        unit="bytes",
    )


def resources(b: Board) -> None:
    b.row("Resources (kubelet cAdvisor) and PHP memory")
    by_container = "sum by (pod, container)"
    cpu = f"{by_container} (rate(container_cpu_usage_seconds_total{{{CADVISOR}}}{RATE}))"
    b.panel(
        "CPU by container",
        "container_cpu_usage_seconds_total per container of the selected pods, in cores.",
        [(cpu, "{{pod}} {{container}}")],
    )
    working_set = f"{by_container} (container_memory_working_set_bytes{{{CADVISOR}}})"
    limit = f"{by_container} (container_spec_memory_limit_bytes{{{CADVISOR}}} > 0)"
    b.panel(
        "Memory by container and limit",
        "Working set per container against its memory limit.",
        [(working_set, "{{pod}} {{container}}"), (limit, "{{pod}} {{container}} limit")],
        unit="bytes",
    )
    b.panel(
        "PHP memory of the serving worker",
        "memory_get_usage() and memory_get_peak_usage() of the worker that answered the scrape.",
        [gauge("php_memory_usage_bytes", "{{pod}} usage"), gauge("php_memory_peak_bytes", "{{pod}} peak")],
        unit="bytes",
    )


def laravel(b: Board) -> None:
    queries = f"rate(laravel_db_query_duration_seconds_bucket{{{SEL}}}{RATE})"
    hits = f"sum by (store) (rate(laravel_cache_hits_total{{{SEL}}}{RATE}))"
    misses = f"sum by (store) (rate(laravel_cache_misses_total{{{SEL}}}{RATE}))"
    b.row("Laravel: database, cache, queue")
    b.panel(
        "Database query time p95",
        "95th percentile of laravel_db_query_duration_seconds per connection.",
        [(f"histogram_quantile(0.95, sum by (le, connection) ({queries}))", "{{connection}} p95")],
        unit="s",
    )
    b.ratio(
        "Cache hit ratio",
        "laravel_cache_hits_total / (hits + misses) per store (a store without misses yet counts 0).",
        [(f"{hits} / ({hits} + ({misses} or {hits} * 0))", "{{store}}")],
    )
    b.panel(
        "Queue: pending, processed and failed jobs",
        "Read from Redis; every pod exports the same values, hence max. The job class is exported_job.",
        [
            (f"max by (queue) (laravel_queue_size{{{NS}}})", "{{queue}} pending"),
            *[
                (
                    f"max by (queue) ({rate_of(f'laravel_queue_jobs_{what}_total', NS)})",
                    f"{{{{queue}}}} {what}/s",
                )
                for what in ("processed", "failed")
            ],
        ],
    )
    b.panel(
        "Log lines per second by level",
        "app_log_records_total: what the app's stderr channel wrote, per level (the lines are in "
        "VictoriaLogs, k8s/telemetry; LaravelErrorLogRate fires on error and worse).",
        [(f"sum by (level) (rate(app_log_records_total{{{SEL}}}{RATE}))", "{{level}}")],
        unit="short",
    )


def uploads(b: Board) -> None:
    b.row("Uploads (task attachments to the S3 store)")
    count = f"sum by (outcome) (rate(app_uploads_total{{{SEL}}}{RATE}))"
    volume = f"sum by (outcome) (rate(app_upload_bytes_total{{{SEL}}}{RATE}))"
    buckets = f"sum by (le, outcome) (rate(app_upload_duration_seconds_bucket{{{SEL}}}{RATE}))"
    b.panel(
        "Uploads per second by outcome",
        "app_uploads_total: stored, or why not (too_large, wrong_type, invalid, store_unavailable, not_configured, error).",
        [(count, "{{outcome}}")],
        unit="reqps",
    )
    b.panel(
        "Uploaded bytes per second by outcome",
        "app_upload_bytes_total: the files' size (not the request's), per outcome.",
        [(volume, "{{outcome}}")],
        unit="Bps",
    )
    b.panel(
        "Upload time p95 by outcome",
        "95th percentile of app_upload_duration_seconds: validation, hashing, the PUT to the store, the row.",
        [(f"histogram_quantile(0.95, {buckets})", "{{outcome}} p95")],
        unit="s",
    )
