"""Alerts, recording rules and Grafana dashboards, checked without a cluster.

Every alert carries a severity, a summary, a description and a runbook link to a section that
exists; promtool unit tests check both sides of every `for:`; every PromQL expression of the
rules and dashboards parses; every metric name they use is in monitoring/exported-metrics.txt,
which scripts/metrics-snapshot.sh writes from real scrapes; kubelet series are kept by the
scrape configuration of the job they name. Each checker also runs on a deliberately broken
sample under tests/static/samples/monitoring/ and must reject it.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import promql_parser
import pytest
import yaml

from plugins.capabilities import SWOOLE_OFFLINE_REASON, require_tool
from tests.repo import ROOT, SAMPLES

pytestmark = pytest.mark.static

MONITORING = ROOT / "monitoring"
RUNBOOK = ROOT / "docs" / "runbook.md"
EXPORTED = MONITORING / "exported-metrics.txt"
DASHBOARD_DIR = MONITORING / "grafana" / "dashboards"
PROMETHEUS_CONFIG = MONITORING / "prometheus" / "config.yml"
BAD = SAMPLES / "monitoring"

REQUIRED_ANNOTATIONS = ("summary", "description", "runbook_url")
SEVERITIES = ("critical", "warning", "info")
RUNBOOK_URL = re.compile(r"^docs/runbook\.md#([a-z0-9-]+)$")
# what Grafana substitutes at query time; a range of 5m stands for the interval variables
INTERVAL_VARIABLES = re.compile(r"\$\{?__(?:rate_interval|interval|range)(?::\w+)?\}?")
OTHER_VARIABLES = re.compile(r"\$\{(\w+)(?::[^}]*)?\}|\$(\w+)|\[\[(\w+)\]\]")


# --- loading ------------------------------------------------------------------------------------
def rule_files(root: Path) -> list[Path]:
    """YAML files under root that hold Prometheus rule groups (promtool tests excluded)."""
    found = []
    for p in sorted(root.rglob("*.yml")):
        if "tests" in p.relative_to(root).parts:
            continue
        doc = yaml.safe_load(p.read_text())
        if isinstance(doc, dict) and "groups" in doc:
            found.append(p)
    return found


def rules(files: list[Path]) -> list[tuple[Path, dict]]:
    return [(f, r) for f in files for g in yaml.safe_load(f.read_text())["groups"] for r in g["rules"]]


def alerts(files: list[Path]) -> list[tuple[Path, dict]]:
    return [(f, r) for f, r in rules(files) if "alert" in r]


def rule_tests(root: Path) -> list[Path]:
    return sorted((root / "tests").glob("*.yml"))


def dashboards(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.json"))


def seconds(duration: str) -> float:
    return promql_parser.parse_duration(duration).total_seconds()


def github_anchors(markdown: str) -> set[str]:
    """Anchors GitHub generates for the headings of a Markdown file."""
    anchors = set()
    for line in markdown.splitlines():
        m = re.match(r"#{1,6}\s+(.*)", line)
        if m:
            slug = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower()).replace(" ", "-")
            anchors.add(slug)
    return anchors


# --- alert metadata -----------------------------------------------------------------------------
def check_alert_metadata(files: list[Path], runbook: Path) -> list[str]:
    anchors = github_anchors(runbook.read_text())
    problems = []
    for f, a in alerts(files):
        where = f"{f.name}: {a['alert']}"
        labels, annotations = a.get("labels") or {}, a.get("annotations") or {}
        if labels.get("severity") not in SEVERITIES:
            problems.append(f"{where}: severity label missing or not one of {SEVERITIES}")
        problems += [
            f"{where}: annotation {k} missing" for k in REQUIRED_ANNOTATIONS if not annotations.get(k)
        ]
        url = annotations.get("runbook_url", "")
        m = RUNBOOK_URL.match(url)
        if url and not m:
            problems.append(f"{where}: runbook_url {url!r} is not docs/runbook.md#<anchor>")
        elif m and m.group(1) not in anchors:
            problems.append(f"{where}: runbook_url anchor #{m.group(1)} has no section in {runbook.name}")
    return problems


# --- promtool cases on both sides of every for: -------------------------------------------------
def alert_cases(test_files: list[Path]) -> dict[str, list[dict]]:
    """alertname -> [{file, test, interval, cases: {eval seconds: exp_alerts}}] per test group."""
    found: dict[str, list[dict]] = {}
    for tf in test_files:
        doc = yaml.safe_load(tf.read_text())
        interval = seconds(doc.get("evaluation_interval", "1m"))
        for group in doc.get("tests", []):
            per_alert: dict[str, dict[float, list]] = {}
            for case in group.get("alert_rule_test", []):
                per_alert.setdefault(case["alertname"], {})[seconds(case["eval_time"])] = (
                    case.get("exp_alerts") or []
                )
            for name, cases in per_alert.items():
                found.setdefault(name, []).append(
                    {"file": tf, "test": group.get("name", "?"), "interval": interval, "cases": cases}
                )
    return found


def paired_cases(alert: dict, groups: list[dict]) -> list[tuple[Path, float, float]]:
    """(test file, t0, t1) where the alert must not fire at t0 and fires, fully described, at
    t1 = t0 + one evaluation interval."""
    pairs = []
    for g in groups:
        for t1, expected in g["cases"].items():
            t0 = t1 - g["interval"]
            described = expected and all(
                (e.get("exp_labels") or {}).get("severity") == alert["labels"]["severity"]
                and all((e.get("exp_annotations") or {}).get(k) for k in REQUIRED_ANNOTATIONS)
                for e in expected
            )
            if described and t0 in g["cases"] and g["cases"][t0] == []:
                pairs.append((g["file"], t0, t1))
    return pairs


def check_for_coverage(files: list[Path], test_files: list[Path]) -> list[str]:
    cases = alert_cases(test_files)
    problems = []
    for f, a in alerts(files):
        name = a["alert"]
        if "for" not in a or seconds(a["for"]) < 60:
            problems.append(f"{f.name}: {name} has no `for:` of at least 1m, so it has no two sides to test")
            continue
        if not paired_cases(a, cases.get(name, [])):
            problems.append(
                f"{name}: no promtool case pair 'must not fire at T' / 'fires at T + evaluation_interval "
                "with severity and summary, description, runbook_url'"
            )
    return problems


def without_for(root: Path, files: list[Path], test_files: list[Path], into: Path) -> list[Path]:
    """Copy the rule and test files under `into` (same relative paths), every `for:` removed."""
    for f in files + test_files:
        target = into / f.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        doc = yaml.safe_load(f.read_text())
        if f in files:
            for group in doc["groups"]:
                for rule in group["rules"]:
                    rule.pop("for", None)
        target.write_text(yaml.safe_dump(doc, sort_keys=False))
    return [into / t.relative_to(root) for t in test_files]


def check_conditions_hold_before_for(root: Path, files: list[Path], test_files: list[Path]) -> list[str]:
    """With every `for:` removed, each 'must not fire yet' case of a pair must fail: proof that
    the condition already held there and only `for:` kept the alert pending."""
    cases = alert_cases(test_files)
    pairs = {
        (a["alert"], t0) for _, a in alerts(files) for _, t0, _ in paired_cases(a, cases.get(a["alert"], []))
    }
    if not pairs:
        return ["no paired promtool cases to mutate"]
    with tempfile.TemporaryDirectory() as tmp:
        copied = without_for(root, files, test_files, Path(tmp))
        proc = subprocess.run(
            [require_tool("promtool"), "test", "rules", *map(str, copied)],
            capture_output=True,
            text=True,
            timeout=120,
        )
    fired_early = {
        (m.group(1), seconds(m.group(2)))
        for m in re.finditer(
            r"alertname: (\w+), time: (\w+),\s*exp:\[\],\s*got:\[\s*0:", proc.stdout + proc.stderr
        )
    }
    return [
        f"{name}: without `for:` it still does not fire at {timedelta(seconds=t0)}: the 'not yet' case is not "
        "just before `for:` elapses (the condition does not hold there)"
        for name, t0 in sorted(pairs - fired_early)
    ]


# --- PromQL ---------------------------------------------------------------------------------------
def grafana_to_promql(expr: str) -> str:
    """Substitute Grafana's variables the way Grafana does before sending the query."""
    expr = INTERVAL_VARIABLES.sub("5m", expr)
    return OTHER_VARIABLES.sub("x", expr)


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


