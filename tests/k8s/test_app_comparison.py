"""Both runtimes side by side in one cluster (k8s/overlays/comparison, Demo 3).

`scripts/deploy.sh VERSION --variant comparison` runs laravel-app-fpm (https://fpm.localhost)
and laravel-app-swoole (https://swoole.localhost) beside the one worker and the shared data
stores. Each answers through the Ingress as its own runtime with its own certificate secret,
Prometheus scrapes the pods of both, and every query of the comparison dashboard returns data,
for both runtimes where it is split by runtime. The variant deployment the cluster had before is
deployed again afterwards: the other k8s tests run against it.

Not parametrized by variant: one deployment proves both runtimes at once, so it needs both
images and skips with the Swoole reason where that image is absent.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from fixtures.cluster import Cluster
from fixtures.k8s_app import (
    NAMESPACE,
    App,
    _current_variant,
    _db_storage,
    load_deploy_images,
)
from fixtures.prometheus import counter_growth
from monitoring.grafana.panels import load, panels, runtimes, substitute
from plugins.artifacts import failed
from tests.k8s.test_observability import DASHBOARDS, LIVE_VARIABLES

pytestmark = [pytest.mark.k8s, pytest.mark.slow]

WEBS = {"fpm": "laravel-app-fpm", "swoole": "laravel-app-swoole"}
HOSTS = {"fpm": "fpm.localhost", "swoole": "swoole.localhost"}
TLS_SECRETS = {"fpm": "laravel-tls-fpm", "swoole": "laravel-tls-swoole"}
TRAFFIC = 40  # /api/ping requests per runtime
PANEL_WAIT_S = 180


@pytest.fixture(scope="module")
def side_by_side(
    request: pytest.FixtureRequest, capabilities, cluster: Cluster, artifacts_dir: Path
) -> Iterator[App]:
    for variant in WEBS:
        reason = capabilities.variant_skip_reason(variant)
        if reason:
            pytest.skip(reason)
    load_deploy_images(request, cluster, *WEBS)
    before = _current_variant(cluster)
    storage = _db_storage(cluster)
    handle = App("comparison", cluster, db_storage=storage)
    try:
        handle.deploy_or_fail(artifacts_dir)
        yield handle
        if failed(request):
            handle.export_logs(artifacts_dir / "app-comparison")
    finally:
        if before:  # the deploy prunes the comparison's web tiers and serves `before` again
            restored = App(before, cluster, db_storage=storage)
            restored.deploy_or_fail(artifacts_dir)
            restored.wait_web_ready()


def _ping_counts(prometheus, pods: set[str]) -> dict[str, float]:
    match = "|".join(sorted(pods))
    series = prometheus.query(
        f'sum by (pod) (http_requests_total{{namespace="{NAMESPACE}", route="api/ping", pod=~"{match}"}})'
    )
    return {s["metric"]["pod"]: float(s["value"][1]) for s in series}


@pytest.mark.criterion("fpm-vs-swoole-comparison", "grafana-comparison-dashboard")
def test_both_runtimes_serve_side_by_side_and_the_comparison_dashboard_shows_both(
    side_by_side, cluster, prometheus, record_metric
):
    # each web tier Ready, behind its own host, as its own runtime, with its own certificate
    pods: dict[str, set[str]] = {}
    for runtime, web in WEBS.items():
        status = side_by_side.deployment(web).status
        assert (status.ready_replicas or 0) >= 1, f"{web}: no Ready pod ({status})"
        pods[runtime] = {
            p.metadata.name for p in side_by_side.pods("web") if p.metadata.name.startswith(f"{web}-")
        }
        assert pods[runtime], f"no Ready web pod of {web}"
        reply = cluster.https_get(HOSTS[runtime], "/health", check_hostname=False)
        assert reply.status == 200, (
            f"https://{HOSTS[runtime]}/health answered {reply.status}: {reply.body[:200]}"
        )
        assert json.loads(reply.body)["runtime"] == runtime, reply.body[:200]
        assert reply.certificate == cluster.tls_secret_certificate(NAMESPACE, TLS_SECRETS[runtime]), (
            f"https://{HOSTS[runtime]} is not served with the certificate of secret {TLS_SECRETS[runtime]}"
        )
    everyone = pods["fpm"] | pods["swoole"]

    # Prometheus scrapes every Ready pod of both tiers
    def scraped() -> set[str]:
        return {
            t["labels"].get("pod")
            for t in prometheus.targets()
            if t["labels"].get("job") == "laravel-app" and t["health"] == "up"
        }

    deadline = time.monotonic() + 120
    while not everyone <= scraped():
        assert time.monotonic() < deadline, (
            f"pods not scraped (up) after 120 s: {sorted(everyone - scraped())}"
        )
        time.sleep(5)

    # bounded traffic through both hosts, counted by Prometheus for the pods of this deployment
    before = _ping_counts(prometheus, everyone)
    for runtime in WEBS:
        statuses = [
            cluster.https_get(HOSTS[runtime], "/api/ping", check_hostname=False).status
            for _ in range(TRAFFIC)
        ]
        assert set(statuses) == {200}, f"{HOSTS[runtime]}: {statuses}"
    deadline = time.monotonic() + 120
    for runtime in WEBS:
        while (
            seen := counter_growth(
                {p: v for p, v in before.items() if p in pods[runtime]},
                {p: v for p, v in _ping_counts(prometheus, pods[runtime]).items()},
            )
        ) < TRAFFIC:
            assert time.monotonic() < deadline, (
                f"Prometheus counts {seen:.0f} of {TRAFFIC} {runtime} pings after 120 s"
            )
            time.sleep(5)
    for runtime in WEBS:  # the recording rules' 5m windows need a few evaluations
        prometheus.wait_for(
            f'namespace_runtime:http_requests:rate5m{{namespace="{NAMESPACE}", runtime="{runtime}"}}',
            bool,
            timeout=180,
        )

    # every panel of the comparison dashboard has data; split by runtime, for both. The recording
    # rules (5m windows) and the kubelet series of new pods arrive a few evaluations late: the
    # check is repeated until it holds or PANEL_WAIT_S passed, and what is still missing is shown
    dashboard_panels = list(panels(load(DASHBOARDS / "comparison-dashboard.json")))
    deadline = time.monotonic() + PANEL_WAIT_S
    while (found := panel_problems(prometheus, dashboard_panels))[0] and time.monotonic() < deadline:
        time.sleep(10)
    problems, proven = found
    record_metric(
        "fpm-vs-swoole-comparison", "comparison panels with data for both runtimes", proven, "panels"
    )
    assert not problems, (
        f"comparison dashboard after {PANEL_WAIT_S} s, {proven}/{len(dashboard_panels)} panels proven:\n"
        + "\n".join(problems)
    )


def panel_problems(prometheus, dashboard_panels: list[dict]) -> tuple[list[str], int]:
    """(what is wrong, panels proven): a query Prometheus rejects, a panel without data, a panel
    split by runtime (and not filtered to one) with data for one runtime only."""
    problems, proven = [], 0
    for panel in dashboard_panels:
        seen_runtimes, has_data = set(), False
        for target in panel["targets"]:
            result, error = prometheus.try_query(substitute(target["expr"], LIVE_VARIABLES))
            if error:
                problems.append(f"{panel['title']} / {target['refId']}: {error}")
            has_data = has_data or bool(result)
            seen_runtimes |= {s["metric"]["runtime"] for s in result if "runtime" in s["metric"]}
        split = seen_runtimes and not runtimes(panel)
        if not has_data:
            problems.append(f"{panel['title']}: no data")
        elif split and not {"fpm", "swoole"} <= seen_runtimes:
            problems.append(f"{panel['title']}: data for {sorted(seen_runtimes)} only")
        else:
            proven += 1
    return problems, proven
