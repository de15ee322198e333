"""Observability on the kind cluster: Prometheus (k8s/monitoring) scrapes the app after bounded
traffic, every dashboard query runs against it, the rules are loaded, and an alert fires from a
real condition."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from fixtures.k8s_app import NAMESPACE
from fixtures.prometheus import NAMESPACE as MONITORING_NS
from fixtures.prometheus import counter_growth
from monitoring import runbook
from monitoring.grafana import render
from monitoring.grafana.panels import load, panels, runtimes, substitute
from suite.project import ROOT
from tests.api_session import log_in_new_user

pytestmark = [pytest.mark.k8s, pytest.mark.slow]

MONITORING = ROOT / "monitoring"
DASHBOARDS = MONITORING / "grafana" / "dashboards"
# what Grafana would send for the dashboards' variables on this cluster
LIVE_VARIABLES = {
    "namespace": NAMESPACE,
    "pod": ".*",
    "__rate_interval": "1m",
    "__interval": "15s",
    "__range": "1h",
}
TRAFFIC_REQUESTS = 60


def contract_names(prefixes: tuple[str, ...], source: str) -> list[str]:
    """Names with these prefixes that the metrics snapshot saw in a real scrape of `source`."""
    names = []
    for line in (MONITORING / "exported-metrics.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, sources = line.split()
            if name.startswith(prefixes) and source in sources.split(","):
                names.append(name)
    return names


def drive_traffic(app) -> None:
    """Bounded traffic through the Ingress that touches every recorded code path (as a logged-in
    user: the task and job routes need a session, docs/APP.md "Access matrix")."""
    with app.http() as http:
        log_in_new_user(http, app.url, "Observability")
        # verify per request: requests lets REQUESTS_CA_BUNDLE override a session's CA
        kw = {"timeout": 10, "verify": http.verify, "headers": {"Accept": "application/json"}}
        statuses = {
            "/api/ping": {http.get(app.url("/api/ping"), **kw).status_code for _ in range(TRAFFIC_REQUESTS)}
        }
        statuses["/api/tasks"] = {http.get(app.url("/api/tasks"), **kw).status_code}
        statuses["/api/tasks/999999"] = {http.get(app.url("/api/tasks/999999"), **kw).status_code}
        login = http.post(
            app.url("/api/auth/login"),
            json={"email": "nobody@example.com", "password": "wrong-password"},
            **kw,
        )
        statuses["/api/auth/login (wrong password)"] = {login.status_code}
        statuses["/api/jobs"] = {
            http.post(app.url("/api/jobs"), json={"numbers": [1, 2, 3]}, **kw).status_code
        }
        # an upload to the store (the dashboards' upload panels)
        task = http.post(app.url("/api/tasks"), json={"title": "observability upload"}, **kw)
        assert task.status_code == 201, task.text[:300]
        statuses["/api/tasks/{task}/attachments"] = {
            http.post(
                app.url(f"/api/tasks/{task.json()['data']['id']}/attachments"),
                files={"file": ("observability.txt", b"observability upload\n", "text/plain")},
                **kw | {"headers": kw["headers"] | {"X-Requested-With": "XMLHttpRequest"}},
            ).status_code
        }
    # the series the tests look for exist only if each of these got its answer
    expected = {
        "/api/ping": {200},
        "/api/tasks": {200},
        "/api/tasks/999999": {404},
        # 429 once the login throttle (per e-mail and client) has seen enough wrong passwords
        "/api/auth/login (wrong password)": {401, 429},
        "/api/jobs": {202},
        "/api/tasks/{task}/attachments": {201},
    }
    unexpected = {path: got for path, got in statuses.items() if not got <= expected[path]}
    assert not unexpected, f"the traffic was not answered as expected (path: statuses): {unexpected}"


PING = f'http_requests_total{{namespace="{NAMESPACE}", route="api/ping"}}'
REPORT_JOBS = f'laravel_queue_jobs_processed_total{{namespace="{NAMESPACE}", exported_job="App\\\\Jobs\\\\GenerateReport"}}'


def _scrapes(prometheus) -> dict[str, datetime]:
    """Last scrape time of every healthy laravel-app target, by pod."""
    return {
        t["labels"]["pod"]: datetime.fromisoformat(t["lastScrape"])
        for t in prometheus.targets()
        if t["labels"].get("job") == "laravel-app" and t["health"] == "up" and t["labels"].get("pod")
    }


def _per_pod(prometheus, selector: str) -> dict[str, float]:
    """A counter of every pod Prometheus has now (instant query), summed per pod."""
    return {s["metric"]["pod"]: float(s["value"][1]) for s in prometheus.query(f"sum by (pod) ({selector})")}


def _ping_counts(prometheus) -> dict[str, float]:
    return _per_pod(prometheus, PING)


def wait_for_fresh_scrapes(prometheus, timeout: float = 90) -> None:
    """Until every healthy laravel-app target has been scraped after this call started."""
    since = datetime.now(UTC)
    deadline = time.monotonic() + timeout
    while True:
        scrapes = _scrapes(prometheus)
        if scrapes and all(t > since for t in scrapes.values()):
            return
        if time.monotonic() > deadline:
            pytest.fail(
                f"laravel-app targets not all scraped within {timeout:.0f}s: {scrapes}", pytrace=False
            )
        time.sleep(3)


@pytest.fixture
def scraped_app(ready_app, prometheus, traffic_pods):
    """The app after bounded traffic, once Prometheus has scraped that traffic: the api/ping
    counters of the pods serving now (read after a fresh scrape, before the traffic) must grow by
    the requests sent, and every target has been scraped again after the traffic ended (the last
    requests, a 404 among them, come after the pings). Never an absolute sum: on a reused cluster
    it still counts replaced pods, and every new pod's counter starts from 0. `traffic_pods`
    gets the web pods that were Ready when the traffic was sent."""
    wait_for_fresh_scrapes(prometheus)
    before = _ping_counts(prometheus)
    traffic_pods.update(p.metadata.name for p in ready_app.pods("web"))
    traffic_pods.baseline = {"report_jobs": _per_pod(prometheus, REPORT_JOBS)}
    drive_traffic(ready_app)
    deadline = time.monotonic() + 120
    while (seen := counter_growth(before, after := _ping_counts(prometheus))) < TRAFFIC_REQUESTS:
        if time.monotonic() > deadline:
            pytest.fail(
                f"after 120s Prometheus counts {seen:.0f} of the {TRAFFIC_REQUESTS} api/ping requests sent "
                f"(per pod before {before}, now {after})",
                pytrace=False,
            )
        time.sleep(5)
    wait_for_fresh_scrapes(prometheus)
    return ready_app


class TrafficPods(set):
    """The web pods Ready when the traffic was sent, and counters read just before it."""

    baseline: dict[str, dict[str, float]]


@pytest.fixture
def traffic_pods() -> TrafficPods:
    return TrafficPods()


@pytest.mark.criterion("metrics-collected", "custom-prometheus-metrics", "php-laravel-metrics")
def test_prometheus_has_scraped_the_app_request_queue_db_and_cache_series(
    scraped_app, prometheus, variant, record_metric, traffic_pods
):
    # the request series of the pods that served this traffic, not stale ones an earlier run left;
    # last_over_time: a pod the HPA has removed since (it scales back down after the HPA tests)
    # keeps its last samples, while an instant query drops a vanished target's series
    served = "|".join(sorted(traffic_pods))
    expected = [
        f'app_info{{namespace="{NAMESPACE}", runtime="{variant}", pod=~"{served}"}}',
        f'http_request_duration_seconds_bucket{{namespace="{NAMESPACE}", route="api/ping", pod=~"{served}"}}',
        f'http_requests_total{{namespace="{NAMESPACE}", status="404", pod=~"{served}"}}',
        f'laravel_db_query_duration_seconds_bucket{{namespace="{NAMESPACE}", pod=~"{served}"}}',
        f'laravel_cache_hits_total{{namespace="{NAMESPACE}", pod=~"{served}"}}',
        f'laravel_cache_misses_total{{namespace="{NAMESPACE}", pod=~"{served}"}}',
        f'laravel_queue_size{{namespace="{NAMESPACE}", pod=~"{served}"}}',
    ]
    empty = [e for e in expected if not prometheus.query(f"last_over_time({e}[10m])")]
    assert not empty, f"no series in Prometheus for: {empty}"
    # the job this traffic dispatched was processed: growth since just before it, never mere
    # existence (on a reused cluster an earlier run's series would do)
    # the counter lives in Redis and every web pod exports it: compare the pods read both times
    # (a pod started since would count the whole total as growth)
    before = traffic_pods.baseline["report_jobs"]

    def report_jobs() -> dict[str, float]:
        now = _per_pod(prometheus, REPORT_JOBS)
        return {pod: v for pod, v in now.items() if pod in before} if before.keys() & now.keys() else now

    deadline = time.monotonic() + 120
    while (grown := counter_growth(before, now := report_jobs())) < 1:
        if time.monotonic() > deadline:
            pytest.fail(
                f"after 120s no GenerateReport job processed since the traffic (per pod before {before}, now {now})",
                pytrace=False,
            )
        time.sleep(5)
    record_metric("metrics-collected", "report jobs processed during the test", grown, "jobs")
    series = prometheus.query(f'count({{job="laravel-app", namespace="{NAMESPACE}"}})')
    record_metric("metrics-collected", "app_series_in_prometheus", float(series[0]["value"][1]), "series")


@pytest.mark.criterion("metrics-collected", "fpm-swoole-metrics")
@pytest.mark.criterion("swoole-metrics", variant="swoole")
def test_prometheus_has_every_runtime_specific_series_of_the_poc(scraped_app, prometheus, variant):
    prefixes = ("opcache_", "php_fpm_pool_") if variant == "fpm" else ("opcache_", "swoole_")
    names = contract_names(prefixes, f"scrape-{variant}")
    if variant == "fpm":
        assert len(names) >= 20, names
    elif not names:
        pytest.fail(
            "monitoring/exported-metrics.txt has no scrape of the Swoole variant: run "
            "scripts/metrics-snapshot.sh where its image exists",
            pytrace=False,
        )
    pods = {p.metadata.name for p in scraped_app.pods("web")}
    missing = {}
    for name in names:
        seen = {s["metric"]["pod"] for s in prometheus.query(f'{name}{{namespace="{NAMESPACE}"}}')}
        if not pods <= seen:
            missing[name] = sorted(pods - seen)
    assert not missing, f"series missing for Ready web pods: {missing}"


@pytest.mark.criterion("grafana-comparison-dashboard")
def test_every_dashboard_query_runs_against_the_cluster_prometheus(
    scraped_app, prometheus, variant, record_metric
):
    # the recording rules' 5m windows need a few evaluations after the traffic
    prometheus.wait_for(
        f'namespace_runtime:cpu_seconds_per_request:ratio5m{{namespace="{NAMESPACE}", runtime="{variant}"}}',
        bool,
        timeout=180,
    )
    errors, without_data, proven, total = [], [], 0, 0
    for path in sorted(DASHBOARDS.glob("*.json")):
        other = {"fpm": "swoole", "swoole": "php-fpm"}[variant]
        dashboard_applies = not path.name.startswith(other)
        for panel in panels(load(path)):
            total += 1
            has_data = False
            for target in panel["targets"]:
                result, error = prometheus.try_query(substitute(target["expr"], LIVE_VARIABLES))
                if error:
                    errors.append(f"{path.name} / {panel['title']} / {target['refId']}: {error}")
                has_data = has_data or bool(result)
            # a panel of the other runtime, or of both at once (k8s/overlays/comparison), has no data here
            applies = dashboard_applies and runtimes(panel) <= {variant}
            if has_data:
                proven += 1
            elif applies:
                without_data.append(f"{path.name} / {panel['title']}")
    record_metric("grafana-comparison-dashboard", f"panels_with_live_data_{variant}", proven, "panels")
    record_metric("grafana-comparison-dashboard", "panels_total", total, "panels")
    assert not errors, "queries that Prometheus rejected:\n" + "\n".join(errors)
    assert not without_data, f"panels of the deployed {variant} variant without data:\n" + "\n".join(
        without_data
    )


@pytest.mark.criterion("grafana-comparison-dashboard")
def test_every_dashboard_renders_to_a_png_from_the_cluster_prometheus_with_data_in_its_variants_panels(
    scraped_app, prometheus, variant, artifacts_dir, record_metric
):
    # the same wait as above: a fresh cluster needs a few rule evaluations after the traffic
    prometheus.wait_for(
        f'namespace_runtime:cpu_seconds_per_request:ratio5m{{namespace="{NAMESPACE}", runtime="{variant}"}}',
        bool,
        timeout=180,
    )
    end = time.time()
    out = artifacts_dir / "dashboards" / variant
    other = {"fpm": "swoole", "swoole": "php-fpm"}[variant]
    empty, errors, drawn = [], [], 0
    for path in sorted(DASHBOARDS.glob("*.json")):
        png = out / f"{path.stem}.png"
        dashboard = load(path)
        results = render.render(dashboard, prometheus.query_range, png, LIVE_VARIABLES, end - 900, end)
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png
        queried = [p for p in panels(dashboard) if p.get("targets")]
        for panel, result in zip(queried, results, strict=True):
            errors += [f"{path.name} / {result.title} / {e}" for e in result.errors]
            applies = not path.name.startswith(other) and runtimes(panel) <= {variant}
            if result.series:
                drawn += 1
            elif applies:
                empty.append(f"{path.name} / {result.title}")
    print(f"dashboards rendered into {out}: {drawn} panels with data")
    record_metric("grafana-comparison-dashboard", f"panels_rendered_with_data_{variant}", drawn, "panels")
    assert not errors, "range queries Prometheus refused:\n" + "\n".join(errors)
    assert not empty, f"panels of the deployed {variant} variant drawn without data:\n" + "\n".join(empty)


def rule_groups_in_repo() -> dict[str, int]:
    groups = {}
    for path in sorted(MONITORING.rglob("*.yml")):
        if "tests" in path.relative_to(MONITORING).parts:
            continue
        doc = yaml.safe_load(path.read_text())
        if isinstance(doc, dict) and "groups" in doc:
            groups.update({g["name"]: len(g["rules"]) for g in doc["groups"]})
    return groups


@pytest.mark.criterion("alerting")
def test_prometheus_loaded_every_rule_of_the_repository_and_evaluates_it_without_error(prometheus):
    expected = rule_groups_in_repo()
    deadline = time.monotonic() + 90
    while True:
        groups = {g["name"]: g for g in prometheus.rules()}
        evaluated = all(g.get("lastEvaluation", "").startswith("20") for g in groups.values())
        if (set(groups) >= set(expected) and evaluated) or time.monotonic() > deadline:
            break
        time.sleep(5)
    assert {name: len(groups[name]["rules"]) for name in expected if name in groups} == expected
    unhealthy = [
        f"{g}/{r.get('name')}: {r.get('lastError')}"
        for g, grp in groups.items()
        for r in grp["rules"]
        if r.get("health") != "ok"
    ]
    assert not unhealthy, unhealthy


@pytest.mark.criterion("metrics-collected")
def test_prometheus_scrapes_itself_and_every_kubelet_endpoint_it_is_configured_for(prometheus, cluster):
    nodes = [n.metadata.name for n in cluster.core.list_node().items]
    deadline = time.monotonic() + 90
    while True:
        targets = prometheus.targets()
        up = {(t["labels"]["job"], t["labels"].get("node")) for t in targets if t["health"] == "up"}
        wanted = {("prometheus", None)} | {
            (job, node)
            for node in nodes
            for job in ("kubelet-cadvisor", "kubelet-resource", "kubelet-probes")
        }
        if wanted <= up or time.monotonic() > deadline:
            break
        time.sleep(5)
    down = [
        f"{t['labels']['job']} {t['scrapeUrl']}: {t['lastError']}" for t in targets if t["health"] != "up"
    ]
    assert wanted <= up, f"targets not up: {sorted(wanted - up)}; errors: {down}"
    # the series the rules read from the kubelet, for Prometheus' own pod
    for expr in (
        f'container_cpu_usage_seconds_total{{job="kubelet-cadvisor", namespace="{MONITORING_NS}", container="prometheus"}}',
        f'container_spec_memory_limit_bytes{{job="kubelet-cadvisor", namespace="{MONITORING_NS}", container="prometheus"}}',
        f'container_oom_events_total{{job="kubelet-cadvisor", namespace="{MONITORING_NS}", container="prometheus"}}',
        f'container_start_time_seconds{{job="kubelet-resource", namespace="{MONITORING_NS}", container="prometheus"}}',
        f'prober_probe_total{{job="kubelet-probes", namespace="{MONITORING_NS}", container="prometheus"}}',
    ):
        assert prometheus.query(expr), f"no series for {expr}"


@pytest.mark.criterion("uploads-object-storage", "metrics-collected")
def test_prometheus_scrapes_the_object_stores_own_metrics(ready_app, prometheus):
    # through the store's NetworkPolicy (k8s/dependencies/seaweedfs): only Prometheus reaches 9324
    expr = f'up{{job="seaweedfs", namespace="{NAMESPACE}"}} == 1'
    prometheus.wait_for(expr, bool, timeout=120)
    served = f'SeaweedFS_build_info{{job="seaweedfs", namespace="{NAMESPACE}"}}'
    assert prometheus.query(served), f"no series for {served}: the store's own metrics are not scraped"


@pytest.mark.criterion("metrics-collected")
def test_prometheus_scrapes_every_ready_web_pod(ready_app, prometheus):
    web_pods = {p.metadata.name for p in ready_app.pods("web")}
    deadline = time.monotonic() + 90
    while True:
        scraped = {
            t["labels"].get("pod")
            for t in prometheus.targets()
            if t["labels"]["job"] == "laravel-app" and t["health"] == "up"
        }
        if web_pods <= scraped or time.monotonic() > deadline:
            break
        time.sleep(5)
    assert web_pods <= scraped, f"web pods not scraped: {sorted(web_pods - scraped)}"


@pytest.mark.criterion("alerting")
def test_a_crash_looping_container_drives_kube_container_restarting_to_firing(
    prometheus, cluster, record_metric
):
    manifest = yaml.safe_load(
        (Path(__file__).parent / "samples" / "monitoring" / "crashing-pod.yaml").read_text()
    )
    # a fresh name per run: an alert left firing by an earlier run must not count
    name = f"crashing-container-{uuid.uuid4().hex[:6]}"
    manifest["metadata"]["name"] = name
    started = time.time()
    cluster.core.create_namespaced_pod(MONITORING_NS, manifest)
    try:
        deadline = time.monotonic() + 300
        firing = []
        while time.monotonic() < deadline:
            firing = [
                a
                for a in prometheus.alerts()
                if a["labels"].get("alertname") == "KubeContainerRestarting"
                and a["labels"].get("pod") == name
                and a["state"] == "firing"
            ]
            if firing:
                break
            time.sleep(10)
        restarts = (
            cluster.core.read_namespaced_pod(name, MONITORING_NS).status.container_statuses[0].restart_count
        )
        assert restarts >= 1, "the container never restarted"
        assert firing, f"KubeContainerRestarting did not fire within 300 s ({restarts} restarts)"
        alert = firing[0]
        assert alert["labels"]["severity"] == "warning"
        assert alert["labels"]["container"] == "crasher"
        assert alert["annotations"]["summary"] == f"Container crasher of {MONITORING_NS}/{name} restarted."
        assert alert["annotations"]["runbook_url"] == runbook.url("KubeContainerRestarting")
        record_metric("alerting", "crash_to_firing_seconds", time.time() - started, "s")
    finally:
        cluster.core.delete_namespaced_pod(name, MONITORING_NS)
