#!/usr/bin/env python3
"""Writes the three Grafana dashboards of monitoring/grafana/dashboards/ (committed JSON).

    .venv/bin/python monitoring/grafana/generate_dashboards.py          # rewrite the JSON files
    .venv/bin/python monitoring/grafana/generate_dashboards.py --check  # exit 1 when they differ

Conventions: stable uids; a `datasource` variable used by every panel and query variable;
the series selectors of a dashboard live in its template variables (`namespace`, and `pod`,
which lists the pods of one runtime from app_info{runtime}), so every panel query reads
`{namespace="$namespace", pod=~"$pod"}`. The comparison dashboard reads the per-runtime
recording rules of monitoring/prometheus/*.yml. tests/static/test_monitoring.py parses every
query and checks each metric name against monitoring/exported-metrics.txt.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "dashboards"
DS = {"type": "prometheus", "uid": "${datasource}"}
SEL = 'namespace="$namespace", pod=~"$pod"'
CADVISOR = 'job="kubelet-cadvisor", namespace="$namespace", pod=~"$pod", container!="", container!="POD"'


def target(expr: str, legend: str, ref: str) -> dict:
    return {"datasource": DS, "expr": expr, "legendFormat": legend, "refId": ref, "range": True}


class Board:
    def __init__(self) -> None:
        self.panels: list[dict] = []
        self.x = 0
        self.y = 0

    def row(self, title: str) -> None:
        if self.x:
            self.x, self.y = 0, self.y + 8
        self.panels.append(
            {
                "id": len(self.panels) + 1,
                "type": "row",
                "title": title,
                "collapsed": False,
                "gridPos": {"h": 1, "w": 24, "x": 0, "y": self.y},
                "panels": [],
            }
        )
        self.y += 1

    def panel(
        self,
        title: str,
        description: str,
        queries: list[tuple[str, str]],
        unit: str = "short",
        kind: str = "timeseries",
        width: int = 8,
        minimum: float | None = None,
    ) -> None:
        if self.x + width > 24:
            self.x, self.y = 0, self.y + 8
        defaults: dict = {"unit": unit}
        if minimum is not None:
            defaults["min"] = minimum
        panel = {
            "id": len(self.panels) + 1,
            "type": kind,
            "title": title,
            "description": description,
            "datasource": DS,
            "gridPos": {"h": 8, "w": width, "x": self.x, "y": self.y},
            "targets": [target(expr, legend, chr(ord("A") + i)) for i, (expr, legend) in enumerate(queries)],
            "fieldConfig": {"defaults": defaults, "overrides": []},
        }
        if kind == "timeseries":
            panel["options"] = {
                "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
                "tooltip": {"mode": "multi", "sort": "desc"},
            }
        else:
            panel["options"] = {
                "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                "colorMode": "value",
                "graphMode": "area",
                "textMode": "auto",
            }
        self.panels.append(panel)
        self.x += width


def datasource_var() -> dict:
    return {
        "name": "datasource",
        "label": "Data source",
        "type": "datasource",
        "query": "prometheus",
        "current": {},
        "hide": 0,
        "refresh": 1,
        "regex": "",
        "options": [],
    }


def query_var(name: str, label: str, query: str, multi: bool) -> dict:
    var = {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": DS,
        "definition": query,
        "query": {"query": query, "refId": f"{name}-variable"},
        "refresh": 2,
        "sort": 1,
        "hide": 0,
        "multi": multi,
        "includeAll": multi,
        "current": {},
        "options": [],
        "regex": "",
    }
    # no allValue: "All" becomes the regex of the listed values, i.e. the pods of one runtime
    return var


def dashboard(
    uid: str, title: str, description: str, tags: list[str], variables: list[dict], board: Board
) -> dict:
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["laravel-k8s-showcase", *tags],
        "timezone": "browser",
        "editable": True,
        "graphTooltip": 1,
        "refresh": "30s",
        "schemaVersion": 39,
        "version": 1,
        "time": {"from": "now-1h", "to": "now"},
        "annotations": {"list": []},
        "links": [],
        "templating": {"list": [datasource_var(), *variables]},
        "panels": board.panels,
    }


def namespace_var() -> dict:
    return query_var("namespace", "Namespace", "label_values(app_info, namespace)", multi=False)


def pod_var(runtime: str) -> dict:
    return query_var(
        "pod",
        "Pod",
        f'label_values(app_info{{namespace="$namespace", runtime="{runtime}"}}, pod)',
        multi=True,
    )


def http_panels(b: Board) -> None:
    b.row("HTTP (the app's middleware)")
    b.panel(
        "Requests per second by status",
        "http_requests_total of the selected pods, per status code.",
        [(f"sum by (status) (rate(http_requests_total{{{SEL}}}[$__rate_interval]))", "{{status}}")],
        unit="reqps",
    )
    b.panel(
        "Requests per second by route",
        "http_requests_total per Laravel route pattern (unmatched = 404).",
        [(f"sum by (route) (rate(http_requests_total{{{SEL}}}[$__rate_interval]))", "{{route}}")],
        unit="reqps",
    )
    b.panel(
        "Latency p50 / p95 / p99",
        "Quantiles of http_request_duration_seconds over the selected pods.",
        [
            (
                f"histogram_quantile({q}, sum by (le) (rate(http_request_duration_seconds_bucket{{{SEL}}}[$__rate_interval])))",
                f"p{int(q * 100)}",
            )
            for q in (0.5, 0.95, 0.99)
        ],
        unit="s",
    )


def opcache_panels(b: Board) -> None:
    b.row("OPcache (opcache_get_status() of the serving SAPI)")
    b.panel(
        "OPcache hit rate",
        "opcache_statistics_hit_rate per pod (ratio since start); alert below 95%.",
        [
            (f"opcache_statistics_hit_rate{{{SEL}}}", "{{pod}}"),
            (f"opcache_enabled{{{SEL}}}", "{{pod}} enabled"),
        ],
        unit="percentunit",
        minimum=0,
    )
    b.panel(
        "OPcache memory",
        "Shared memory used, free and wasted per pod.",
        [
            (f"opcache_memory_usage_used_memory{{{SEL}}}", "{{pod}} used"),
            (f"opcache_memory_usage_free_memory{{{SEL}}}", "{{pod}} free"),
            (f"opcache_memory_usage_wasted_memory{{{SEL}}}", "{{pod}} wasted"),
        ],
        unit="bytes",
    )
    b.panel(
        "OPcache scripts, hits and restarts",
        "Cached scripts, hits and misses per second, and out-of-memory restarts.",
        [
            (f"opcache_statistics_num_cached_scripts{{{SEL}}}", "{{pod}} cached scripts"),
            (f"rate(opcache_statistics_hits{{{SEL}}}[$__rate_interval])", "{{pod}} hits/s"),
            (f"rate(opcache_statistics_misses{{{SEL}}}[$__rate_interval])", "{{pod}} misses/s"),
            (f"opcache_statistics_oom_restarts{{{SEL}}}", "{{pod}} OOM restarts"),
        ],
    )
    b.panel(
        "Interned strings buffer",
        "OPcache interned strings buffer used and free per pod.",
        [
            (f"opcache_interned_strings_usage_used_memory{{{SEL}}}", "{{pod}} used"),
            (f"opcache_interned_strings_usage_free_memory{{{SEL}}}", "{{pod}} free"),
        ],
        unit="bytes",
    )


def resource_panels(b: Board) -> None:
    b.row("Resources (kubelet cAdvisor) and PHP memory")
    b.panel(
        "CPU by container",
        "container_cpu_usage_seconds_total per container of the selected pods, in cores.",
        [
            (
                f"sum by (pod, container) (rate(container_cpu_usage_seconds_total{{{CADVISOR}}}[$__rate_interval]))",
                "{{pod}} {{container}}",
            )
        ],
        unit="short",
    )
    b.panel(
        "Memory by container and limit",
        "Working set per container against its memory limit.",
        [
            (
                f"sum by (pod, container) (container_memory_working_set_bytes{{{CADVISOR}}})",
                "{{pod}} {{container}}",
            ),
            (
                f"sum by (pod, container) (container_spec_memory_limit_bytes{{{CADVISOR}}} > 0)",
                "{{pod}} {{container}} limit",
            ),
        ],
        unit="bytes",
    )
    b.panel(
        "PHP memory of the serving worker",
        "memory_get_usage() and memory_get_peak_usage() of the worker that answered the scrape.",
        [
            (f"php_memory_usage_bytes{{{SEL}}}", "{{pod}} usage"),
            (f"php_memory_peak_bytes{{{SEL}}}", "{{pod}} peak"),
        ],
        unit="bytes",
    )


def laravel_panels(b: Board) -> None:
    b.row("Laravel: database, cache, queue")
    b.panel(
        "Database query time p95",
        "95th percentile of laravel_db_query_duration_seconds per connection.",
        [
            (
                "histogram_quantile(0.95, sum by (le, connection) "
                f"(rate(laravel_db_query_duration_seconds_bucket{{{SEL}}}[$__rate_interval])))",
                "{{connection}} p95",
            )
        ],
        unit="s",
    )
    hits = f"sum by (store) (rate(laravel_cache_hits_total{{{SEL}}}[$__rate_interval]))"
    misses = f"sum by (store) (rate(laravel_cache_misses_total{{{SEL}}}[$__rate_interval]))"
    b.panel(
        "Cache hit ratio",
        "laravel_cache_hits_total / (hits + misses) per store (a store without misses yet counts 0).",
        [(f"{hits} / ({hits} + ({misses} or {hits} * 0))", "{{store}}")],
        unit="percentunit",
        minimum=0,
    )
    b.panel(
        "Queue: pending, processed and failed jobs",
        "Read from Redis; every pod exports the same values, hence max. The job class is exported_job.",
        [
            ('max by (queue) (laravel_queue_size{namespace="$namespace"})', "{{queue}} pending"),
            (
                'max by (queue) (rate(laravel_queue_jobs_processed_total{namespace="$namespace"}[$__rate_interval]))',
                "{{queue}} processed/s",
            ),
            (
                'max by (queue) (rate(laravel_queue_jobs_failed_total{namespace="$namespace"}[$__rate_interval]))',
                "{{queue}} failed/s",
            ),
        ],
    )


def fpm_dashboard() -> dict:
    b = Board()
    http_panels(b)
    b.row("PHP-FPM pool (FPM status page)")
    b.panel(
        "Pool processes: active, idle, max",
        "php_fpm_pool_processes_{active,idle,max} per pod and pool.",
        [
            (f"php_fpm_pool_processes_active{{{SEL}}}", "{{pod}} {{pool}} active"),
            (f"php_fpm_pool_processes_idle{{{SEL}}}", "{{pod}} {{pool}} idle"),
            (f"php_fpm_pool_processes_max{{{SEL}}}", "{{pod}} {{pool}} max"),
            (f"php_fpm_pool_processes_total{{{SEL}}}", "{{pod}} {{pool}} total"),
        ],
    )
    b.panel(
        "Pool saturation",
        "Active / pm.max_children per pod; PHPFPMPoolSaturation pages above 90% for 5 minutes.",
        [
            (
                f"php_fpm_pool_processes_active{{{SEL}}} / php_fpm_pool_processes_max{{{SEL}}}",
                "{{pod}} {{pool}}",
            )
        ],
        unit="percentunit",
        minimum=0,
    )
    b.panel(
        "Listen queue",
        "Connections waiting for a free worker now and at most since start.",
        [
            (f"php_fpm_pool_listen_queue{{{SEL}}}", "{{pod}} {{pool}} queued"),
            (f"php_fpm_pool_listen_queue_max{{{SEL}}}", "{{pod}} {{pool}} max since start"),
        ],
    )
    b.panel(
        "Max children reached",
        "Times FPM could not start a child because pm.max_children was reached.",
        [(f"increase(php_fpm_pool_processes_max_reached{{{SEL}}}[$__rate_interval])", "{{pod}} {{pool}}")],
    )
    b.panel(
        "Slow requests and accepted connections",
        "Requests slower than request_slowlog_timeout, and connections accepted, per second.",
        [
            (f"rate(php_fpm_pool_slow_requests_total{{{SEL}}}[$__rate_interval])", "{{pod}} slow/s"),
            (
                f"rate(php_fpm_pool_accepted_connections_total{{{SEL}}}[$__rate_interval])",
                "{{pod}} accepted/s",
            ),
        ],
        unit="reqps",
    )
    opcache_panels(b)
    resource_panels(b)
    laravel_panels(b)
    return dashboard(
        "lks-php-fpm",
        "Laravel on PHP-FPM",
        "The FPM variant: HTTP, FPM pool, OPcache, resources and Laravel internals.",
        ["php-fpm"],
        [namespace_var(), pod_var("fpm")],
        b,
    )


def swoole_dashboard() -> dict:
    b = Board()
    http_panels(b)
    b.row("Swoole server (Server::stats())")
    b.panel(
        "Workers: total and idle",
        "swoole_worker_num and swoole_idle_worker_num per pod.",
        [
            (f"swoole_worker_num{{{SEL}}}", "{{pod}} workers"),
            (f"swoole_idle_worker_num{{{SEL}}}", "{{pod}} idle"),
        ],
    )
    b.panel(
        "Worker utilization",
        "Busy workers in percent; SwooleWorkerSaturation warns above 90% for 5 minutes.",
        [(f"swoole_worker_utilization{{{SEL}}}", "{{pod}}")],
        unit="percent",
        minimum=0,
    )
    b.panel(
        "Task workers",
        "Task workers and tasks in progress.",
        [
            (f"swoole_task_worker_num{{{SEL}}}", "{{pod}} task workers"),
            (f"swoole_tasking_num{{{SEL}}}", "{{pod}} tasking"),
        ],
    )
    b.panel(
        "Connections",
        "Open connections per pod.",
        [(f"swoole_connection_num{{{SEL}}}", "{{pod}}")],
    )
    b.panel(
        "Accepted, closed and requests per second",
        "From Swoole's monotonic accept_count, close_count and request_count.",
        [
            (f"rate(swoole_accept_count{{{SEL}}}[$__rate_interval])", "{{pod}} accepted/s"),
            (f"rate(swoole_close_count{{{SEL}}}[$__rate_interval])", "{{pod}} closed/s"),
            (f"rate(swoole_request_count{{{SEL}}}[$__rate_interval])", "{{pod}} requests/s"),
        ],
        unit="reqps",
    )
    b.panel(
        "Worker memory: usage and peak",
        "Sum over the HTTP workers; a steady climb despite max_request recycling is a leak.",
        [
            (f"swoole_memory_usage{{{SEL}}}", "{{pod}} usage"),
            (f"swoole_memory_peak{{{SEL}}}", "{{pod}} peak"),
        ],
        unit="bytes",
    )
    b.panel(
        "Coroutines",
        "Coroutines alive per pod.",
        [(f"swoole_coroutine_num{{{SEL}}}", "{{pod}}")],
    )
    opcache_panels(b)
    resource_panels(b)
    laravel_panels(b)
    return dashboard(
        "lks-swoole",
        "Laravel on Swoole (Octane)",
        "The Swoole variant: HTTP, Swoole server stats, OPcache, resources and Laravel internals.",
        ["swoole", "octane"],
        [namespace_var(), pod_var("swoole")],
        b,
    )


def comparison_dashboard() -> dict:
    ns = 'namespace="$namespace"'
    b = Board()
    b.row("Throughput and latency, per runtime")
    b.panel(
        "Requests per second",
        "namespace_runtime:http_requests:rate5m: requests served per runtime.",
        [(f"namespace_runtime:http_requests:rate5m{{{ns}}}", "{{runtime}}")],
        unit="reqps",
    )
    b.panel(
        "Latency p50 / p95 / p99",
        "Quantiles of http_request_duration_seconds per runtime (recording rules).",
        [
            (f"namespace_runtime:http_request_duration_seconds:p{q}_5m{{{ns}}}", f"{{{{runtime}}}} p{q}")
            for q in (50, 95, 99)
        ],
        unit="s",
    )
    b.panel(
        "5xx ratio",
        "Share of requests answered with a 5xx status; LaravelHigh5xxRatio pages above 5%.",
        [(f"namespace_runtime:http_requests_5xx:ratio_rate5m{{{ns}}}", "{{runtime}}")],
        unit="percentunit",
        minimum=0,
    )
    b.panel(
        "Swoole / FPM throughput",
        "Requests per second of Swoole divided by those of FPM (both deployed, same limits).",
        [
            (
                f'namespace_runtime:http_requests:rate5m{{{ns}, runtime="swoole"}} / ignoring (runtime) '
                f'namespace_runtime:http_requests:rate5m{{{ns}, runtime="fpm"}}',
                "swoole / fpm",
            )
        ],
        unit="none",
        kind="stat",
        width=6,
    )
    b.panel(
        "Replicas per runtime",
        "Pods whose /metrics answers (count of app_info), i.e. the replicas the HPA keeps.",
        [(f"namespace_runtime:app_pods:count{{{ns}}}", "{{runtime}}")],
        width=18,
    )
    b.row("Resources, per runtime (kubelet cAdvisor)")
    b.panel(
        "CPU cores",
        "CPU used by the app pods of each runtime, in cores.",
        [(f"namespace_runtime:container_cpu_usage_seconds:rate5m{{{ns}}}", "{{runtime}}")],
        width=6,
    )
    b.panel(
        "Memory working set",
        "Working set of the app pods of each runtime.",
        [(f"namespace_runtime:container_memory_working_set_bytes:sum{{{ns}}}", "{{runtime}}")],
        unit="bytes",
        width=6,
    )
    b.panel(
        "CPU per request",
        "CPU seconds spent per request served.",
        [(f"namespace_runtime:cpu_seconds_per_request:ratio5m{{{ns}}}", "{{runtime}}")],
        unit="s",
        width=6,
    )
    b.panel(
        "Memory per request/s",
        "Working-set bytes per request/s of throughput: memory needed to serve one request per second.",
        [(f"namespace_runtime:memory_bytes_per_request_per_second:ratio5m{{{ns}}}", "{{runtime}}")],
        unit="bytes",
        width=6,
    )
    b.row("Workers and PHP internals, per runtime")
    b.panel(
        "Workers busy / idle",
        "FPM: active/idle pool processes; Swoole: busy/idle HTTP workers.",
        [
            (f"namespace_runtime:php_workers_busy:sum{{{ns}}}", "{{runtime}} busy"),
            (f"namespace_runtime:php_workers_idle:sum{{{ns}}}", "{{runtime}} idle"),
        ],
    )
    b.panel(
        "OPcache hit rate",
        "Average opcache_statistics_hit_rate of the pods of each runtime.",
        [(f"namespace_runtime:opcache_statistics_hit_rate:avg{{{ns}}}", "{{runtime}}")],
        unit="percentunit",
        minimum=0,
    )
    b.panel(
        "FPM pool saturation",
        "Active / pm.max_children per FPM pod and pool.",
        [(f"namespace_pod_pool:php_fpm_pool_utilization:ratio{{{ns}}}", "{{pod}} {{pool}}")],
        unit="percentunit",
        minimum=0,
    )
    b.panel(
        "Swoole connections and requests",
        "Open connections and requests per second from Server::stats(), summed over Swoole pods.",
        [
            (f"sum(swoole_connection_num{{{ns}}})", "connections"),
            (f"sum(rate(swoole_request_count{{{ns}}}[$__rate_interval]))", "requests/s"),
        ],
    )
    b.panel(
        "Swoole worker utilization",
        "Busy Swoole workers in percent, per pod.",
        [(f"swoole_worker_utilization{{{ns}}}", "{{pod}}")],
        unit="percent",
        minimum=0,
    )
    b.panel(
        "PHP worker memory",
        "memory_get_usage() of the serving worker, averaged per runtime.",
        [
            (
                f"avg by (runtime) (php_memory_usage_bytes{{{ns}}} * on (namespace, pod) group_left (runtime) app_info)",
                "{{runtime}}",
            )
        ],
        unit="bytes",
    )
    return dashboard(
        "lks-fpm-vs-swoole",
        "Laravel: PHP-FPM vs Swoole",
        "Both runtimes side by side under the same limits: throughput, latency, resources per request, workers.",
        ["comparison", "php-fpm", "swoole"],
        [namespace_var()],
        b,
    )


DASHBOARDS = {
    "php-fpm-dashboard.json": fpm_dashboard,
    "swoole-dashboard.json": swoole_dashboard,
    "comparison-dashboard.json": comparison_dashboard,
}


def render(build) -> str:
    return json.dumps(build(), indent=2) + "\n"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for name, build in DASHBOARDS.items():
        path = OUT / name
        text = render(build)
        if check:
            if not path.is_file() or path.read_text() != text:
                stale.append(name)
        else:
            path.write_text(text)
    if stale:
        print("dashboards differ from the generator: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