def all_panels(panels: list[dict]) -> list[dict]:
    out = []
    for p in panels:
        out.append(p)
        out += all_panels(p.get("panels", []))
    return out


def dashboard_queries(path: Path) -> list[tuple[str, str]]:
    """(where, PromQL as Prometheus receives it) of every panel target and query variable."""
    doc = json.loads(path.read_text())
    found = []
    for p in all_panels(doc.get("panels", [])):
        for t in p.get("targets", []):
            if t.get("expr"):
                found.append(
                    (f"{path.name}: panel {p.get('title')!r} {t.get('refId')}", grafana_to_promql(t["expr"]))
                )
    for v in doc.get("templating", {}).get("list", []):
        if v.get("type") == "query":
            q = v.get("query")
            q = q.get("query", "") if isinstance(q, dict) else q or ""
            inner = variable_promql(q)
            if inner:
                found.append((f"{path.name}: variable {v['name']}", grafana_to_promql(inner)))
    return found


def rule_queries(files: list[Path]) -> list[tuple[str, str]]:
    return [(f"{f.name}: {r.get('alert') or r.get('record')}", r["expr"]) for f, r in rules(files)]


def check_promql(queries: list[tuple[str, str]]) -> list[str]:
    problems = []
    for where, expr in queries:
        try:
            promql_parser.parse(expr)
        except ValueError as exc:
            problems.append(f"{where}: {exc}: {expr}")
    return problems


