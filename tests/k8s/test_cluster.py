"""The kind cluster itself: nodes, DNS, image loading, host access, ingress TLS, metrics, HPA.

Every check talks to the running cluster (through the `kubernetes` client, kubectl where it is
what is tested - `exec`, `run`, `top` - or the 127.0.0.1 port mappings) and asserts what it
measured. The probe image is built here from samples/probe-image and loaded
with `kind load docker-image`. Everything this module creates lives in a namespace of this run
and is reached through Ingress hosts of this run (<app>-<namespace>.localhost): what the app's
deploy or an earlier run left on the cluster cannot answer in its place.
"""

from __future__ import annotations

import hashlib
import http.client
import ipaddress
import re
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest
import requests
import yaml

from fixtures.cluster import (
    K8S_VERSION,
    TRAEFIK_DEFAULT_CERT,
    describe_certificate,
    http_session,
    pod_ready,
    wait_until,
)
from fixtures.load import Load
from suite.project import ROOT

# under xdist, keep this module on one worker (--dist loadgroup): its Service owns NodePort 30080
pytestmark = [pytest.mark.k8s, pytest.mark.xdist_group("cluster")]

SAMPLES = Path(__file__).parent / "samples"
QUANTITY = re.compile(r"^\d+(\.\d+)?(m|Ki|Mi|Gi)?$")


def _base_image() -> str:
    return subprocess.run(
        [str(ROOT / "scripts" / "base-image.sh")], capture_output=True, text=True, check=True, timeout=600
    ).stdout.strip()


@pytest.fixture(scope="module")
def probe_image(cluster) -> str:
    """Build the probe image (tag = hash of its sources, never :latest) and load it into kind."""
    context = SAMPLES / "probe-image"
    digest = hashlib.sha256()
    for path in sorted(p for p in context.rglob("*") if p.is_file()):
        digest.update(path.relative_to(context).as_posix().encode() + path.read_bytes())
    tag = f"lks/cluster-probe:{digest.hexdigest()[:12]}"
    if subprocess.run(["docker", "image", "inspect", tag], capture_output=True).returncode != 0:
        proc = subprocess.run(
            ["docker", "build", "-q", "--build-arg", f"BASE_IMAGE={_base_image()}", "-t", tag, str(context)],
            capture_output=True,
            text=True,
            timeout=600,
            env={"DOCKER_BUILDKIT": "0", "PATH": "/usr/local/bin:/usr/bin:/bin"},
        )
        assert proc.returncode == 0, f"docker build of the probe image failed: {proc.stderr[-2000:]}"
    cluster.load_docker_image(tag)
    return tag


# the namespace of this module's apps: k8s/cluster/cluster-test, made by scripts/cluster/up.sh
# with the RoleBinding that lets Traefik read it; Traefik serves only the namespaces it is given
# (--providers.kubernetesingress.namespaces), so a namespace made here would never be routed
NAMESPACE = "cluster-test"
# what this module's samples create in it (k8s/cluster/cluster-test itself ships only the
# namespace and Traefik's RoleBinding, which stay)
SAMPLE_KINDS = "deployments,replicasets,services,ingresses,pods,networkpolicies,horizontalpodautoscalers"


def _empty(cluster, namespace: str) -> None:
    cluster.kubectl(
        "-n", namespace, "delete", SAMPLE_KINDS, "--all", "--wait=true", "--timeout=180s", timeout=240
    )


@pytest.fixture(scope="module")
def namespace(cluster):
    """k8s/cluster/cluster-test, emptied of an earlier run's apps before and after (so the
    NodePort 30080 and the Ingress hosts are free again)."""
    if cluster.kubectl_run("get", "namespace", NAMESPACE).returncode != 0:
        pytest.fail(
            f"namespace {NAMESPACE} missing: scripts/cluster/up.sh applies k8s/cluster/cluster-test",
            pytrace=False,
        )
    _empty(cluster, NAMESPACE)
    yield NAMESPACE
    _empty(cluster, NAMESPACE)


def host_of(app: str, namespace: str) -> str:
    """The Ingress host of a sample app in this run's namespace."""
    return f"{app}-{namespace}.localhost"


