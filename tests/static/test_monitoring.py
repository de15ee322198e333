"""Alerts, recording rules and Grafana dashboards, checked without a cluster.

Every alert carries a severity, a summary, a description and a runbook link
<monitoring.runbook.BASE_URL>#<its own section of docs/runbook.md>; promtool unit tests check both sides of every `for:`; every PromQL expression of the
rules and dashboards parses; every metric name they use is in monitoring/exported-metrics.txt,
which scripts/metrics-snapshot.sh writes from real scrapes; kubelet series are kept by the
scrape configuration of the job they name. Each checker also runs on a deliberately broken
sample under tests/static/samples/monitoring/ and must reject it. The checkers live beside this
file: alert_checks.py, promql_checks.py, dashboard_checks.py.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from monitoring import runbook
from monitoring.grafana import generate_dashboards
from monitoring.grafana.panels import load, panels, runtimes, substitute
from plugins.capabilities import SWOOLE_OFFLINE_REASON
from tests.repo import ROOT, SAMPLES
from tests.static.alert_checks import (
    alerts,
    check_alert_metadata,
    check_conditions_hold_before_for,
    check_for_coverage,
    rule_files,
    rule_tests,
)
from tests.static.dashboard_checks import (
    check_comparison_panels,
    check_dashboard_conventions,
    check_provisioning,
    dashboard_queries,
    dashboards,
)
from tests.static.promql_checks import (
    check_jobs_keep_names,
    check_names_exported,
    check_promql,
    exported,
    recorded_names,
    rule_queries,
    swoole_scraped,
)

pytestmark = pytest.mark.static

MONITORING = ROOT / "monitoring"
RUNBOOK = ROOT / "docs" / "runbook.md"
EXPORTED = MONITORING / "exported-metrics.txt"
DASHBOARD_DIR = MONITORING / "grafana" / "dashboards"
PROMETHEUS_CONFIG = MONITORING / "prometheus" / "config.yml"
PROMETHEUS_SERVICE = ROOT / "k8s" / "monitoring" / "prometheus-service.yaml"
BAD = SAMPLES / "monitoring"
DATA = ROOT / "tests" / "static" / "data"
# the base URL of the broken samples' runbook links
SAMPLE_BASE = "https://runbooks.example/runbook.md"


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
def test_every_runbook_link_of_the_alerts_and_their_tests_is_written_from_the_one_base_url():
    assert runbook.BASE_URL.startswith("https://")
    assert len(runbook.files()) >= 8
    assert runbook.main(["--check"]) == 0


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
    assert sorted(generate_dashboards.DASHBOARDS) == sorted(p.name for p in dashboards(DASHBOARD_DIR))
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
        PROMETHEUS_SERVICE,
    )
    assert problems == []


@pytest.mark.criterion("grafana-comparison-dashboard")
def test_the_panel_walker_reaches_the_panels_of_collapsed_rows_and_substitutes_grafana_variables():
    doc = load(DATA / "collapsed-row-dashboard.json")
    assert [p["title"] for p in panels(doc)] == ["Top", "Inside the collapsed row", "After"]
    assert [p["title"] for p in panels(doc, rows=True)][1] == "Collapsed"
    assert [sorted(runtimes(p)) for p in panels(doc)] == [[], ["fpm", "swoole"], ["swoole"]]
    expr = 'x{a="$a", b=~"${b:regex}", c="[[c]]", d="$d"}[$__rate_interval]'
    assert (
        substitute(expr, {"a": "1", "b": "2", "c": "3"})
        == 'x{a="1", b=~"2", c="3", d="$d"}[$__rate_interval]'
    )
    assert substitute(expr, {"__rate_interval": "5m"}, default="v") == 'x{a="v", b=~"v", c="v", d="v"}[5m]'


# === the broken samples: each checker must reject them ===========================================
@pytest.mark.criterion("alerting")  # its negative: the check can fail
def test_alert_metadata_check_rejects_alerts_without_annotations_or_runbook_section():
    problems = check_alert_metadata(rule_files(BAD / "alerts"), BAD / "runbook.md", SAMPLE_BASE)
    text = "\n".join(problems)
    assert "NoSeverity: severity label missing" in text
    assert "NoDescription: annotation description missing" in text
    assert "NoRunbook: annotation runbook_url missing" in text
    assert f"RelativeLink: runbook_url 'docs/runbook.md#relativelink' is not {SAMPLE_BASE}#<anchor>" in text
    assert f"OtherBase: runbook_url 'https://wiki.example/runbook.md#otherbase' is not {SAMPLE_BASE}#" in text
    assert "MissingSection: runbook_url anchor #missingsection has no section" in text
    assert "OtherSection: runbook_url anchor #noseverity is not its own section #othersection" in text
    assert not any(p.startswith("bad-alerts.yml: Complete:") for p in problems), problems


@pytest.mark.criterion("alerting")  # its negative: the check can fail
def test_runbook_links_written_by_hand_are_rewritten_from_the_base_url_and_then_pass(tmp_path):
    shutil.copytree(BAD / "alerts", tmp_path / "alerts")
    assert runbook.main(["--check"], root=tmp_path) == 1  # relative and foreign links differ
    assert runbook.main([], root=tmp_path) == 0
    assert runbook.main(["--check"], root=tmp_path) == 0
    stamped = (tmp_path / "alerts" / "bad-alerts.yml").read_text()
    assert f"runbook_url: {runbook.BASE_URL}#relativelink\n" in stamped
    problems = check_alert_metadata(rule_files(tmp_path / "alerts"), BAD / "runbook.md")
    # left: the one link whose section the runbook lacks
    assert [p for p in problems if ": runbook_url " in p] == [
        "bad-alerts.yml: MissingSection: runbook_url anchor #missingsection has no section in runbook.md"
    ]


@pytest.mark.criterion("grafana-comparison-dashboard")  # its negative: the check can fail
def test_the_generator_check_fails_when_a_committed_dashboard_differs(tmp_path):
    for name in generate_dashboards.DASHBOARDS:
        shutil.copy(DASHBOARD_DIR / name, tmp_path / name)
    assert generate_dashboards.main(["--check"], out=tmp_path) == 0
    edited = tmp_path / "comparison-dashboard.json"
    edited.write_text(edited.read_text().replace('"title": "CPU cores"', '"title": "CPU"'))
    assert generate_dashboards.main(["--check"], out=tmp_path) == 1


@pytest.mark.criterion("alerting")  # its negative: the check can fail
def test_for_coverage_check_rejects_a_gap_a_missing_side_and_an_alert_without_for():
    root = BAD / "for-coverage"
    text = "\n".join(check_for_coverage(rule_files(root), rule_tests(root)))
    assert "GapBeforeFor: no promtool case pair" in text
    assert "OnlyFires: no promtool case pair" in text
    assert "NoFor has no `for:`" in text


@pytest.mark.criterion("alerting")  # its negative: the check can fail
def test_mutation_check_rejects_a_not_yet_case_taken_before_the_condition_holds():
    root = BAD / "for-too-early"
    files = rule_files(root)
    assert check_for_coverage(files, rule_tests(root)) == []  # the pairing alone looks right
    problems = check_conditions_hold_before_for(root, files, rule_tests(root))
    assert any(
        p.startswith("TooEarly: without `for:` it still does not fire at 0:09:00") for p in problems
    ), problems


@pytest.mark.criterion("alerting", "grafana-comparison-dashboard")  # its negative: the check can fail
def test_promql_check_rejects_a_dashboard_with_a_broken_query():
    problems = check_promql(dashboard_queries(BAD / "dashboards" / "broken-dashboard.json"))
    assert any("panel 'Unclosed'" in p for p in problems), problems


@pytest.mark.criterion("alerting", "grafana-comparison-dashboard")  # its negative: the check can fail
def test_exported_names_check_rejects_a_metric_the_app_does_not_export():
    queries = dashboard_queries(BAD / "dashboards" / "broken-dashboard.json")
    problems = check_names_exported(queries, set(), BAD / "exported-metrics.txt")
    assert any(p.startswith("php_fpm_pool_processes_busy is not exported") for p in problems), problems
    assert not any(p.startswith("http_requests_total") for p in problems), problems


@pytest.mark.criterion("alerting", "grafana-comparison-dashboard")  # its negative: the check can fail
def test_job_keep_check_rejects_series_the_scrape_config_drops():
    queries = rule_queries(rule_files(BAD / "dropped-series"))
    text = "\n".join(check_jobs_keep_names(queries, PROMETHEUS_CONFIG))
    assert "container_fs_usage_bytes is dropped by the keep rule of job 'kubelet-cadvisor'" in text
    assert "job 'kubelet-nope' is not a scrape job" in text


@pytest.mark.criterion("grafana-comparison-dashboard")  # its negative: the check can fail
def test_dashboard_conventions_check_rejects_a_hard_coded_datasource_and_a_missing_uid():
    text = "\n".join(check_dashboard_conventions(dashboards(BAD / "dashboards")))
    assert "broken-dashboard.json: no stable uid" in text
    assert "panel 'Hard-coded datasource' does not use ${datasource}" in text
    assert "uses undefined $cluster" in text


@pytest.mark.criterion("grafana-comparison-dashboard")  # its negative: the check can fail
def test_comparison_panels_check_rejects_a_dashboard_without_latency_percentiles():
    problems = check_comparison_panels(BAD / "dashboards" / "broken-dashboard.json")
    assert (
        "broken-dashboard.json: no panel for latency p99 (namespace_runtime:http_request_duration_seconds:p99_5m)"
        in problems
    )


@pytest.mark.criterion("grafana-comparison-dashboard")  # its negative: the check can fail
def test_provisioning_check_rejects_a_wrong_datasource_and_a_provider_without_path():
    bad = BAD / "provisioning"
    text = "\n".join(check_provisioning(bad, bad, PROMETHEUS_SERVICE))
    assert "datasource Loki is not of type prometheus" in text
    assert "provider dashboards is not a file provider with options.path" in text