def selectors(expr: str) -> list[tuple[str, dict[str, str]]]:
    """(metric name, equality matchers) of every vector selector of an expression."""
    found = []

    def visit(node):
        if isinstance(node, promql_parser.VectorSelector):
            eq = {m.name: m.value for m in node.matchers.matchers if m.op == promql_parser.MatchOp.Equal}
            name = node.name or eq.get("__name__")
            if name:
                found.append((name, eq))

    promql_parser.walk(promql_parser.parse(expr), visit)
    return found


def used_names(queries: list[tuple[str, str]]) -> dict[str, list[str]]:
    used: dict[str, list[str]] = {}
    for where, expr in queries:
        try:
            found = selectors(expr)
        except ValueError:
            continue  # reported by check_promql
        for name, _ in found:
            used.setdefault(name, []).append(where)
    return used


# --- the exported set -----------------------------------------------------------------------------
def exported(path: Path) -> tuple[dict[str, set[str]], dict[str, str]]:
    """name -> sources, and source id -> description, from a metrics snapshot file."""
    names: dict[str, set[str]] = {}
    sources: dict[str, str] = {}
    for line in path.read_text().splitlines():
        m = re.match(r"# source ([\w-]+): (.*)", line)
        if m:
            sources[m.group(1)] = m.group(2)
        elif line and not line.startswith("#"):
            name, srcs = line.split()
            names[name] = set(srcs.split(","))
    return names, sources


def check_names_exported(
    queries: list[tuple[str, str]], recorded: set[str], snapshot: Path, skip_prefix: str | None = None
) -> list[str]:
    names, _ = exported(snapshot)
    problems = []
    for name, where in sorted(used_names(queries).items()):
        if name in recorded or name in names or (skip_prefix and name.startswith(skip_prefix)):
            continue
        problems.append(
            f"{name} is not exported (not in {snapshot.name}), used by {', '.join(sorted(set(where)))}"
        )
    return problems


def recorded_names(files: list[Path]) -> set[str]:
    return {r["record"] for _, r in rules(files) if "record" in r}


def swoole_scraped(snapshot: Path) -> bool:
    return "scrape-swoole" in exported(snapshot)[1]


# --- kubelet series against the scrape configuration -------------------------------------------
def check_jobs_keep_names(queries: list[tuple[str, str]], config: Path) -> list[str]:
    """A selector with job="X" needs a scrape job X whose metric_relabel keep rules let the name in."""
    jobs = {j["job_name"]: j for j in yaml.safe_load(config.read_text())["scrape_configs"]}
    problems = []
    for where, expr in queries:
        try:
            found = selectors(expr)
        except ValueError:
            continue  # reported by check_promql
        for name, eq in found:
            job = eq.get("job")
            if job is None:
                continue
            if job not in jobs:
                problems.append(f"{where}: job {job!r} is not a scrape job of {config.name}")
                continue
            for rc in jobs[job].get("metric_relabel_configs", []):
                keeps = rc.get("action") == "keep" and rc.get("source_labels") == ["__name__"]
                if keeps and not re.fullmatch(rc["regex"], name):
                    problems.append(f"{where}: {name} is dropped by the keep rule of job {job!r}")
    return problems