def _apply_sample(cluster, name: str, image: str, namespace: str) -> None:
    app = name.removesuffix(".yaml")
    text = (SAMPLES / name).read_text().replace("${IMAGE}", image).replace("${HOST}", host_of(app, namespace))
    cluster.apply(text, namespace=namespace)


@pytest.fixture(scope="module")
def probe(cluster, probe_image, namespace) -> str:
    _apply_sample(cluster, "probe.yaml", probe_image, namespace)
    cluster.wait_rollout(namespace, "probe", timeout=180)
    return namespace


@pytest.mark.criterion("k8s-app-running")  # the cluster under the app
def test_every_node_is_ready_and_runs_the_pinned_kubernetes_version(cluster):
    nodes = cluster.core.list_node().items
    assert nodes, "the cluster has no nodes"
    for node in nodes:
        ready = {c.type: c.status for c in node.status.conditions}["Ready"]
        assert ready == "True", f"node {node.metadata.name} is not Ready"
        # the pinned minor (online, kind's kindest/node may carry another patch release)
        minor = K8S_VERSION.rsplit(".", 1)[0] + "."
        assert node.status.node_info.kubelet_version.startswith(minor), node.status.node_info


@pytest.mark.criterion("k8s-app-running")  # the cluster under the app
@pytest.mark.criterion("hpa-scale-out")  # the metrics API survives a metrics-server move
def test_every_node_refuses_a_service_ip_that_kube_proxy_did_not_translate(cluster):
    """scripts/cluster/up.sh: an untranslated Service IP gets a reset instead of leaving the node
    (the sandbox's egress answered it, kube-apiserver kept that connection to metrics-server)."""
    config = yaml.safe_load((ROOT / "k8s" / "cluster" / "kind-config.yaml").read_text())
    cidr = ipaddress.ip_network(config["networking"]["serviceSubnet"])
    allocated = {s.spec.cluster_ip for s in cluster.core.list_service_for_all_namespaces().items}
    unallocated = next(str(ip) for ip in reversed(list(cidr.hosts())) if str(ip) not in allocated)
    rule = ["-d", str(cidr), "-p", "tcp", "-j", "REJECT", "--reject-with", "tcp-reset"]
    for node in cluster.core.list_node().items:
        name = node.metadata.name
        for chain in ("OUTPUT", "FORWARD"):
            # the rule first: without it the connection below would leave the node
            cluster.node_exec(name, "iptables", "-C", chain, *rule)
            # and TCP's reset above the ICMP catch-all for the other protocols
            listing = cluster.node_exec(name, "iptables", "-S", chain).splitlines()
            first = next(line for line in listing if f"-d {cidr}" in line)
            assert "tcp-reset" in first, f"node {name}: {chain} refuses {cidr} first with {first!r}"
        probe = cluster.node_run(name, "bash", "-c", f"exec 3<>/dev/tcp/{unallocated}/443", timeout=30)
        seen = f"rc {probe.returncode}, {probe.stderr.strip()!r}"
        assert probe.returncode != 0, f"node {name}: {unallocated}:443 accepted a connection ({seen})"
        assert "refused" in probe.stderr, f"node {name}: {unallocated}:443 not refused ({seen})"


@pytest.mark.criterion("k8s-app-running")  # the cluster under the app
def test_coredns_resolves_a_service_name_from_a_pod(cluster, probe):
    service_ip = cluster.core.read_namespaced_service("probe", probe).spec.cluster_ip
    for name in ("probe", f"probe.{probe}.svc.cluster.local"):
        out = cluster.kubectl("-n", probe, "exec", "deploy/probe", "--", "getent", "hosts", name)
        assert out.split()[0] == service_ip, f"{name} resolved to {out.strip()!r}, Service IP is {service_ip}"


@pytest.mark.criterion("k8s-app-running")  # the cluster under the app
def test_an_image_loaded_with_kind_becomes_a_ready_deployment(cluster, probe, probe_image):
    deployment = cluster.apps.read_namespaced_deployment("probe", probe)
    assert deployment.status.ready_replicas == 1
    images = {s.image for p in _probe_pods(cluster, probe) for s in p.status.container_statuses}
    assert images == {f"docker.io/{probe_image}"}, images


