"""terraform-infra, end to end: one `terraform apply` of the root module creates a kind cluster
(kind v0.30, Kubernetes 1.34, ports on 127.0.0.1 only) and applies the kustomize trees of its
namespaces and policies, Traefik and Prometheus (k8s/monitoring), which loads the repository's
rules and scrapes the kubelet; `destroy` deletes the cluster. A second, short-lived cluster (`lks-tfe2e-<run>`, a name of this run only, so that it
never touches a cluster of another run) on free loopback ports, next to the k8s tier's own.
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from fixtures.terraform import Stack
from plugins.artifacts import failed
from plugins.capabilities import docker_reason, require_tool
from suite.containers import free_port
from tests.repo import ROOT

pytestmark = [pytest.mark.k8s, pytest.mark.slow, pytest.mark.criterion("terraform-infra")]

# unique per run: the teardown deletes this cluster, and only this run created it
CLUSTER = f"lks-tfe2e-{uuid.uuid4().hex[:6]}"
ONLINE_NODE_IMAGE = "kindest/node:v1.34.0"
PROMETHEUS_IMAGE = "laravel-k8s-showcase/prometheus:2.53"


def _script(*cmd: str, timeout: int = 3600) -> str:
    """Last stdout line of one of the project's build scripts (cached builds return at once)."""
    proc = subprocess.run(
        [str(ROOT / "scripts" / cmd[0]), *cmd[1:]], capture_output=True, text=True, timeout=timeout
    )
    if proc.returncode != 0:
        pytest.fail(
            f"scripts/{cmd[0]}: {(proc.stderr.strip().splitlines() or ['failed'])[-1]}", pytrace=False
        )
    return proc.stdout.strip().splitlines()[-1]


@dataclass
class Applied:
    stack: Stack
    kind: str
    kubectl_bin: str
    ports: dict[int, int]
    kubeconfig: str = ""

    def kubectl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [self.kubectl_bin, "--kubeconfig", self.kubeconfig, *args],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if check:
            assert proc.returncode == 0, f"kubectl {' '.join(args)}: {proc.stderr}"
        return proc

    def prometheus_api(self, path: str) -> dict:
        raw = self.kubectl(
            "get", "--raw", f"/api/v1/namespaces/monitoring/services/prometheus:9090/proxy{path}"
        ).stdout
        return json.loads(raw)["data"]


@pytest.fixture(scope="module")
def applied(
    request: pytest.FixtureRequest, capabilities, tmp_path_factory, artifacts_dir: Path
) -> Iterator[Applied]:
    reason = docker_reason()
    if reason:
        pytest.skip(reason)
    kind = str(Path(_script("cluster/build-tools.sh", "kind")) / "kind")
    kubectl = str(Path(_script("cluster/build-k8s.sh")) / "kubectl")
    node_image = (
        ONLINE_NODE_IMAGE if capabilities.profile == "online" else _script("cluster/build-node-image.sh")
    )
    _script("build-prometheus-image.sh")

    ports = {80: free_port(), 443: free_port(), 30080: free_port()}
    mappings = ", ".join(f"{{ container_port = {c}, host_port = {h} }}" for c, h in ports.items())
    variables = [
        f"-var=cluster_name={CLUSTER}",
        f"-var=node_image={node_image}",
        f"-var=kind_binary={kind}",
        f"-var=port_mappings=[{mappings}]",
        f"-var=kubectl_binary={kubectl}",
        f"-var=kustomize_binary={require_tool('kustomize')}",
        "-var=wait_for_rollout=false",  # the Prometheus image is loaded into the new node afterwards
    ]
    stack = Stack.snapshot(tmp_path_factory.mktemp("terraform-kind"), variables)
    applied = Applied(stack, kind, kubectl, ports)
    try:
        stack.apply()
        applied.kubeconfig = stack.tf("output", "-raw", "kubeconfig_path").stdout.strip()
        subprocess.run(
            [kind, "load", "docker-image", PROMETHEUS_IMAGE, "--name", CLUSTER],
            check=True,
            capture_output=True,
            timeout=600,
        )
        yield applied
    finally:
        if failed(request):
            subprocess.run(
                [kind, "export", "logs", str(artifacts_dir / "terraform-kind"), "--name", CLUSTER],
                capture_output=True,
                timeout=300,
            )
        stack.destroy(check=False)
        # never leave the cluster behind, even when destroy failed
        if (
            CLUSTER
            in subprocess.run(
                [kind, "get", "clusters"], capture_output=True, text=True, timeout=60
            ).stdout.split()
        ):
            subprocess.run([kind, "delete", "cluster", "--name", CLUSTER], capture_output=True, timeout=300)