# --- dashboards -----------------------------------------------------------------------------------
def check_dashboard_conventions(paths: list[Path]) -> list[str]:
    problems, uids = [], {}
    for path in paths:
        doc = json.loads(path.read_text())
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
        for p in all_panels(doc.get("panels", [])):
            if p.get("type") == "row":
                continue
            refs = [p.get("datasource") or {}] + [t.get("datasource") or {} for t in p.get("targets", [])]
            if any(r.get("uid") != "${datasource}" for r in refs):
                problems.append(f"{path.name}: panel {p.get('title')!r} does not use ${{datasource}}")
            for t in p.get("targets", []):
                for m in OTHER_VARIABLES.finditer(t.get("expr", "")):
                    var = next(g for g in m.groups() if g)
                    if not var.startswith("__") and var not in variables:
                        problems.append(f"{path.name}: panel {p.get('title')!r} uses undefined ${var}")
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


# === the repository ==============================================================================
@pytest.fixture(scope="module")
def repo_rules() -> list[Path]:
    files = rule_files(MONITORING)
    assert files, "no rule files under monitoring/"
    return files


@pytest.fixture(scope="module")
def repo_queries(repo_rules) -> list[tuple[str, str]]:
    queries = rule_queries(repo_rules)
    for d in dashboards(DASHBOARD_DIR):
        queries += dashboard_queries(d)
    return queries


@pytest.mark.criterion("alerting")
def test_every_alert_has_a_severity_summary_description_and_a_runbook_section(repo_rules):
    assert len(alerts(repo_rules)) >= 4
    assert check_alert_metadata(repo_rules, RUNBOOK) == []


@pytest.mark.criterion("alerting")
def test_every_alert_is_unit_tested_just_before_and_just_after_its_for(repo_rules):
    assert check_for_coverage(repo_rules, rule_tests(MONITORING)) == []


@pytest.mark.criterion("alerting")
def test_without_for_every_not_yet_case_fires_so_for_alone_holds_it_back(repo_rules):
    assert check_conditions_hold_before_for(MONITORING, repo_rules, rule_tests(MONITORING)) == []


@pytest.mark.criterion("alerting")
def test_the_poc_alerts_exist():
    names = {a["alert"] for _, a in alerts(rule_files(MONITORING))}
    assert {
        "PHPFPMPoolSaturation",
        "OPcacheHitRateLow",
        "SwooleMemoryLeak",
        "SwooleWorkerSaturation",
    } <= names


@pytest.mark.criterion("alerting", "grafana-comparison-dashboard")
def test_every_promql_expression_of_rules_and_dashboards_parses(repo_queries):
    assert len(repo_queries) > 50
    assert check_promql(repo_queries) == []


@pytest.mark.criterion("alerting", "grafana-comparison-dashboard")
def test_every_metric_used_by_rules_and_dashboards_is_exported(repo_rules, repo_queries):
    # swoole_* series are checked by the next test, against a scrape of the Swoole variant
    assert (
        check_names_exported(repo_queries, recorded_names(repo_rules), EXPORTED, skip_prefix="swoole_") == []
    )


@pytest.mark.criterion("grafana-comparison-dashboard", variant="swoole")
def test_every_swoole_metric_used_is_exported_by_the_swoole_variant(repo_rules, repo_queries):
    if not swoole_scraped(EXPORTED):
        pytest.skip(
            f"{SWOOLE_OFFLINE_REASON} (monitoring/exported-metrics.txt has no scrape of the Swoole variant)"
        )
    assert check_names_exported(repo_queries, recorded_names(repo_rules), EXPORTED) == []


@pytest.mark.criterion("alerting", "grafana-comparison-dashboard")
def test_the_exported_set_comes_from_a_real_scrape_of_the_app():
    names, sources = exported(EXPORTED)
    assert "scrape-fpm" in sources, "monitoring/exported-metrics.txt has no scrape of the FPM variant"
    undeclared = {s for srcs in names.values() for s in srcs} - set(sources)
    assert not undeclared, f"names from undeclared sources: {undeclared}"
    scraped = {n for n, s in names.items() if "scrape-fpm" in s}
    # the app's own families, as Prometheus stored them after traffic
    assert {"http_requests_total", "http_request_duration_seconds_bucket", "app_info"} <= scraped


@pytest.mark.criterion("alerting", "grafana-comparison-dashboard")
def test_kubelet_series_are_kept_by_the_scrape_job_they_name(repo_queries):
    assert check_jobs_keep_names(repo_queries, PROMETHEUS_CONFIG) == []


@pytest.mark.criterion("grafana-comparison-dashboard")
def test_dashboards_have_stable_uids_and_take_their_datasource_from_a_variable():
    paths = dashboards(DASHBOARD_DIR)
    assert {p.name for p in paths} >= {
        "php-fpm-dashboard.json",
        "swoole-dashboard.json",
        "comparison-dashboard.json",
    }
    assert check_dashboard_conventions(paths) == []


