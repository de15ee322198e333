"""The PHP-FPM dashboard (uid lks-php-fpm): HTTP, the FPM pool, OPcache, resources, Laravel."""

from __future__ import annotations

from monitoring.grafana import runtime_rows
from monitoring.grafana.board import SEL, Board, gauge, pod_gauges, rate

POOL = "{{pod}} {{pool}}"


def pool(b: Board) -> None:
    b.panel(
        "Pool processes: active, idle, max",
        "php_fpm_pool_processes_{active,idle,max} per pod and pool.",
        pod_gauges("php_fpm_pool_processes_{}", "active", "idle", "max", "total", legend=POOL),
    )
    b.ratio(
        "Pool saturation",
        "Active / pm.max_children per pod; PHPFPMPoolSaturation pages above 90% for 5 minutes.",
        [(f"php_fpm_pool_processes_active{{{SEL}}} / php_fpm_pool_processes_max{{{SEL}}}", POOL)],
    )
    b.panel(
        "Listen queue",
        "Connections waiting for a free worker now and at most since start.",
        [
            gauge("php_fpm_pool_listen_queue", f"{POOL} queued"),
            gauge("php_fpm_pool_listen_queue_max", f"{POOL} max since start"),
        ],
    )
    b.panel(
        "Max children reached",
        "Times FPM could not start a child because pm.max_children was reached.",
        [rate("php_fpm_pool_processes_max_reached", POOL, fn="increase")],
    )
    b.panel(
        "Slow requests and accepted connections",
        "Requests slower than request_slowlog_timeout, and connections accepted, per second.",
        [
            rate("php_fpm_pool_slow_requests_total", "{{pod}} slow/s"),
            rate("php_fpm_pool_accepted_connections_total", "{{pod}} accepted/s"),
        ],
        unit="reqps",
    )


def build() -> dict:
    return runtime_rows.runtime_dashboard(
        "fpm",
        "lks-php-fpm",
        "Laravel on PHP-FPM",
        "The FPM variant: HTTP, FPM pool, OPcache, resources and Laravel internals.",
        ["php-fpm"],
        ("PHP-FPM pool (FPM status page)", pool),
    )
