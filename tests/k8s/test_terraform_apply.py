"""terraform-infra, applied: the root module (create_cluster = false) is applied onto a real
Kubernetes 1.34 control plane, converges, and what it creates behaves as intended: namespaces
that enforce the restricted Pod Security Standard and start from default-deny, Prometheus with
the repository's configuration and rules, admitted under that standard; `destroy` removes it.
Every object Terraform made is one of its kustomize trees (k8s/base/namespace, k8s/monitoring,
k8s/cluster/addons/traefik), applied with Terraform's field manager: one definition per object.

The control plane is etcd + kube-apiserver + kube-controller-manager from the k8s tier's own
builds (scripts/cluster/build-k8s.sh, build-tools.sh etcd), listening on 127.0.0.1 only: no
kubelet, so pods are admitted and stay Pending. Creating the kind cluster itself is the kind CLI
(modules/k8s-cluster) and is exercised by scripts/cluster/up.sh and the cluster fixture.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from fixtures.manifests import kustomize_build
from fixtures.terraform import Stack
from plugins.artifacts import failed
from plugins.capabilities import require_tool
from suite.containers import free_port
from tests.repo import ROOT

pytestmark = [pytest.mark.k8s, pytest.mark.slow, pytest.mark.criterion("terraform-infra")]

TOKEN = "lks-terraform-test-token"
NAMESPACES = ("laravel", "monitoring")
TREES = ("k8s/base/namespace", "k8s/monitoring", "k8s/cluster/addons/traefik")  # what Terraform applies


def _built(script: str, *args: str) -> Path:
    """Directory printed by one of the cluster build scripts (cached builds return at once)."""
    proc = subprocess.run(
        [str(ROOT / "scripts" / script), *args], capture_output=True, text=True, timeout=3600
    )
    if proc.returncode != 0:
        pytest.fail(f"{script} {' '.join(args)}: {proc.stderr.strip().splitlines()[-1:]}", pytrace=False)
    return Path(proc.stdout.strip().splitlines()[-1])


@dataclass
class ControlPlane:
    kubeconfig: Path
    kubectl_bin: str

    def kubectl(
        self, *args: str, check: bool = True, input: str | None = None
    ) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [self.kubectl_bin, "--kubeconfig", str(self.kubeconfig), *args],
            capture_output=True,
            text=True,
            timeout=60,
            input=input,
        )
        if check:
            assert proc.returncode == 0, f"kubectl {' '.join(args)}: {proc.stderr}"
        return proc

    def get(self, *args: str) -> dict:
        return json.loads(self.kubectl("get", *args, "-o", "json").stdout)


@pytest.fixture(scope="module")
def control_plane(
    request: pytest.FixtureRequest, tmp_path_factory, artifacts_dir: Path
) -> Iterator[ControlPlane]:
    if shutil.which("openssl") is None:
        pytest.fail("openssl not found: apt-get install openssl", pytrace=False)
    k8s_bin = _built("cluster/build-k8s.sh")
    etcd_bin = _built("cluster/build-tools.sh", "etcd") / "etcd"
    work = tmp_path_factory.mktemp("control-plane")
    (work / "certs").mkdir()
    subprocess.run(
        ["openssl", "genrsa", "-out", str(work / "certs/sa.key"), "2048"], check=True, capture_output=True
    )
    subprocess.run(
        ["openssl", "rsa", "-in", str(work / "certs/sa.key"), "-pubout", "-out", str(work / "certs/sa.pub")],
        check=True,
        capture_output=True,
    )
    (work / "tokens.csv").write_text(f"{TOKEN},admin,admin,system:masters\n")
    client, peer, api, kcm = (free_port() for _ in range(4))
    kubeconfig = work / "kubeconfig"
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [
                    {
                        "name": "cp",
                        "cluster": {"server": f"https://127.0.0.1:{api}", "insecure-skip-tls-verify": True},
                    }
                ],
                "users": [{"name": "admin", "user": {"token": TOKEN}}],
                "contexts": [{"name": "cp", "context": {"cluster": "cp", "user": "admin"}}],
                "current-context": "cp",
            }
        )
    )
    commands = {
        "etcd": [
            str(etcd_bin),
            f"--data-dir={work / 'etcd'}",
            f"--listen-client-urls=http://127.0.0.1:{client}",
            f"--advertise-client-urls=http://127.0.0.1:{client}",
            f"--listen-peer-urls=http://127.0.0.1:{peer}",
            f"--initial-advertise-peer-urls=http://127.0.0.1:{peer}",
            f"--initial-cluster=default=http://127.0.0.1:{peer}",
        ],
        "kube-apiserver": [
            str(k8s_bin / "kube-apiserver"),
            f"--etcd-servers=http://127.0.0.1:{client}",
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            f"--secure-port={api}",
            f"--cert-dir={work / 'certs'}",
            f"--token-auth-file={work / 'tokens.csv'}",
            "--authorization-mode=RBAC",
            "--service-account-issuer=https://kubernetes.default.svc",
            f"--service-account-key-file={work / 'certs/sa.pub'}",
            f"--service-account-signing-key-file={work / 'certs/sa.key'}",
            "--service-cluster-ip-range=10.96.0.0/16",
        ],
        "kube-controller-manager": [
            str(k8s_bin / "kube-controller-manager"),
            f"--kubeconfig={kubeconfig}",
            f"--authentication-kubeconfig={kubeconfig}",
            f"--authorization-kubeconfig={kubeconfig}",
            "--bind-address=127.0.0.1",
            f"--secure-port={kcm}",
            "--leader-elect=false",
            f"--service-account-private-key-file={work / 'certs/sa.key'}",
            "--controllers=*,-nodeipam,-nodelifecycle",
        ],
    }
    procs: dict[str, subprocess.Popen] = {}
    plane = ControlPlane(kubeconfig=kubeconfig, kubectl_bin=str(k8s_bin / "kubectl"))
    try:
        for name, cmd in commands.items():
            with (work / f"{name}.log").open("w") as log:
                procs[name] = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
            if name == "kube-apiserver":
                deadline = time.monotonic() + 120
                while plane.kubectl("get", "--raw", "/readyz", check=False).returncode != 0:
                    assert procs[name].poll() is None, (work / f"{name}.log").read_text()[-3000:]
                    assert time.monotonic() < deadline, "kube-apiserver not ready within 120 s"
                    time.sleep(1)
        yield plane
    finally:
        if failed(request):
            dest = artifacts_dir / "terraform-control-plane"
            dest.mkdir(parents=True, exist_ok=True)
            for name in commands:
                if (work / f"{name}.log").exists():
                    shutil.copy(work / f"{name}.log", dest / f"{name}.log")
        for proc in reversed(list(procs.values())):
            proc.terminate()
        for proc in procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


@pytest.fixture(scope="module")
def stack(control_plane: ControlPlane, tmp_path_factory) -> Iterator[Stack]:
    variables = [
        "-var=create_cluster=false",
        f"-var=kubeconfig_path={control_plane.kubeconfig}",
        f"-var=kubectl_binary={control_plane.kubectl_bin}",
        f"-var=kustomize_binary={require_tool('kustomize')}",
        "-var=wait_for_rollout=false",  # no kubelet: the pod is admitted, never started
    ]
    s = Stack.snapshot(tmp_path_factory.mktemp("terraform-apply"), variables)
    s.apply()
    yield s
    s.destroy(check=False)


def test_the_root_module_applies_onto_a_kubernetes_1_34_api_server_and_then_plans_no_change(
    stack: Stack, record_metric
):
    record_metric(
        "terraform-infra", "apply onto an empty 1.34 control plane", round(stack.apply_seconds, 1), "s"
    )
    plan = stack.plan("-detailed-exitcode", check=False)
    assert plan.returncode == 0, (
        f"a second plan is not empty (exit {plan.returncode}):\n{plan.stdout[-4000:]}\n{plan.stderr}"
    )


def rendered(stack: Stack, tree: str) -> list[dict]:
    """The objects of one kustomize tree of the applied snapshot."""
    ok, out = kustomize_build(stack.repo / tree)
    assert ok, out
    return [d for d in yaml.safe_load_all(out) if d]


def test_a_changed_tree_file_applies_the_tree_again_and_deletes_nothing(stack: Stack):
    rules = stack.repo / "monitoring" / "alerts" / "app.yml"
    original = rules.read_text()
    rules.write_text(original + "\n# changed\n")
    try:
        plan = stack.plan()
    finally:
        rules.write_text(original)
    changed = [line.strip() for line in plan.stdout.splitlines() if line.strip().startswith("# module.")]
    assert changed == ["# module.monitoring.module.tree.terraform_data.apply must be replaced"], plan.stdout[
        -3000:
    ]


def test_every_object_terraform_made_is_an_object_of_its_kustomize_trees(
    stack: Stack, control_plane: ControlPlane
):
    for tree in TREES:
        for doc in rendered(stack, tree):
            meta = doc["metadata"]
            where = ["-n", meta["namespace"]] if meta.get("namespace") else []
            live = control_plane.get(doc["kind"].lower(), meta["name"], *where, "--show-managed-fields")
            managers = {f["manager"] for f in live["metadata"].get("managedFields", [])}
            assert "terraform" in managers, (
                f"{tree}: {doc['kind']}/{meta['name']} not applied by Terraform: {managers}"
            )
            assert live["metadata"].get("labels", {}).items() >= (meta.get("labels") or {}).items(), (
                tree,
                meta,
            )


def test_the_namespaces_enforce_the_restricted_standard_and_start_from_default_deny(
    stack: Stack, control_plane: ControlPlane
):
    for ns in NAMESPACES:
        labels = control_plane.get("namespace", ns)["metadata"]["labels"]
        assert labels["pod-security.kubernetes.io/enforce"] == "restricted", labels
        deny = control_plane.get("networkpolicy", "default-deny", "-n", ns)["spec"]
        assert deny["podSelector"] == {}, deny
        assert sorted(deny["policyTypes"]) == ["Egress", "Ingress"], deny
        assert "ingress" not in deny, deny
        assert "egress" not in deny, deny
        dns = control_plane.get("networkpolicy", "allow-dns", "-n", ns)["spec"]
        assert sorted((p["protocol"], str(p["port"])) for p in dns["egress"][0]["ports"]) == [
            ("TCP", "53"),
            ("UDP", "53"),
        ], dns
    # the standard is enforced, not just labelled: a root pod is refused
    refused = control_plane.kubectl(
        "run", "root-pod", "-n", "laravel", "--image=lks/debian-base:trixie-r1", "--restart=Never",
        "--dry-run=server", '--overrides={"apiVersion": "v1", "spec": {"securityContext": {"runAsUser": 0}}}',
        check=False,
    )  # fmt: skip
    assert refused.returncode != 0, "a root pod was admitted into the restricted namespace"
    assert 'violates PodSecurity "restricted' in refused.stderr, refused.stderr


def test_prometheus_is_admitted_under_the_restricted_standard(stack: Stack, control_plane: ControlPlane):
    deadline = time.monotonic() + 90
    while True:
        pods = control_plane.get("pods", "-n", "monitoring", "-l", "app.kubernetes.io/name=prometheus")[
            "items"
        ]
        if pods:
            break
        events = control_plane.get("events", "-n", "monitoring", "--field-selector", "reason=FailedCreate")[
            "items"
        ]
        assert time.monotonic() < deadline, (
            f"no Prometheus pod was created: {[e['message'] for e in events][-3:]}"
        )
        time.sleep(2)
    spec = pods[0]["spec"]
    container = spec["containers"][0].get("securityContext", {})
    assert container.get("runAsNonRoot", spec.get("securityContext", {}).get("runAsNonRoot")) is True, spec


def test_the_prometheus_config_maps_hold_the_repository_configuration_and_rules(
    stack: Stack, control_plane: ControlPlane
):
    generated = {
        d["metadata"]["name"]: d for d in rendered(stack, "k8s/monitoring") if d["kind"] == "ConfigMap"
    }
    config = next(d for n, d in generated.items() if n.startswith("prometheus-config-"))
    rules = next(d for n, d in generated.items() if n.startswith("prometheus-rules-"))
    assert config["data"] == {"config.yml": (stack.repo / "monitoring/prometheus/config.yml").read_text()}
    files = [p for p in (stack.repo / "monitoring/prometheus").glob("*.yml") if p.name != "config.yml"]
    files += list((stack.repo / "monitoring/alerts").glob("*.yml"))
    assert sorted(rules["data"].values()) == sorted(p.read_text() for p in files)
    for cm in (config, rules):
        live = control_plane.get("configmap", cm["metadata"]["name"], "-n", "monitoring")["data"]
        assert live == cm["data"], cm["metadata"]["name"]


def test_destroy_removes_the_namespaces_and_the_cluster_wide_rbac(stack: Stack, control_plane: ControlPlane):
    stack.destroy()
    deadline = time.monotonic() + 120
    while True:
        left = [
            ns
            for ns in (*NAMESPACES, "traefik")
            if control_plane.kubectl("get", "namespace", ns, check=False).returncode == 0
        ]
        if not left:
            break
        assert time.monotonic() < deadline, f"namespaces still present after destroy: {left}"
        time.sleep(2)
    for role in ("laravel-k8s-showcase-prometheus", "traefik-ingress-controller"):
        assert control_plane.kubectl("get", "clusterrole", role, check=False).returncode != 0, (
            f"the ClusterRole {role} survived destroy"
        )