@pytest.mark.criterion("grafana-comparison-dashboard")
def test_the_comparison_dashboard_shows_both_runtimes_side_by_side():
    assert check_comparison_panels(DASHBOARD_DIR / "comparison-dashboard.json") == []


@pytest.mark.criterion("grafana-comparison-dashboard")
def test_the_committed_dashboards_are_what_the_generator_writes():
    proc = subprocess.run(
        [sys.executable, "-m", "monitoring.grafana.generate_dashboards", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr


@pytest.mark.criterion("grafana-comparison-dashboard")
def test_grafana_provisioning_points_at_the_in_cluster_prometheus_and_the_dashboards():
    problems = check_provisioning(
        MONITORING / "grafana" / "datasources",
        MONITORING / "grafana" / "provisioning" / "dashboards",
        ROOT / "k8s" / "monitoring" / "prometheus-service.yaml",
    )
    assert problems == []


# === the broken samples: each checker must reject them ===========================================
def test_alert_metadata_check_rejects_alerts_without_annotations_or_runbook_section():
    problems = check_alert_metadata(rule_files(BAD / "alerts"), BAD / "runbook.md")
    text = "\n".join(problems)
    assert "NoSeverity: severity label missing" in text
    assert "NoDescription: annotation description missing" in text
    assert "NoRunbook: annotation runbook_url missing" in text
    assert "MissingSection: runbook_url anchor #missingsection has no section" in text


def test_for_coverage_check_rejects_a_gap_a_missing_side_and_an_alert_without_for():
    root = BAD / "for-coverage"
    text = "\n".join(check_for_coverage(rule_files(root), rule_tests(root)))
    assert "GapBeforeFor: no promtool case pair" in text
    assert "OnlyFires: no promtool case pair" in text
    assert "NoFor has no `for:`" in text


def test_mutation_check_rejects_a_not_yet_case_taken_before_the_condition_holds():
    root = BAD / "for-too-early"
    files = rule_files(root)
    assert check_for_coverage(files, rule_tests(root)) == []  # the pairing alone looks right
    problems = check_conditions_hold_before_for(root, files, rule_tests(root))
    assert any(
        p.startswith("TooEarly: without `for:` it still does not fire at 0:09:00") for p in problems
    ), problems


def test_promql_check_rejects_a_dashboard_with_a_broken_query():
    problems = check_promql(dashboard_queries(BAD / "dashboards" / "broken-dashboard.json"))
    assert any("panel 'Unclosed'" in p for p in problems), problems


def test_exported_names_check_rejects_a_metric_the_app_does_not_export():
    queries = dashboard_queries(BAD / "dashboards" / "broken-dashboard.json")
    problems = check_names_exported(queries, set(), BAD / "exported-metrics.txt")
    assert any(p.startswith("php_fpm_pool_processes_busy is not exported") for p in problems), problems
    assert not any(p.startswith("http_requests_total") for p in problems), problems


def test_job_keep_check_rejects_series_the_scrape_config_drops():
    queries = rule_queries(rule_files(BAD / "dropped-series"))
    text = "\n".join(check_jobs_keep_names(queries, PROMETHEUS_CONFIG))
    assert "container_fs_usage_bytes is dropped by the keep rule of job 'kubelet-cadvisor'" in text
    assert "job 'kubelet-nope' is not a scrape job" in text


def test_dashboard_conventions_check_rejects_a_hard_coded_datasource_and_a_missing_uid():
    text = "\n".join(check_dashboard_conventions(dashboards(BAD / "dashboards")))
    assert "broken-dashboard.json: no stable uid" in text
    assert "panel 'Hard-coded datasource' does not use ${datasource}" in text
    assert "uses undefined $cluster" in text


def test_comparison_panels_check_rejects_a_dashboard_without_latency_percentiles():
    problems = check_comparison_panels(BAD / "dashboards" / "broken-dashboard.json")
    assert (
        "broken-dashboard.json: no panel for latency p99 (namespace_runtime:http_request_duration_seconds:p99_5m)"
        in problems
    )


def test_provisioning_check_rejects_a_wrong_datasource_and_a_provider_without_path():
    bad = BAD / "provisioning"
    text = "\n".join(check_provisioning(bad, bad, ROOT / "k8s" / "monitoring" / "prometheus-service.yaml"))
    assert "datasource Loki is not of type prometheus" in text
    assert "provider dashboards is not a file provider with options.path" in text
