"""NetworkPolicies: default deny; only the app's pods reach Redis and MariaDB; only the Ingress
controller and Prometheus reach the web pods (so /metrics is Prometheus's alone: through the
Ingress it is a 404).

A probe pod that is not part of the app tries to open TCP connections to Redis, MariaDB and a web
pod's port; the app's own pod does the same to Redis and MariaDB and must succeed. When the probe gets through, a canary decides
between "our policies are wrong" (fail) and "this cluster's CNI does not enforce NetworkPolicies
at all" (skip with that reason): a deny-all policy in a scratch namespace that still lets traffic
through proves the latter."""

from __future__ import annotations

import time
import uuid

import pytest

from fixtures.k8s_app import HTTP_PORT, NAMESPACE
from suite.project import image

pytestmark = [pytest.mark.k8s, pytest.mark.slow]

PROBE_IMAGE = image("redis")  # has bash and coreutils' timeout; loaded by the app fixture
# names of this run: what an earlier run left terminating is never reused
RUN = uuid.uuid4().hex[:6]
CANARY_NS = f"lks-netpol-canary-{RUN}"
OUTSIDER = f"netpol-outsider-{RUN}"
WEB_OUTSIDER = f"netpol-web-outsider-{RUN}"
OUTSIDER_LABELS = {"app.kubernetes.io/name": "netpol-probe", "app.kubernetes.io/component": "outsider"}
RESTRICTED = {
    "runAsNonRoot": True,
    "runAsUser": 100,
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}


def _pod(name: str, namespace: str, labels: dict, command: list[str]) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {
            "automountServiceAccountToken": False,
            "terminationGracePeriodSeconds": 1,
            "containers": [
                {
                    "name": "probe",
                    "image": PROBE_IMAGE,
                    "imagePullPolicy": "IfNotPresent",
                    "command": command,
                    "securityContext": RESTRICTED,
                    "resources": {
                        "requests": {"cpu": "10m", "memory": "16Mi"},
                        "limits": {"cpu": "100m", "memory": "32Mi"},
                    },
                }
            ],
        },
    }


def _run_pod(cluster, manifest: dict) -> str:
    """Create the pod, wait until it is Ready; returns its IP."""
    ns, name = manifest["metadata"]["namespace"], manifest["metadata"]["name"]
    cluster.core.create_namespaced_pod(ns, manifest)
    return cluster.wait_pod_ready(ns, name).status.pod_ip


def _can_connect(cluster, namespace: str, pod: str, container: str, ip: str, port: int) -> bool:
    script = f"timeout 4 bash -c '</dev/tcp/{ip}/{port}' && echo OPEN || echo BLOCKED"
    out = cluster.kubectl(
        "-n", namespace, "exec", pod, "-c", container, "--", "bash", "-c", script, timeout=30
    )
    return out.strip().endswith("OPEN")


def _app_can_connect(app, pod: str, ip: str, port: int) -> bool:
    code = f"echo @fsockopen('{ip}', {port}, $e, $m, 4) ? 'OPEN' : 'BLOCKED';"
    return app.kubectl("exec", pod, "-c", "app", "--", "php", "-r", code, timeout=30).strip() == "OPEN"


def _cni(cluster) -> str:
    names = " ".join(d.metadata.name for d in cluster.apps.list_daemon_set_for_all_namespaces().items)
    for cni in ("calico", "cilium", "kube-router", "antrea", "weave", "flannel", "kindnet"):
        if cni in names:
            return cni
    return "unknown"


_verdict: list[bool] = []  # the canary's, once per run: the probes of every test share it


def _policies_enforced(cluster) -> bool:
    if not _verdict:
        _verdict.append(_canary(cluster))
    return _verdict[0]


def _canary(cluster) -> bool:
    """A deny-all-ingress canary: False when traffic still flows, i.e. the CNI ignores policies."""
    cluster.create_namespace(CANARY_NS)
    try:
        server = _pod(
            "server", CANARY_NS, {"role": "server"}, ["redis-server", "--protected-mode", "no", "--save", ""]
        )
        client = _pod("client", CANARY_NS, {"role": "client"}, ["sleep", "600"])
        ip = _run_pod(cluster, server)
        _run_pod(cluster, client)
        assert _can_connect(cluster, CANARY_NS, "client", "probe", ip, 6379), (
            "canary: no traffic even without a policy"
        )
        deny = {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "deny-all", "namespace": CANARY_NS},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
        }
        cluster.networking.create_namespaced_network_policy(CANARY_NS, deny)
        time.sleep(5)  # enforcing CNIs program their rules within seconds
        return not _can_connect(cluster, CANARY_NS, "client", "probe", ip, 6379)
    finally:
        cluster.delete_namespace(CANARY_NS)