def test_one_apply_creates_a_kind_cluster_running_kubernetes_1_34(applied: Applied, record_metric):
    record_metric(
        "terraform-infra",
        "apply: kind cluster + namespaces + Prometheus",
        round(applied.stack.apply_seconds, 1),
        "s",
    )
    nodes = json.loads(applied.kubectl("get", "nodes", "-o", "json").stdout)["items"]
    assert [n["metadata"]["name"] for n in nodes] == [f"{CLUSTER}-control-plane"]
    assert nodes[0]["status"]["nodeInfo"]["kubeletVersion"].startswith("v1.34."), nodes[0]["status"][
        "nodeInfo"
    ]
    assert nodes[0]["metadata"]["labels"].get("ingress-ready") == "true"


def test_the_cluster_publishes_its_ports_on_127_0_0_1_only(applied: Applied):
    out = subprocess.run(
        ["docker", "port", f"{CLUSTER}-control-plane"], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    bindings = {
        line.split(" -> ")[0].split("/")[0]: line.split(" -> ")[1] for line in out.strip().splitlines()
    }
    assert {int(k) for k in bindings} == {80, 443, 30080, 6443}, bindings
    assert all(b.startswith("127.0.0.1:") for b in bindings.values()), bindings
    assert {int(k): int(v.rsplit(":", 1)[1]) for k, v in bindings.items() if k != "6443"} == applied.ports


def test_prometheus_runs_with_the_repository_rules_and_scrapes_the_kubelet(applied: Applied):
    applied.kubectl("-n", "monitoring", "rollout", "status", "deployment/prometheus", "--timeout=300s")
    expected = set()
    for path in [
        *(applied.stack.repo / "monitoring" / "prometheus").glob("*.yml"),
        *(applied.stack.repo / "monitoring" / "alerts").glob("*.yml"),
    ]:
        if path.name != "config.yml":
            expected |= {g["name"] for g in yaml.safe_load(path.read_text())["groups"]}
    loaded = {g["name"] for g in applied.prometheus_api("/api/v1/rules")["groups"]}
    assert loaded == expected
    deadline = time.monotonic() + 120
    while True:
        targets = applied.prometheus_api("/api/v1/targets")["activeTargets"]
        health = {t["labels"]["job"]: t["health"] for t in targets}
        if health.get("kubelet-cadvisor") == "up":
            break
        assert time.monotonic() < deadline, [
            (t["labels"]["job"], t["health"], t.get("lastError")) for t in targets
        ]
        time.sleep(5)


def test_a_second_plan_is_empty_and_destroy_deletes_the_cluster(applied: Applied):
    plan = applied.stack.plan("-detailed-exitcode", check=False)
    assert plan.returncode == 0, (
        f"a second plan is not empty (exit {plan.returncode}):\n{plan.stdout[-4000:]}"
    )
    applied.stack.destroy()
    clusters = subprocess.run(
        [applied.kind, "get", "clusters"], capture_output=True, text=True, timeout=60
    ).stdout.split()
    assert CLUSTER not in clusters
    assert not Path(applied.kubeconfig).exists(), "destroy left the kubeconfig behind"
