"""terraform-infra, applied: the root module (create_cluster = false) is applied onto a real
Kubernetes 1.34 control plane, converges, and what it creates behaves as intended: namespaces
that enforce the restricted Pod Security Standard and start from default-deny, Prometheus with
the repository's configuration and rules, admitted under that standard; `destroy` removes it.

The control plane is etcd + kube-apiserver + kube-controller-manager from the k8s tier's own
builds (scripts/cluster/build-k8s.sh, build-tools.sh etcd), listening on 127.0.0.1 only: no
kubelet, so pods are admitted and stay Pending. Creating the kind cluster itself is the kind CLI
(modules/k8s-cluster) and is exercised by scripts/cluster/up.sh and the cluster fixture.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from plugins.artifacts import failed
from plugins.capabilities import require_tool
from tests.repo import ROOT

pytestmark = [pytest.mark.k8s, pytest.mark.slow, pytest.mark.criterion("terraform-infra")]

TOKEN = "lks-terraform-test-token"
NAMESPACES = ("laravel", "monitoring")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
    client, peer, api, kcm = (_free_port() for _ in range(4))
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


@dataclass
class Stack:
    workdir: Path
    monitoring: Path
    env: dict[str, str]
    terraform: str
    variables: list[str]
    apply_seconds: float

    def tf(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [self.terraform, f"-chdir={self.workdir}", *args],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=900,
        )
        if check:
            assert proc.returncode == 0, f"terraform {args[0]} failed:\n{proc.stdout[-3000:]}\n{proc.stderr}"
        return proc


@pytest.fixture(scope="module")
def stack(control_plane: ControlPlane, tmp_path_factory) -> Iterator[Stack]:
    terraform = require_tool("terraform")
    check = subprocess.run(
        [str(ROOT / "scripts" / "terraform-providers.sh"), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if check.returncode != 0:
        pytest.fail(check.stderr.strip().splitlines()[-1], pytrace=False)
    repo = tmp_path_factory.mktemp("terraform-apply")
    shutil.copytree(
        ROOT / "terraform", repo / "terraform", ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*")
    )
    # a snapshot: the assertions compare with what was applied, even if monitoring/ is edited meanwhile
    shutil.copytree(ROOT / "monitoring", repo / "monitoring")
    env = {
        **os.environ,
        "TF_CLI_CONFIG_FILE": check.stdout.strip(),
        "TF_IN_AUTOMATION": "1",
        "CHECKPOINT_DISABLE": "1",
    }
    variables = [
        "-var=create_cluster=false",
        f"-var=kubeconfig_path={control_plane.kubeconfig}",
        "-var=wait_for_rollout=false",  # no kubelet: the pod is admitted, never started
    ]
    s = Stack(repo / "terraform", repo / "monitoring", env, terraform, variables, 0.0)
    s.tf("init", "-backend=false", "-input=false", "-no-color")
    start = time.monotonic()
    s.tf("apply", "-auto-approve", "-input=false", "-no-color", *variables)
    s.apply_seconds = time.monotonic() - start
    yield s
    s.tf("destroy", "-auto-approve", "-input=false", "-no-color", *variables, check=False)


def test_the_root_module_applies_onto_a_kubernetes_1_34_api_server_and_then_plans_no_change(
    stack: Stack, record_metric
):
    record_metric(
        "terraform-infra", "apply onto an empty 1.34 control plane", round(stack.apply_seconds, 1), "s"
    )
    plan = stack.tf("plan", "-detailed-exitcode", "-input=false", "-no-color", *stack.variables, check=False)
    assert plan.returncode == 0, (
        f"a second plan is not empty (exit {plan.returncode}):\n{plan.stdout[-4000:]}\n{plan.stderr}"
    )


def test_the_namespaces_enforce_the_restricted_standard_and_start_from_default_deny(
    stack: Stack, control_plane: ControlPlane
):
    for ns in NAMESPACES:
        labels = control_plane.get("namespace", ns)["metadata"]["labels"]
        assert labels["pod-security.kubernetes.io/enforce"] == "restricted", labels
        deny = control_plane.get("networkpolicy", "default-deny-all", "-n", ns)["spec"]
        assert deny["podSelector"] == {}, deny
        assert sorted(deny["policyTypes"]) == ["Egress", "Ingress"], deny
        assert "ingress" not in deny, deny
        assert "egress" not in deny, deny
        dns = control_plane.get("networkpolicy", "allow-dns-egress", "-n", ns)["spec"]
        assert sorted((p["protocol"], str(p["port"])) for p in dns["egress"][0]["ports"]) == [
            ("TCP", "53"),
            ("UDP", "53"),
        ], dns
    # the standard is enforced, not just labelled: a root pod is refused
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "root-pod", "namespace": "laravel"},
        "spec": {
            "containers": [
                {"name": "c", "image": "lks/debian-base:trixie-r1", "securityContext": {"runAsUser": 0}}
            ]
        },
    }
    refused = control_plane.kubectl(
        "apply", "--dry-run=server", "-f", "-", input=json.dumps(pod), check=False
    )
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
    container = pods[0]["spec"]["containers"][0]
    assert container["securityContext"]["runAsNonRoot"] is True, container["securityContext"]


def test_the_prometheus_config_maps_hold_the_repository_configuration_and_rules(
    stack: Stack, control_plane: ControlPlane
):
    config = control_plane.get("configmap", "prometheus-config", "-n", "monitoring")["data"]
    assert config == {"config.yml": (stack.monitoring / "prometheus/config.yml").read_text()}
    rules = control_plane.get("configmap", "prometheus-rules", "-n", "monitoring")["data"]
    files = [p for p in (stack.monitoring / "prometheus").glob("*.yml") if p.name != "config.yml"]
    files += list((stack.monitoring / "alerts").glob("*.yml"))
    assert rules == {f"{p.parent.name}-{p.name}": p.read_text() for p in files}


def test_destroy_removes_the_namespaces_and_the_cluster_wide_rbac(stack: Stack, control_plane: ControlPlane):
    stack.tf("destroy", "-auto-approve", "-input=false", "-no-color", *stack.variables)
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
    role = control_plane.kubectl("get", "clusterrole", "monitoring-prometheus", check=False)
    assert role.returncode != 0, "the Prometheus ClusterRole survived destroy"