def _probe_pods(cluster, namespace: str) -> list:
    return cluster.core.list_namespaced_pod(namespace, label_selector="app.kubernetes.io/name=probe").items


def _probe_pod_names(cluster, namespace: str) -> set[str]:
    return {p.metadata.name for p in _probe_pods(cluster, namespace)}


def _get(url: str, **kwargs) -> requests.Response | None:
    """One GET; None when the connection fails (kube-proxy/Traefik may not have the route yet)."""
    try:
        return requests.get(url, timeout=10, **kwargs)
    except requests.ConnectionError:
        return None


@pytest.mark.criterion("k8s-app-running")  # the cluster under the app
def test_a_service_is_reachable_from_the_host_through_the_127_0_0_1_node_port(cluster, probe):
    url = cluster.url("/cgi-bin/whoami", node_port=True)
    response = wait_until(
        "the NodePort Service from the host", 60, lambda: (r := _get(url)) is not None and r.ok and r
    )
    assert response.status_code == 200
    assert response.text.strip() in _probe_pod_names(cluster, probe)


def _https(cluster, host: str, path: str):
    """One HTTPS GET for `host` (SNI and Host), the chain verified against the suite's CA (the
    host name is not: see Cluster.https_get); None while the connection or the route fails."""
    try:
        return cluster.https_get(host, path, check_hostname=False)
    except (OSError, http.client.HTTPException):
        return None


@pytest.mark.criterion("ingress-tls")  # the cluster under the app
def test_the_ingress_serves_https_with_a_certificate_of_the_generated_ca(cluster, probe):
    assert cluster.ca_cert is not None, "the suite's CA certificate is unknown"
    assert cluster.ca_cert.is_file(), f"the suite's CA certificate {cluster.ca_cert} is missing"
    host = host_of("probe", probe)
    response = wait_until(
        f"the Ingress route for {host} over HTTPS",
        60,
        lambda: (r := _https(cluster, host, "/cgi-bin/whoami")) is not None and r.status == 200 and r,
    )
    assert response.body.strip() in _probe_pod_names(cluster, probe)
    # the probe's Ingress has no TLS secret: Traefik answered with its default certificate
    served, default = (
        describe_certificate(response.certificate),
        describe_certificate(cluster.tls_secret_certificate(*TRAEFIK_DEFAULT_CERT)),
    )
    assert served == default, f"{host} was served {served}, Traefik's default certificate is {default}"
    plain = requests.get(cluster.url("/index.html"), headers={"Host": host}, timeout=10)
    assert plain.status_code == 200, f"plain HTTP for Host {host}: {plain.status_code} {plain.text[:200]}"
    assert plain.text == (SAMPLES / "probe-image" / "www" / "index.html").read_text()
    # the certificate is trusted only through the suite's CA, not the system store
    system = ssl.create_default_context()
    system.check_hostname = False  # the refusal must come from the issuer alone
    with (
        pytest.raises(ssl.SSLCertVerificationError, match=r"unable to get local issuer|self.signed"),
        socket.create_connection(("127.0.0.1", cluster.https_port), timeout=10) as raw,
    ):
        system.wrap_socket(raw, server_hostname=host).close()


@pytest.mark.criterion("network-policies")  # the cluster under the app
def test_the_pod_network_enforces_a_network_policy(cluster, probe, probe_image):
    """A deny-all-ingress policy on the probe pods blocks a client pod that reached them before."""
    ns = probe
    cluster.kubectl(
        "-n", ns, "run", "np-client", f"--image={probe_image}", "--image-pull-policy=Never",
        "--restart=Never", "--command", "--", "busybox", "sleep", "600",
    )  # fmt: skip
    cluster.wait_pod_ready(ns, "np-client")
    target = next(p for p in _probe_pods(cluster, ns) if pod_ready(p))
    url = f"http://{target.status.pod_ip}:8080/index.html"

    def reaches() -> bool:
        out = cluster.kubectl(
            "-n", ns, "exec", "np-client", "--", "busybox", "wget", "-q", "-T", "3", "-O", "-", url, check=False
        )  # fmt: skip
        return out == (SAMPLES / "probe-image" / "www" / "index.html").read_text()

    assert wait_until("the client pod to reach the probe pod", 30, reaches)
    policy = yaml.safe_load((SAMPLES / "deny-probe-ingress.yaml").read_text())
    cluster.networking.create_namespaced_network_policy(ns, policy)
    try:
        wait_until("the NetworkPolicy to block the client", 60, lambda: not reaches())
    finally:
        cluster.networking.delete_namespaced_network_policy(policy["metadata"]["name"], ns)
        cluster.core.delete_namespaced_pod("np-client", ns)
    wait_until("traffic to flow again once the policy is deleted", 60, reaches)


