"""NetworkPolicies: default deny; only the app's pods reach Redis and MariaDB.

A probe pod that is not part of the app tries to open TCP connections to Redis and MariaDB; the
app's own pod does the same and must succeed. When the probe gets through, a canary decides
between "our policies are wrong" (fail) and "this cluster's CNI does not enforce NetworkPolicies
at all" (skip with that reason): a deny-all policy in a scratch namespace that still lets traffic
through proves the latter."""

from __future__ import annotations

import time
import uuid

import pytest

from fixtures.k8s_app import NAMESPACE
from suite.project import image

pytestmark = [pytest.mark.k8s, pytest.mark.slow]

PROBE_IMAGE = image("redis")  # has bash and coreutils' timeout; loaded by the app fixture
# names of this run: what an earlier run left terminating is never reused
RUN = uuid.uuid4().hex[:6]
CANARY_NS = f"lks-netpol-canary-{RUN}"
OUTSIDER = f"netpol-outsider-{RUN}"
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


def _policies_enforced(cluster) -> bool:
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


@pytest.mark.criterion("network-policies")
def test_only_the_app_reaches_redis_and_mariadb(ready_app):
    cluster = ready_app.cluster
    redis_ip = ready_app.read("service", "redis").spec.cluster_ip
    mariadb_ip = ready_app.read("pod", "mariadb-0").status.pod_ip
    web = ready_app.pods("web")[0].metadata.name
    assert _app_can_connect(ready_app, web, redis_ip, 6379), "the app cannot reach Redis"
    assert _app_can_connect(ready_app, web, mariadb_ip, 3306), "the app cannot reach MariaDB"

    outsider = _pod(
        OUTSIDER,
        NAMESPACE,
        {"app.kubernetes.io/name": "netpol-probe", "app.kubernetes.io/component": "outsider"},
        ["sleep", "600"],
    )
    dns_ip = cluster.core.read_namespaced_service("kube-dns", "kube-system").spec.cluster_ip
    try:
        _run_pod(cluster, outsider)
        # positive control: the probe's own tool works and the allowed DNS flow is open
        assert _can_connect(cluster, NAMESPACE, OUTSIDER, "probe", dns_ip, 53), (
            "the probe pod cannot reach DNS"
        )
        reached = {
            "redis": _can_connect(cluster, NAMESPACE, OUTSIDER, "probe", redis_ip, 6379),
            "mariadb": _can_connect(cluster, NAMESPACE, OUTSIDER, "probe", mariadb_ip, 3306),
        }
    finally:
        ready_app.delete("pod", OUTSIDER)
    if any(reached.values()) and not _policies_enforced(cluster):
        pytest.skip(
            f"network-policies: the cluster's CNI ({_cni(cluster)}) does not enforce NetworkPolicies "
            "(a deny-all canary policy did not block traffic)"
        )
    assert not reached["redis"], "a pod outside the allowed flows reached Redis"
    assert not reached["mariadb"], "a pod outside the allowed flows reached MariaDB"
