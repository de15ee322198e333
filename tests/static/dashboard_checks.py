"""Checkers of the Grafana dashboards and their provisioning: the queries of every panel and
variable as Prometheus receives them, the conventions (stable uid, `${datasource}` everywhere,
no undefined variable), the panels the comparison dashboard must have, and the provisioning
files. Panels are read with monitoring.grafana.panels, the walker every tier uses."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from monitoring.grafana.panels import load, panels, substitute, variable_names
from tests.static.promql_checks import Queries, used_names

# what Grafana substitutes at query time; a range of 5m stands for the interval variables
INTERVALS = dict.fromkeys(("__rate_interval", "__interval", "__range"), "5m")


def dashboards(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.json"))


def grafana_to_promql(expr: str) -> str:
    """Substitute Grafana's variables the way Grafana does before sending the query."""
    return substitute(expr, INTERVALS, default="x")


def variable_promql(query: str) -> str | None:
    """The PromQL inside a Grafana Prometheus variable query, if any."""
    m = re.fullmatch(r"\s*label_values\((.+),\s*\w+\s*\)\s*", query, re.S)
    if m:
        return m.group(1)
    m = re.fullmatch(r"\s*query_result\((.+)\)\s*", query, re.S)
    if m:
        return m.group(1)
    if re.fullmatch(r"\s*(label_values\(\s*\w+\s*\)|label_names\(\)|metrics\(.*\))\s*", query):
        return None
    return query


def dashboard_queries(path: Path) -> Queries:
    """(where, PromQL as Prometheus receives it) of every panel target and query variable."""
    doc = load(path)
    found = [
        (f"{path.name}: panel {p.get('title')!r} {t.get('refId')}", grafana_to_promql(t["expr"]))
        for p in panels(doc)
        for t in p.get("targets", [])
        if t.get("expr")
    ]
    for v in doc.get("templating", {}).get("list", []):
        if v.get("type") == "query":
            q = v.get("query")
            q = q.get("query", "") if isinstance(q, dict) else q or ""
            inner = variable_promql(q)
            if inner:
                found.append((f"{path.name}: variable {v['name']}", grafana_to_promql(inner)))
    return found


def check_dashboard_conventions(paths: list[Path]) -> list[str]:
    problems, uids = [], {}
    for path in paths:
        doc = load(path)
        uid = doc.get("uid")
        if not uid or not re.fullmatch(r"[a-z0-9-]{1,40}", uid):
            problems.append(f"{path.name}: no stable uid")
        elif uid in uids:
            problems.append(f"{path.name}: uid {uid} also used by {uids[uid]}")
        uids[uid] = path.name
        variables = {v["name"]: v for v in doc.get("templating", {}).get("list", [])}
        ds = variables.get("datasource")
        if not ds or ds.get("type") != "datasource" or ds.get("query") != "prometheus":
            problems.append(f"{path.name}: no `datasource` variable of type datasource (prometheus)")
        for v in variables.values():
            if v.get("type") == "query" and (v.get("datasource") or {}).get("uid") != "${datasource}":
                problems.append(f"{path.name}: variable {v['name']} does not query ${{datasource}}")
        for p in panels(doc):
            refs = [p.get("datasource") or {}] + [t.get("datasource") or {} for t in p.get("targets", [])]
            if any(r.get("uid") != "${datasource}" for r in refs):
                problems.append(f"{path.name}: panel {p.get('title')!r} does not use ${{datasource}}")
            problems += [
                f"{path.name}: panel {p.get('title')!r} uses undefined ${var}"
                for t in p.get("targets", [])
                for var in variable_names(t.get("expr", ""))
                if not var.startswith("__") and var not in variables
            ]
            if not p.get("targets"):
                problems.append(f"{path.name}: panel {p.get('title')!r} has no query")
    return problems


# what the comparison dashboard must show, as the series a panel has to query
COMPARISON_PANELS = {
    "requests per second": "namespace_runtime:http_requests:rate5m",
    "latency p50": "namespace_runtime:http_request_duration_seconds:p50_5m",
    "latency p95": "namespace_runtime:http_request_duration_seconds:p95_5m",
    "latency p99": "namespace_runtime:http_request_duration_seconds:p99_5m",
    "CPU": "namespace_runtime:container_cpu_usage_seconds:rate5m",
    "memory": "namespace_runtime:container_memory_working_set_bytes:sum",
    "CPU per request": "namespace_runtime:cpu_seconds_per_request:ratio5m",
    "workers busy": "namespace_runtime:php_workers_busy:sum",
    "workers idle": "namespace_runtime:php_workers_idle:sum",
    "OPcache hit rate": "namespace_runtime:opcache_statistics_hit_rate:avg",
    "FPM pool saturation": "namespace_pod_pool:php_fpm_pool_utilization:ratio",
    "Swoole connections": "swoole_connection_num",
    "Swoole requests": "swoole_request_count",
    "replicas": "namespace_runtime:app_pods:count",
}


def check_comparison_panels(path: Path) -> list[str]:
    used = used_names(dashboard_queries(path))
    return [
        f"{path.name}: no panel for {what} ({series})"
        for what, series in COMPARISON_PANELS.items()
        if series not in used
    ]


# --- Grafana provisioning -------------------------------------------------------------------------
def check_provisioning(datasources: Path, providers: Path, k8s_service: Path) -> list[str]:
    problems = []
    svc = yaml.safe_load(k8s_service.read_text())
    expected_url = f"http://{svc['metadata']['name']}.monitoring.svc:{svc['spec']['ports'][0]['port']}"
    for f in sorted(datasources.glob("*.yml")):
        doc = yaml.safe_load(f.read_text())
        if doc.get("apiVersion") != 1:
            problems.append(f"{f.name}: apiVersion must be 1")
        for ds in doc.get("datasources", []):
            if ds.get("type") != "prometheus":
                problems.append(f"{f.name}: datasource {ds.get('name')} is not of type prometheus")
            if ds.get("url") != expected_url:
                problems.append(f"{f.name}: datasource url {ds.get('url')} is not {expected_url}")
    for f in sorted(providers.glob("*.yml")):
        doc = yaml.safe_load(f.read_text())
        if doc.get("apiVersion") != 1:
            problems.append(f"{f.name}: apiVersion must be 1")
        for p in doc.get("providers", []):
            if p.get("type") != "file" or not (p.get("options") or {}).get("path"):
                problems.append(
                    f"{f.name}: provider {p.get('name')} is not a file provider with options.path"
                )
    return problems