@pytest.mark.criterion("hpa-scale-out")  # the cluster under the app
def test_kubectl_top_pods_returns_cpu_and_memory_numbers(cluster):
    def top():
        out = cluster.kubectl("top", "pods", "-n", "kube-system", "--no-headers", check=False)
        rows = [line.split() for line in out.splitlines() if line.strip()]
        return rows if rows and all(len(r) == 3 for r in rows) else None

    rows = wait_until("metrics of kube-system pods", 120, top, interval=5)
    names = {r[0] for r in rows}
    assert any(n.startswith("kube-apiserver-") for n in names), names
    for name, cpu, memory in rows:
        assert QUANTITY.match(cpu), (name, cpu)
        assert QUANTITY.match(memory), (name, memory)
    apiserver_memory = next(m for n, _, m in rows if n.startswith("kube-apiserver-"))
    assert apiserver_memory.endswith("Mi"), apiserver_memory
    assert int(apiserver_memory[:-2]) > 50, f"kube-apiserver uses {apiserver_memory}, expected more than 50Mi"


def _burner_hpa(cluster, namespace: str):
    return cluster.autoscaling.read_namespaced_horizontal_pod_autoscaler("burner", namespace).status


def _utilization(cluster, namespace: str) -> int | None:
    """The HPA's current average CPU utilization (percent of requests), once it has one."""
    for metric in _burner_hpa(cluster, namespace).current_metrics or []:
        value = metric.resource and metric.resource.current.average_utilization
        if value is not None:
            return value + 1  # truthy even at 0 %
    return None


def _replicas(cluster, namespace: str) -> int:
    return _burner_hpa(cluster, namespace).current_replicas or 0


@pytest.mark.slow
@pytest.mark.criterion("hpa-scale-out")  # the cluster under the app
def test_an_hpa_scales_a_cpu_burning_deployment_out_under_load_and_back_in(cluster, probe_image, namespace):
    cluster.wait_metrics_api()
    _apply_sample(cluster, "burner.yaml", probe_image, namespace)
    cluster.wait_rollout(namespace, "burner", timeout=180)
    wait_until(
        "the HPA to read the CPU utilization of its one replica",
        180,
        lambda: _utilization(cluster, namespace),
        interval=5,
        detail=lambda: f"{_utilization(cluster, namespace)}; {cluster.metrics_pipeline()}",
    )
    assert _replicas(cluster, namespace) == 1

    # bounded load: 4 clients, at most 4000 requests and 240 s in total (the CPU limit paces them)
    burn = Load(
        http_session,
        cluster.url("/cgi-bin/burn"),
        rps=100,
        max_requests=4000,
        max_seconds=240,
        headers={"Host": host_of("burner", namespace)},
    )
    with burn:
        peak = wait_until(
            "the HPA to scale out", 230, lambda: (n := _replicas(cluster, namespace)) >= 2 and n, interval=5
        )
        scaled_out = burn.elapsed
    result = burn.stop()
    assert result.ok > 0, result.summary()
    print(f"HPA scaled out to {peak} replicas after {scaled_out:.0f} s of load ({result.summary()})")

    stopped = time.monotonic()
    wait_until("the HPA to scale back in", 240, lambda: _replicas(cluster, namespace) == 1, interval=5)
    print(f"HPA scaled back in to 1 replica {time.monotonic() - stopped:.0f} s after the load stopped")
