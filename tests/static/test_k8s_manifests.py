"""The rendered Kubernetes manifests follow the project's rules (tests/static/k8s_rules.py), and
each rule rejects a sample that breaks it (tests/static/samples/k8s/); k8s/ keeps the kustomize
layout of bases, components and overlays.

These are static checks of what `kustomize build` produces for every deployable variant; the
k8s tier (tests/k8s/) asserts the same facts on the live objects of a running cluster.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from fixtures import manifests
from fixtures.manifests import OVERLAYS
from tests.repo import ROOT, SAMPLES
from tests.static import checkers
from tests.static.k8s_rules import (
    ABBREVIATIONS,
    COMPOSE,
    K8S,
    REDIS_DRIVERS,
    RULES,
    Docs,
    Rule,
    compose_driver_problems,
    layout_problems,
    rule_non_root,
)

pytestmark = pytest.mark.static

K8S_SAMPLES = SAMPLES / "k8s"


# --- rendering ------------------------------------------------------------------------------------
def render(directory: Path) -> Docs:
    """What `kustomize build` renders (fixtures/manifests.py: the same rendering the container tier uses)."""
    try:
        return manifests.render(directory)
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)


def sample(name: str) -> Docs:
    return [d for d in yaml.safe_load_all((K8S_SAMPLES / name).read_text()) if d]


def _params(with_variant: bool):
    for name, rule in RULES.items():
        marks = [pytest.mark.criterion(*rule.criteria)]
        if with_variant:
            for overlay in rule.overlays:
                yield pytest.param(rule.check, overlay, id=f"{name}-{overlay}", marks=marks)
        else:
            yield pytest.param(rule.check, rule.sample, rule.phrases, id=name, marks=marks)


@pytest.mark.parametrize(("rule", "overlay"), list(_params(True)))
def test_rendered_manifests_follow_the_rule(rule: Rule, overlay: str):
    violations = rule(render(OVERLAYS / overlay))
    assert not violations, f"k8s/overlays/{overlay}: {rule.__doc__}\n" + "\n".join(violations)


@pytest.mark.parametrize(("rule", "sample_name", "phrases"), list(_params(False)))
def test_the_rule_rejects_its_broken_sample(rule: Rule, sample_name: str, phrases: tuple[str, ...]):
    violations = rule(sample(sample_name))
    assert violations, f"{rule.__name__} accepted the broken sample {sample_name}"
    for phrase in phrases:
        assert any(phrase in v for v in violations), f"expected {phrase!r} among:\n" + "\n".join(violations)


@pytest.mark.criterion("redis-sessions", "sessions-solved", "queue-redis")
def test_docker_compose_keeps_sessions_cache_and_queue_in_redis():
    assert compose_driver_problems(COMPOSE) == []


@pytest.mark.criterion("redis-sessions", "sessions-solved", "queue-redis")
def test_the_compose_check_rejects_file_sessions_and_an_inline_queue():
    found = compose_driver_problems(SAMPLES / "compose" / "docker-compose.yml")
    assert "docker-compose.yml service fpm: SESSION_DRIVER is 'file', want 'redis'" in found, found
    assert "docker-compose.yml service fpm: QUEUE_CONNECTION is None, want 'redis'" in found, found
    assert "docker-compose.yml service worker: QUEUE_CONNECTION is 'sync', want 'redis'" in found, found


@pytest.mark.criterion("redis-sessions", "sessions-solved", "queue-redis")
def test_the_driver_variables_are_the_ones_the_app_reads():
    config = ROOT / "app" / "src" / "config"
    read = {
        name
        for f in ("session.php", "cache.php", "queue.php")
        for name in re.findall(r"env\('(\w+)'", (config / f).read_text())
    }
    assert set(REDIS_DRIVERS) <= read, (
        f"the app does not read {sorted(set(REDIS_DRIVERS) - read)} (renamed setting?)"
    )


@pytest.mark.criterion("secrets")
def test_committed_secret_files_are_marked_local_dev_only():
    examples = sorted(K8S.rglob("*.env.example"))
    assert examples, "no committed secret example files"
    for path in examples:
        text = path.read_text()
        values = [
            line.split("=", 1)[1] for line in text.splitlines() if "=" in line and not line.startswith("#")
        ]
        marked = "LOCAL DEVELOPMENT" in text or all(v == "CHANGE_ME" for v in values)
        assert marked, (
            f"{path.relative_to(ROOT)}: neither marked LOCAL DEVELOPMENT nor all CHANGE_ME placeholders"
        )


@pytest.mark.criterion("secrets")
def test_real_secret_files_are_git_ignored():
    for path in (
        "k8s/components/env-secrets/app/secrets.env",
        "k8s/components/env-secrets/mariadb/secrets.env",
    ):
        proc = subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT)
        assert proc.returncode == 0, f"{path} is not git-ignored"


@pytest.mark.criterion("k8s-app-running")
def test_every_manifest_file_holds_one_object_named_after_its_component_and_kind():
    bad = []
    for path in sorted(K8S.rglob("*.yaml")):
        if (
            path.name == "kustomization.yaml"
            or "cluster" in path.relative_to(K8S).parts[:1]
            or "monitoring" in path.relative_to(K8S).parts[:1]
        ):
            continue
        docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
        if path.name.endswith("-patch.yaml"):
            continue
        if len(docs) != 1:
            bad.append(f"{path.relative_to(ROOT)}: {len(docs)} objects")
            continue
        kind = docs[0].get("kind", "").lower()
        names = (kind, *ABBREVIATIONS.get(kind, ()))
        if not any(path.stem.endswith(f"-{n}") or path.stem == n for n in names):
            bad.append(
                f"{path.relative_to(ROOT)}: a {docs[0].get('kind')} in a file not named <component>-{kind}.yaml"
            )
    assert not bad, "\n".join(bad)


def _compose(tmp_path: Path, overlay: str, component: Path) -> str:
    """kustomize build of k8s/overlays/<overlay> plus one component, from a scratch kustomization."""
    root = tmp_path / "compose"
    root.mkdir()
    resource = os.path.relpath(OVERLAYS / overlay, root)
    comp = os.path.relpath(component, root)
    (root / "kustomization.yaml").write_text(
        f"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [{resource}]\ncomponents: [{comp}]\n"
    )
    ok, out = checkers.kustomize_build(root)
    assert ok, f"{overlay} + {component.name} does not build:\n{out}"
    return out


@pytest.mark.criterion("k8s-app-running", "migrations")
def test_the_ephemeral_db_component_swaps_only_the_database_volume(tmp_path):
    out = _compose(tmp_path, "fpm", K8S / "components" / "ephemeral-db")
    ok, report = checkers.kube_validate(out)
    assert ok, report
    db = next(d for d in yaml.safe_load_all(out) if d and d["kind"] == "StatefulSet")
    assert "volumeClaimTemplates" not in db["spec"]
    assert {"name": "data", "emptyDir": {"sizeLimit": "1Gi"}} in db["spec"]["template"]["spec"]["volumes"]
    assert not rule_non_root([db])


@pytest.mark.criterion("secrets")
def test_the_env_secrets_component_replaces_the_local_dev_secrets(tmp_path):
    component = tmp_path / "env-secrets"
    shutil.copytree(K8S / "components" / "env-secrets", component)
    for sub in ("app", "mariadb"):
        text = (
            (component / sub / "secrets.env.example").read_text().replace("CHANGE_ME", "from-the-real-file")
        )
        (component / sub / "secrets.env").write_text(text)
    out = _compose(tmp_path, "fpm", component)
    ok, report = checkers.kube_validate(out)
    assert ok, report
    docs = [d for d in yaml.safe_load_all(out) if d]
    secrets = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Secret"}
    app_secret = next(s for name, s in secrets.items() if name.startswith("laravel-secrets-"))
    values = {k: base64.b64decode(v).decode() for k, v in app_secret["data"].items()}
    assert values["DB_PASSWORD"] == "from-the-real-file"
    refs = {
        e["secretRef"]["name"]
        for d in docs
        if d["kind"] == "Deployment"
        for c in d["spec"]["template"]["spec"]["containers"]
        for e in c.get("envFrom", [])
        if "secretRef" in e
    }
    assert refs == {app_secret["metadata"]["name"]}, "workloads do not reference the replaced Secret"


@pytest.mark.criterion("k8s-app-running")
def test_k8s_keeps_the_components_layout_bases_components_overlays():
    assert layout_problems() == []
    assert sorted(p.name for p in (K8S / "overlays").iterdir()) == ["comparison", "fpm", "swoole"]


@pytest.mark.criterion("k8s-app-running")
def test_the_layout_check_rejects_a_misplaced_component_and_a_base_that_uses_an_overlay(tmp_path):
    root = tmp_path / "k8s"
    files = {
        "base/kustomization.yaml": "kind: Kustomization\nresources: [../overlays/fpm]\n",
        "overlays/fpm/kustomization.yaml": "kind: Component\n",
        "overlays/swoole/kustomization.yaml": "kind: Kustomization\ncomponents: [../../components/fpm]\n",
        "components/fpm/kustomization.yaml": "kind: Kustomization\n",
        "components/empty/README": "no kustomization here\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    assert sorted(layout_problems(root)) == sorted(
        [
            "k8s/base: resources ../overlays/fpm reaches into k8s/overlays/",
            "k8s/overlays/fpm: a Component where overlays/ holds a Kustomization",
            "k8s/overlays/fpm: a Component outside k8s/components/<name>",
            "k8s/components/fpm: a Kustomization where components/ holds a Component",
            "k8s/components/empty: no kustomization.yaml",
        ]
    )


@pytest.mark.criterion("uploads-object-storage")
@pytest.mark.parametrize("name", ["resources", "non-root", "probes"])
def test_the_object_store_dependency_follows_the_workload_rules(name: str):
    # k8s/dependencies/seaweedfs is applied by the k8s tier on its own (not yet in k8s/base): the
    # overlay runs above do not see it, so its workload is checked here by the same rules
    docs = render(K8S / "dependencies" / "seaweedfs")
    assert {d["kind"] for d in docs} == {"StatefulSet", "Service", "NetworkPolicy"}, docs
    violations = RULES[name].check(docs)
    assert not violations, f"k8s/dependencies/seaweedfs: {RULES[name].check.__doc__}\n" + "\n".join(
        violations
    )


TELEMETRY = K8S / "telemetry"


@pytest.mark.criterion("log-aggregation", "tracing")
@pytest.mark.parametrize("name", ["resources", "non-root", "probes"])
def test_the_log_and_trace_stores_follow_the_workload_rules(name: str):
    docs = render(TELEMETRY / "stores")
    assert {d["metadata"]["name"] for d in docs if d["kind"] == "Deployment"} == {"victoria-logs", "jaeger"}
    violations = RULES[name].check(docs)
    assert not violations, f"k8s/telemetry/stores: {RULES[name].check.__doc__}\n" + "\n".join(violations)


@pytest.mark.criterion("log-aggregation", "tracing")
def test_the_telemetry_namespaces_start_from_default_deny_and_only_the_collectors_may_run_privileged():
    docs = render(TELEMETRY)
    namespaces = {d["metadata"]["name"]: d["metadata"]["labels"] for d in docs if d["kind"] == "Namespace"}
    assert namespaces["telemetry"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert namespaces["telemetry-collector"]["pod-security.kubernetes.io/enforce"] == "privileged"
    denied = {
        d["metadata"]["namespace"]
        for d in docs
        if d["kind"] == "NetworkPolicy" and d["metadata"]["name"] == "default-deny"
    }
    assert denied == {"telemetry", "telemetry-collector"}
    workloads = [d for d in docs if d["kind"] in ("Deployment", "DaemonSet", "StatefulSet")]
    in_collector_ns = {
        d["metadata"]["name"] for d in workloads if d["metadata"]["namespace"] == "telemetry-collector"
    }
    assert in_collector_ns == {"vlagent"}, in_collector_ns  # nothing else rides on the exception


@pytest.mark.criterion("log-aggregation")
@pytest.mark.parametrize("name", ["resources", "probes"])
def test_the_log_collector_follows_the_workload_rules(name: str):
    docs = render(TELEMETRY / "collector")
    violations = RULES[name].check(docs)
    assert not violations, f"k8s/telemetry/collector: {RULES[name].check.__doc__}\n" + "\n".join(violations)


@pytest.mark.criterion("log-aggregation")
def test_the_log_collector_is_root_only_to_read_the_node_logs_read_only_with_no_capability():
    (ds,) = [d for d in render(TELEMETRY / "collector") if d["kind"] == "DaemonSet"]
    spec = ds["spec"]["template"]["spec"]
    # the non-root rule's one accepted exception: everything but the uid still holds
    assert [v for v in rule_non_root([ds]) if "runAs" not in v] == []
    mounts = {m["mountPath"]: m for m in spec["containers"][0]["volumeMounts"]}
    assert mounts["/var/log/pods"]["readOnly"]
    assert mounts["/var/log/containers"]["readOnly"]
    host_paths = {v["hostPath"]["path"] for v in spec["volumes"] if "hostPath" in v}
    assert host_paths == {"/var/log/pods", "/var/log/containers", "/var/lib/vlagent"}, host_paths
    (role,) = [d for d in render(TELEMETRY / "collector") if d["kind"] == "ClusterRole"]
    assert all(set(r["verbs"]) <= {"get", "list", "watch"} for r in role["rules"]), role["rules"]


# --- every tree the project applies: Pod Security, resources and probes -------------------------
POD_SECURITY_EXCEPTION = "laravel-k8s-showcase/pod-security-exception"


def shipped_trees() -> dict[str, Docs]:
    from tests.static.scanners import PLAIN, TREES

    docs = {name: render(directory) for name, directory in TREES.items()}
    return docs | {
        name: [d for d in yaml.safe_load_all(path.read_text()) if d] for name, path in PLAIN.items()
    }


def pod_security_problems(docs: Docs) -> list[str]:
    """Every Namespace enforces the restricted Pod Security Standard at the pinned version, or
    carries its reason for another level (POD_SECURITY_EXCEPTION)."""
    bad = []
    for ns in (d for d in docs if d["kind"] == "Namespace"):
        labels = ns["metadata"].get("labels") or {}
        reason = str((ns["metadata"].get("annotations") or {}).get(POD_SECURITY_EXCEPTION, "")).strip()
        level = labels.get("pod-security.kubernetes.io/enforce")
        name = ns["metadata"]["name"]
        if level is None:
            bad.append(f"Namespace/{name}: no pod-security.kubernetes.io/enforce label")
        elif level != "restricted" and not reason:
            bad.append(f"Namespace/{name}: enforces {level}, not restricted, without a recorded reason")
        elif level == "restricted" and reason:
            bad.append(f"Namespace/{name}: restricted, yet carries an exception")
        if level and labels.get("pod-security.kubernetes.io/enforce-version") in (None, "latest"):
            bad.append(f"Namespace/{name}: enforce-version not pinned")
    return bad


@pytest.mark.criterion("non-root", "security-scan-ci")
def test_every_namespace_we_ship_enforces_restricted_or_records_why_not():
    trees = shipped_trees()
    namespaces = {d["metadata"]["name"] for docs in trees.values() for d in docs if d["kind"] == "Namespace"}
    assert {
        "laravel",
        "monitoring",
        "telemetry",
        "telemetry-collector",
        "traefik",
        "cluster-test",
    } <= namespaces
    assert [p for docs in trees.values() for p in pod_security_problems(docs)] == []


@pytest.mark.criterion("non-root", "security-scan-ci")
def test_the_pod_security_check_rejects_an_unlabelled_namespace_and_an_exception_without_a_reason():
    docs = [
        {"kind": "Namespace", "metadata": {"name": "open"}},
        {
            "kind": "Namespace",
            "metadata": {"name": "quiet", "labels": {"pod-security.kubernetes.io/enforce": "privileged"}},
        },
    ]
    assert pod_security_problems(docs) == [
        "Namespace/open: no pod-security.kubernetes.io/enforce label",
        "Namespace/quiet: enforces privileged, not restricted, without a recorded reason",
        "Namespace/quiet: enforce-version not pinned",
    ]


@pytest.mark.criterion("resource-limits")
@pytest.mark.parametrize("name", ["resources", "probes"])
@pytest.mark.parametrize("tree", ["monitoring", "cluster-addons", "cluster-cni"])
def test_prometheus_and_the_cluster_add_ons_follow_the_resource_and_probe_rules(tree: str, name: str):
    # Traefik, metrics-server and kube-router: CPU limits and ephemeral storage as every workload
    violations = RULES[name].check(shipped_trees()[tree])
    assert not violations, f"{tree}: {RULES[name].check.__doc__}\n" + "\n".join(violations)


def default_deny_namespaces(docs: Docs) -> set[str]:
    return {
        p["metadata"].get("namespace")
        for p in docs
        if p["kind"] == "NetworkPolicy"
        and p["spec"].get("podSelector") == {}
        and set(p["spec"].get("policyTypes") or []) == {"Ingress", "Egress"}
        and not p["spec"].get("ingress")
        and not p["spec"].get("egress")
    }


@pytest.mark.criterion("network-policies")
def test_every_namespace_of_the_app_monitoring_and_telemetry_starts_from_default_deny():
    # traefik (its namespace's comment: traffic from outside, every backend) and cluster-test (the
    # k8s tier's probes) are the namespaces without one; kind's own kube-system has none either
    trees = shipped_trees()
    denied = set().union(*(default_deny_namespaces(docs) for docs in trees.values()))
    assert {"laravel", "monitoring", "telemetry", "telemetry-collector"} <= denied, denied