def _outsider_reaches(app, name: str, targets: dict[str, tuple[str, int]]) -> dict[str, bool]:
    """From a pod in the app's namespace that no policy admits anywhere: which targets (ip, port)
    it can open a TCP connection to. Fails when the probe cannot even reach the allowed DNS."""
    cluster = app.cluster
    dns_ip = cluster.core.read_namespaced_service("kube-dns", "kube-system").spec.cluster_ip
    try:
        _run_pod(cluster, _pod(name, NAMESPACE, OUTSIDER_LABELS, ["sleep", "600"]))
        # positive control: the probe's own tool works and the allowed DNS flow is open
        assert _can_connect(cluster, NAMESPACE, name, "probe", dns_ip, 53), "the probe pod cannot reach DNS"
        return {
            what: _can_connect(cluster, NAMESPACE, name, "probe", ip, port)
            for what, (ip, port) in targets.items()
        }
    finally:
        app.delete("pod", name)


def _skip_unless_enforced(cluster, reached: dict[str, bool]) -> None:
    """A probe that got through is a failure only where the CNI enforces NetworkPolicies at all."""
    if any(reached.values()) and not _policies_enforced(cluster):
        pytest.skip(
            f"network-policies: the cluster's CNI ({_cni(cluster)}) does not enforce NetworkPolicies "
            "(a deny-all canary policy did not block traffic)"
        )


@pytest.mark.criterion("network-policies")
def test_only_the_app_reaches_redis_and_mariadb(ready_app):
    cluster = ready_app.cluster
    redis_ip = ready_app.read("service", "redis").spec.cluster_ip
    mariadb_ip = ready_app.read("pod", "mariadb-0").status.pod_ip
    web = ready_app.pods("web")[0].metadata.name
    assert _app_can_connect(ready_app, web, redis_ip, 6379), "the app cannot reach Redis"
    assert _app_can_connect(ready_app, web, mariadb_ip, 3306), "the app cannot reach MariaDB"

    reached = _outsider_reaches(
        ready_app, OUTSIDER, {"redis": (redis_ip, 6379), "mariadb": (mariadb_ip, 3306)}
    )
    _skip_unless_enforced(cluster, reached)
    assert not reached["redis"], "a pod outside the allowed flows reached Redis"
    assert not reached["mariadb"], "a pod outside the allowed flows reached MariaDB"


@pytest.mark.criterion("network-policies", "metrics-collected")
def test_a_pod_that_is_neither_the_ingress_controller_nor_prometheus_cannot_reach_a_web_pod(ready_app):
    web = ready_app.pods("web")[0]
    port = HTTP_PORT[ready_app.variant]  # the app and its /metrics
    # positive control: the web pod listens there (its own loopback answers /metrics)
    scrape = ready_app.pod_request(web.metadata.name, "GET", "/metrics")
    assert scrape.status == 200, f"{web.metadata.name}:{port}/metrics: {scrape.status} {scrape.body[:200]}"

    reached = _outsider_reaches(ready_app, WEB_OUTSIDER, {"web": (web.status.pod_ip, port)})
    _skip_unless_enforced(ready_app.cluster, reached)
    assert not reached["web"], f"a pod outside the allowed flows reached web pod {web.metadata.name}:{port}"


@pytest.mark.criterion("network-policies", "metrics-collected")
def test_metrics_through_the_ingress_is_a_404_json_like_an_unknown_route(ready_app):
    with ready_app.http() as http:
        reply = http.get(ready_app.url("/metrics"), headers={"Accept": "application/json"}, timeout=10)
        unknown = http.get(
            ready_app.url("/no-such-route"), headers={"Accept": "application/json"}, timeout=10
        )
    assert reply.status_code == 404, f"/metrics through the Ingress: {reply.status_code} {reply.text[:200]}"
    assert reply.headers["Content-Type"].startswith("application/json"), reply.headers["Content-Type"]
    assert reply.json() == {"message": "The route metrics could not be found."}, reply.text[:200]
    assert "http_requests_total" not in reply.text
    assert unknown.status_code == 404, unknown.text[:200]
