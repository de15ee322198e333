"""The offline Prometheus image, the cluster configuration and the dashboards, on real containers.

The image runs as non-root and turns healthy; its promtool (2.53, built with Kubernetes service
discovery, unlike the host's 2.42) accepts monitoring/prometheus/config.yml with the rule files
exactly as k8s/monitoring mounts them; and, scraping the running app, Prometheus 2.53 executes
every dashboard query without error, with data for every panel that the container tier can
feed (the kubelet's cAdvisor series exist only on the cluster).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
import requests
import yaml

from fixtures.docker import build_images
from monitoring.grafana.panels import load, panels, runtimes, substitute
from suite.containers import docker, free_port, start_container
from suite.project import ROOT
from tests.api_session import JSON, log_in_new_user

pytestmark = pytest.mark.container

MONITORING = ROOT / "monitoring"
IMAGE = "laravel-k8s-showcase/prometheus:2.53"
# panels whose series come from the kubelet (cAdvisor) only: no kubelet outside the cluster
KUBELET_PANELS = {
    "CPU by container",
    "Memory by container and limit",
    "CPU cores",
    "Memory working set",
    "CPU per request",
    "Memory per request/s",
}
SCRAPE_INTERVAL = 2


@pytest.fixture(scope="session")
def prometheus_image(docker_engine, capabilities) -> str:
    """The offline Prometheus image, built (cached) by scripts/build-images.sh."""
    build_images(capabilities.profile, "prometheus")
    assert docker("image", "inspect", IMAGE, check=False).returncode == 0, f"{IMAGE} was not built"
    return IMAGE


def cluster_rule_files(into: Path) -> list[Path]:
    """The rule files under the names k8s/monitoring mounts them (monitoring/kustomization.yaml)."""
    kustomization = yaml.safe_load((MONITORING / "kustomization.yaml").read_text())
    generator = next(g for g in kustomization["configMapGenerator"] if g["name"] == "prometheus-rules")
    into.mkdir(parents=True, exist_ok=True)
    files = []
    for entry in generator["files"]:
        key, _, source = entry.partition("=")
        shutil.copy(MONITORING / source, into / key)
        files.append(into / key)
    return files


def world_readable(*paths: Path) -> None:
    for p in paths:
        for q in [p, *p.rglob("*")]:
            q.chmod(0o755 if q.is_dir() else 0o644)


@pytest.mark.criterion("docker-healthcheck", "non-root")
def test_the_prometheus_image_runs_as_non_root_and_reports_healthy(prometheus_image, backend_network):
    prom = start_container(prometheus_image, "prometheus-health", backend_network, wait_s=90)
    try:
        processes = prom.processes()
        assert processes, "docker top listed no process"
        assert all(uid != 0 for _, uid, _ in processes), processes
        assert (
            docker("image", "inspect", "-f", "{{.Config.User}}", prometheus_image).stdout.strip()
            == "65534:65534"
        )
    finally:
        prom.remove()


@pytest.mark.criterion("alerting")
def test_the_images_promtool_accepts_the_cluster_configuration_and_runs_the_unit_tests(
    prometheus_image, tmp_path
):
    rules = cluster_rule_files(tmp_path / "rules")
    token = tmp_path / "serviceaccount"
    token.mkdir()
    (token / "token").write_text("test-token")
    (token / "ca.crt").write_text("")
    world_readable(tmp_path)
    check = docker(
        "run",
        "--rm",
        "--entrypoint",
        "promtool",
        "-v",
        f"{token}:/var/run/secrets/kubernetes.io/serviceaccount:ro",
        "-v",
        f"{tmp_path / 'rules'}:/etc/prometheus/rules:ro",
        "-v",
        f"{MONITORING / 'prometheus' / 'config.yml'}:/etc/prometheus/config/config.yml:ro",
        prometheus_image,
        "check",
        "config",
        "/etc/prometheus/config/config.yml",
        check=False,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert f"SUCCESS: {len(rules)} rule files found" in check.stdout, check.stdout
    unit = docker(
        "run",
        "--rm",
        "--entrypoint",
        "sh",
        "-v",
        f"{MONITORING}:/monitoring:ro",
        "-w",
        "/monitoring/tests",
        prometheus_image,
        "-c",
        "promtool test rules *.yml",
        check=False,
        timeout=300,
    )
    assert unit.returncode == 0, unit.stdout + unit.stderr
    assert unit.stdout.count("SUCCESS") == len(list((MONITORING / "tests").glob("*.yml"))), unit.stdout


def is_for_other_runtime(panel: dict, variant: str) -> bool:
    """A panel that needs the other runtime's series (its own metrics, or runtime="<other>" as in
    the "Swoole / FPM throughput" ratio): no data expected from one runtime alone."""
    return bool(runtimes(panel) - {variant})


@pytest.mark.criterion("grafana-comparison-dashboard")
def test_each_runtime_excludes_exactly_the_panels_that_need_the_other_one():
    def panel(expr: str) -> dict:
        return {"targets": [{"expr": expr}]}

    ratio = panel('a{runtime="swoole"} / ignoring (runtime) a{runtime="fpm"}')
    assert is_for_other_runtime(ratio, "fpm")
    assert is_for_other_runtime(ratio, "swoole")
    assert is_for_other_runtime(panel("php_fpm_pool_processes_active"), "swoole")
    assert not is_for_other_runtime(panel("php_fpm_pool_processes_active"), "fpm")
    assert is_for_other_runtime(panel("swoole_worker_num"), "fpm")
    assert not is_for_other_runtime(panel("swoole_worker_num"), "swoole")
    assert not is_for_other_runtime(panel("sum(rate(http_requests_total[5m]))"), "swoole")


@pytest.mark.criterion("grafana-comparison-dashboard")
def test_prometheus_runs_every_dashboard_query_against_the_running_app(
    prometheus_image, web, variant, backend_network, tmp_path, record_metric
):
    target = web.containers["nginx"] if variant == "fpm" else web.containers["swoole"]
    port = 8080 if variant == "fpm" else 8000
    cluster_rule_files(tmp_path / "rules")
    config = {
        "global": {
            "scrape_interval": f"{SCRAPE_INTERVAL}s",
            "scrape_timeout": f"{SCRAPE_INTERVAL}s",
            "evaluation_interval": f"{SCRAPE_INTERVAL}s",
        },
        "rule_files": ["/etc/prometheus/rules/*.yml"],
        "scrape_configs": [
            {
                "job_name": "laravel-app",
                "static_configs": [
                    {
                        "targets": [f"{target.alias}:{port}"],
                        "labels": {"namespace": "container-test", "pod": target.alias},
                    }
                ],
            }
        ],
    }
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    world_readable(tmp_path)
    api_port = free_port()
    prom = start_container(
        prometheus_image,
        "prometheus",
        backend_network,
        command=["--config.file=/etc/prometheus/test.yml", "--storage.tsdb.path=/prometheus"],
        volumes=[
            (str(tmp_path / "prometheus.yml"), "/etc/prometheus/test.yml", "ro"),
            (str(tmp_path / "rules"), "/etc/prometheus/rules", "ro"),
        ],
        publish={9090: api_port},
    )
    api = f"http://127.0.0.1:{api_port}/api/v1/query"
    try:
        prom.wait_healthy(90)
        # bounded traffic through every recorded code path
        for _ in range(30):
            web.get("/api/ping")
        web.get("/ready")  # the readiness check writes and reads the cache: hits
        web.get("/api/tasks")
        web.get("/api/tasks/999999")
        requests.post(
            web.url("/api/auth/login"),
            json={"email": "nobody@example.com", "password": "wrong-password"},
            headers={"Accept": "application/json"},
            timeout=15,
        )
        # an upload: this stack has no object store (AWS_BUCKET empty), so it is refused and
        # counted as not_configured (503): the upload series exist
        with requests.Session() as http:
            log_in_new_user(http, web.url, "Prometheus")
            task = http.post(web.url("/api/tasks"), json={"title": "upload series"}, headers=JSON, timeout=15)
            assert task.status_code == 201, task.text[:300]
            upload = http.post(
                web.url(f"/api/tasks/{task.json()['data']['id']}/attachments"),
                files={"file": ("series.txt", b"upload series\n", "text/plain")},
                headers=JSON | {"X-Requested-With": "XMLHttpRequest"},
                timeout=30,
            )
            assert upload.status_code == 503, upload.text[:300]
            assert upload.json()["message"] == "Uploads are not configured on this server."
        # until the series the traffic created have 3 samples in a rate window, and the
        # recording rules have evaluated them
        ready = (
            'min(count_over_time({namespace="container-test", __name__=~"http_requests_total|'
            'laravel_cache_hits_total|laravel_db_query_duration_seconds_count"}[40s])) >= 3'
            " and on () count(namespace_runtime:http_requests:rate5m) > 0"
        )
        deadline = time.monotonic() + 90
        while not requests.get(api, params={"query": ready}, timeout=10).json()["data"]["result"]:
            assert time.monotonic() < deadline, f"not scraped and recorded within 90 s: {ready}"
            time.sleep(SCRAPE_INTERVAL)

        values = {
            "namespace": "container-test",
            "pod": ".*",
            "__rate_interval": f"{4 * SCRAPE_INTERVAL * 5}s",
            "__interval": f"{SCRAPE_INTERVAL}s",
            "__range": "1h",
        }

        errors, without_data, with_data, total = [], [], 0, 0
        other = {"fpm": "swoole-", "swoole": "php-fpm-"}[variant]
        for path in sorted((MONITORING / "grafana" / "dashboards").glob("*.json")):
            for panel in panels(load(path)):
                total += 1
                found = False
                for t in panel["targets"]:
                    body = requests.get(
                        api, params={"query": substitute(t["expr"], values)}, timeout=30
                    ).json()
                    if body["status"] != "success":
                        errors.append(f"{path.name} / {panel['title']} / {t['refId']}: {body.get('error')}")
                    else:
                        found = found or bool(body["data"]["result"])
                with_data += found
                expected = not (
                    path.name.startswith(other)
                    or panel["title"] in KUBELET_PANELS
                    or is_for_other_runtime(panel, variant)
                )
                if expected and not found:
                    without_data.append(f"{path.name} / {panel['title']}")
        record_metric(
            "grafana-comparison-dashboard", f"panels_with_container_data_{variant}", with_data, "panels"
        )
        assert not errors, "queries Prometheus 2.53 rejected:\n" + "\n".join(errors)
        assert not without_data, "panels without data:\n" + "\n".join(without_data)
        assert total >= 50
    finally:
        prom.remove()
