"""The project's rules for Kubernetes manifests, as functions over rendered objects: each rule
returns the violations it finds (an empty list when the objects follow it). The checkers of the
kustomize layout (where bases, components and overlays live) and of docker compose's drivers are
here too. tests/static/test_k8s_manifests.py runs every rule on every rendered overlay and on the
broken sample that each rule must reject.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import yaml

from fixtures import manifests
from fixtures.manifests import K8S
from tests.repo import ROOT
from tests.static import fpm_sizing

OVERLAY_NAMES = ("fpm", "swoole", "comparison")  # the trees under k8s/overlays/
WORKLOADS = ("Deployment", "StatefulSet", "Job", "DaemonSet")
SECRET_KEYS = ("APP_KEY", "DB_PASSWORD", "REDIS_PASSWORD", "MARIADB_ROOT_PASSWORD")
SECRET_NAME = re.compile(r"(PASSWORD|SECRET|TOKEN|_KEY$|^APP_KEY$)")
REQUIRED_LABELS = (
    "app.kubernetes.io/name",
    "app.kubernetes.io/component",
    "app.kubernetes.io/part-of",
    "app.kubernetes.io/version",
)
# the longest graceful stop of either runtime: FPM process_control_timeout / Octane max_wait_time
RUNTIME_STOP_SECONDS = 20

# an HPA's CPU target: below, pods idle at scale; above, they saturate before it reacts
CPU_TARGET_PERCENT = (40, 90)
# the drivers that make web pods stateless (Laravel 10 names; app/src/config/{session,cache,queue}.php)
REDIS_DRIVERS = ("SESSION_DRIVER", "CACHE_DRIVER", "QUEUE_CONNECTION")
APP_COMPONENTS = ("web", "worker", "migrations")
# the kind cluster of the k8s tier: its pod network is where the Ingress controller's pods live
KIND_CONFIG = K8S / "cluster" / "kind-config.yaml"
# the session cookie behind the TLS Ingress (Laravel 10 names; app/src/config/session.php)
SESSION_COOKIE_SETTINGS = {"SESSION_SECURE_COOKIE": "true", "SESSION_SAME_SITE": "lax"}
# who may open a connection to a web pod, and to which port: namespace -> pod labels (None: any pod)
WEB_INGRESS_PEERS = {"traefik": None, "monitoring": {"app.kubernetes.io/name": "prometheus"}}
WEB_PORT = "http"  # the one port of a web pod: the app and its /metrics
WEB_POD_LABELS = {"app.kubernetes.io/name": "laravel-k8s-showcase", "app.kubernetes.io/component": "web"}

# file-name spellings of kinds besides the lower-cased kind itself
ABBREVIATIONS = {"poddisruptionbudget": ("pdb",), "horizontalpodautoscaler": ("hpa",)}

Docs = list[dict]
Rule = Callable[[Docs], list[str]]


def ref(doc: dict) -> str:
    return f"{doc['kind']}/{doc['metadata']['name']}"


def pod_specs(docs: Docs) -> Iterator[tuple[dict, dict]]:
    for doc in docs:
        if doc["kind"] in WORKLOADS:
            yield doc, doc["spec"]["template"]["spec"]


def containers(spec: dict, init: bool = True) -> list[dict]:
    return list(spec.get("containers", [])) + (list(spec.get("initContainers", [])) if init else [])


def by_kind(docs: Docs, kind: str) -> Docs:
    return [d for d in docs if d["kind"] == kind]


def component(doc: dict) -> str | None:
    return doc["metadata"].get("labels", {}).get("app.kubernetes.io/component")


def web_deployments(docs: Docs) -> Docs:
    return [d for d in by_kind(docs, "Deployment") if component(d) == "web"]


def hpas_by_target(docs: Docs) -> dict[str, dict]:
    """HorizontalPodAutoscalers keyed by the name of the workload they scale."""
    return {h["spec"]["scaleTargetRef"]["name"]: h for h in by_kind(docs, "HorizontalPodAutoscaler")}


def matches(selector: dict, labels: dict) -> bool:
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        present, value = expr["key"] in labels, labels.get(expr["key"])
        op = expr["operator"]
        if (op == "In" and value not in expr["values"]) or (op == "NotIn" and value in expr["values"]):
            return False
        if (op == "Exists" and not present) or (op == "DoesNotExist" and present):
            return False
    return True


# --- rules: each returns the violations it finds --------------------------------------------------
# the container log files the kubelet keeps per container (containerLogMaxSize 10Mi x 5 files):
# counted in a pod's ephemeral storage with its emptyDirs
LOG_MIB_PER_CONTAINER = 50


def rule_resources(docs: Docs) -> list[str]:
    """Every container, init containers included, requests and limits CPU, memory and ephemeral
    storage; a pod's ephemeral-storage limits cover its disk emptyDirs and its containers' logs."""
    bad = []
    for doc, spec in pod_specs(docs):
        for c in containers(spec):
            res = c.get("resources") or {}
            for section in ("requests", "limits"):
                for resource in ("cpu", "memory", "ephemeral-storage"):
                    if resource not in (res.get(section) or {}):
                        bad.append(f"{ref(doc)} container {c['name']}: no {section}.{resource}")
        limits = [
            ((c.get("resources") or {}).get("limits") or {}).get("ephemeral-storage")
            for c in containers(spec, init=False)
        ]
        if None in limits:
            continue
        disk = sum(
            _mebibytes(v["emptyDir"].get("sizeLimit", 0))
            for v in spec.get("volumes") or []
            if "emptyDir" in v and (v["emptyDir"] or {}).get("medium") != "Memory"
        )
        need = disk + LOG_MIB_PER_CONTAINER * len(limits)
        if sum(map(_mebibytes, limits)) < need:
            bad.append(
                f"{ref(doc)}: ephemeral-storage limits {sum(map(_mebibytes, limits))} MiB < emptyDirs {disk} MiB "
                f"+ {LOG_MIB_PER_CONTAINER} MiB of logs per container = {need} MiB (evicted before a volume fills)"
            )
    return bad


def rule_non_root(docs: Docs) -> list[str]:
    """Pods run as a non-zero uid with a read-only root, no privilege escalation, no capabilities, RuntimeDefault seccomp."""
    bad = []
    for doc, spec in pod_specs(docs):
        pod = spec.get("securityContext") or {}
        if (pod.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
            bad.append(f"{ref(doc)}: pod seccompProfile is not RuntimeDefault")
        for c in containers(spec):
            sc = c.get("securityContext") or {}
            name = f"{ref(doc)} container {c['name']}"
            if not sc.get("runAsNonRoot", pod.get("runAsNonRoot")):
                bad.append(f"{name}: runAsNonRoot is not true")
            if sc.get("runAsUser", pod.get("runAsUser")) in (0, None):
                bad.append(f"{name}: no non-zero runAsUser (the kubelet cannot verify a named image user)")
            if sc.get("allowPrivilegeEscalation") is not False:
                bad.append(f"{name}: allowPrivilegeEscalation is not false")
            if sc.get("readOnlyRootFilesystem") is not True:
                bad.append(f"{name}: readOnlyRootFilesystem is not true")
            if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
                bad.append(f"{name}: capabilities do not drop ALL")
            if sc.get("privileged"):
                bad.append(f"{name}: privileged")
    return bad


def _handler(probe: dict) -> dict:
    return {k: v for k, v in probe.items() if k in ("exec", "httpGet", "tcpSocket", "grpc")}


def _tolerated_seconds(probe: dict) -> int:
    """How long a probe may fail before it acts: failureThreshold x periodSeconds (defaults 3 x 10)."""
    return int(probe.get("failureThreshold", 3)) * int(probe.get("periodSeconds", 10))


def rule_probes(docs: Docs) -> list[str]:
    """Long-running containers have liveness and readiness probes, each bounded by a timeout; the
    liveness probe is not the readiness probe and tolerates failing at least as long (a busy pod
    leaves the rotation, it is not restarted)."""
    bad = []
    for doc, spec in pod_specs(docs):
        if doc["kind"] == "Job":
            continue  # a run-to-completion container has nothing to probe
        for c in containers(spec, init=False):
            for probe in ("livenessProbe", "readinessProbe"):
                if probe not in c:
                    bad.append(f"{ref(doc)} container {c['name']}: no {probe}")
            for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                if probe in c and not c[probe].get("timeoutSeconds"):
                    bad.append(f"{ref(doc)} container {c['name']}: {probe} without timeoutSeconds")
            live, ready = c.get("livenessProbe"), c.get("readinessProbe")
            if live and ready:
                if _handler(live) == _handler(ready):
                    bad.append(f"{ref(doc)} container {c['name']}: the liveness probe is the readiness probe")
                if _tolerated_seconds(live) < _tolerated_seconds(ready):
                    bad.append(
                        f"{ref(doc)} container {c['name']}: liveness acts after {_tolerated_seconds(live)} s of "
                        f"failures, before readiness ({_tolerated_seconds(ready)} s)"
                    )
    return bad


def _prestop_seconds(container: dict) -> int:
    pre = (container.get("lifecycle") or {}).get("preStop") or {}
    if "sleep" in pre:
        return int(pre["sleep"]["seconds"])
    command = " ".join((pre.get("exec") or {}).get("command") or [])
    found = re.findall(r"sleep (\d+)", command)
    return int(found[-1]) if found else 0


def rule_graceful_stop(docs: Docs) -> list[str]:
    """Web pods drain before stopping: preStop flips the drain switch and sleeps; the grace period covers drain + runtime stop."""
    bad = []
    for doc, spec in pod_specs(docs):
        if component(doc) != "web":
            continue
        grace = spec.get("terminationGracePeriodSeconds", 30)
        for c in containers(spec, init=False):
            drain = _prestop_seconds(c)
            if drain < 5:
                bad.append(
                    f"{ref(doc)} container {c['name']}: preStop sleeps {drain}s (< 5 s for endpoint removal)"
                )
            if grace <= drain + RUNTIME_STOP_SECONDS:
                bad.append(
                    f"{ref(doc)}: terminationGracePeriodSeconds {grace} <= preStop {drain}s + runtime stop {RUNTIME_STOP_SECONDS}s"
                )
        app = next((c for c in spec["containers"] if c["name"] == "app"), None)
        command = " ".join(
            ((app or {}).get("lifecycle", {}).get("preStop", {}).get("exec") or {}).get("command") or []
        )
        if "app:drain" not in command:
            bad.append(
                f"{ref(doc)}: the app container's preStop does not flip the drain switch (php artisan app:drain)"
            )
    return bad


def rule_config_from_configmaps(docs: Docs) -> list[str]:
    """App pods take config from hash-suffixed (generated) ConfigMaps; ConfigMaps hold no secret-looking key."""
    bad = []
    generated = {
        d["metadata"]["name"]
        for d in by_kind(docs, "ConfigMap")
        if re.search(r"-[a-z0-9]{10}$", d["metadata"]["name"])
    }
    for cm in by_kind(docs, "ConfigMap"):
        for key in cm.get("data") or {}:
            if SECRET_NAME.search(key):
                bad.append(f"{ref(cm)}: key {key} looks secret; it belongs in a Secret")
    for doc, spec in pod_specs(docs):
        if component(doc) not in APP_COMPONENTS:
            continue
        refs = [
            e["configMapRef"]["name"]
            for c in containers(spec, init=False)
            for e in c.get("envFrom") or []
            if "configMapRef" in e
        ]
        if not refs:
            bad.append(f"{ref(doc)}: no container takes its config from a ConfigMap (envFrom configMapRef)")
        for name in refs:
            if name not in generated:
                bad.append(f"{ref(doc)}: ConfigMap {name} has no content-hash suffix (no config checksum)")
    return bad


def rule_secrets(docs: Docs) -> list[str]:
    """Secret-looking values come only from Secrets, never inline env values."""
    bad = []
    secret_keys = set()
    for s in by_kind(docs, "Secret"):
        secret_keys.update((s.get("data") or {}).keys())
        secret_keys.update((s.get("stringData") or {}).keys())
    for key in SECRET_KEYS:
        if key not in secret_keys:
            bad.append(f"no Secret holds {key}")
    for doc, spec in pod_specs(docs):
        for c in containers(spec):
            for env in c.get("env") or []:
                if SECRET_NAME.search(env["name"]) and "value" in env:
                    bad.append(f"{ref(doc)} container {c['name']}: {env['name']} has an inline value")
                source = env.get("valueFrom") or {}
                if SECRET_NAME.search(env["name"]) and "configMapKeyRef" in source:
                    bad.append(f"{ref(doc)} container {c['name']}: {env['name']} comes from a ConfigMap")
    return bad


def rule_pdb(docs: Docs) -> list[str]:
    """Every web Deployment has a PDB selecting its pods that still lets one pod go (minAvailable < minReplicas)."""
    bad = []
    hpas = hpas_by_target(docs)
    for dep in web_deployments(docs):
        labels = dep["spec"]["template"]["metadata"]["labels"]
        pdbs = [p for p in by_kind(docs, "PodDisruptionBudget") if matches(p["spec"]["selector"], labels)]
        if len(pdbs) != 1:
            bad.append(f"{ref(dep)}: {len(pdbs)} PodDisruptionBudgets select its pods (want 1)")
            continue
        min_available = pdbs[0]["spec"].get("minAvailable")
        floor = (
            hpas.get(dep["metadata"]["name"], {})
            .get("spec", {})
            .get("minReplicas", dep["spec"].get("replicas", 1))
        )
        if not isinstance(min_available, int) or not 1 <= min_available < floor:
            bad.append(
                f"{ref(dep)}: PDB minAvailable {min_available!r} must be an int in [1, minReplicas={floor})"
            )
    return bad


def rule_hpa(docs: Docs) -> list[str]:
    """Web Deployments scale with an autoscaling/v2 HPA on CPU, and on memory where the runtime's pool
    follows load (FPM's dynamic pool) but not where it is fixed (Octane's OCTANE_WORKERS: its memory
    stays high at idle, so a memory target blocks scale-in); scale-out is immediate, scale-in calm."""
    bad = []
    hpas = hpas_by_target(docs)
    for dep in web_deployments(docs):
        hpa = hpas.get(dep["metadata"]["name"])
        if hpa is None:
            bad.append(f"{ref(dep)}: no HorizontalPodAutoscaler")
            continue
        if hpa["apiVersion"] != "autoscaling/v2":
            bad.append(f"{ref(hpa)}: not autoscaling/v2")
        resources = {m["resource"]["name"] for m in hpa["spec"].get("metrics", []) if m["type"] == "Resource"}
        fixed_pool = any(
            env["name"] == "OCTANE_WORKERS"
            for c in containers(dep["spec"]["template"]["spec"])
            for env in c.get("env") or []
        )
        if fixed_pool and resources != {"cpu"}:
            bad.append(
                f"{ref(hpa)}: scales on {sorted(resources)} although {ref(dep)} runs a fixed worker pool"
                " (OCTANE_WORKERS): its memory does not follow load and the HPA never scales in; want cpu only"
            )
        elif not fixed_pool and resources != {"cpu", "memory"}:
            bad.append(f"{ref(hpa)}: scales on {sorted(resources)}, want cpu and memory")
        behavior = hpa["spec"].get("behavior") or {}
        if (behavior.get("scaleUp") or {}).get("stabilizationWindowSeconds", 0) != 0:
            bad.append(f"{ref(hpa)}: scale-up is delayed by a stabilization window")
        if (behavior.get("scaleDown") or {}).get("stabilizationWindowSeconds", 300) < 60:
            bad.append(f"{ref(hpa)}: scale-down window under 60 s flaps")
        if "replicas" in dep["spec"]:
            bad.append(
                f"{ref(dep)}: sets replicas although the HPA owns them (kubectl apply would undo a scale-out)"
            )
    return bad


def rule_hpa_bounds(docs: Docs) -> list[str]:
    """Every HPA can scale (maxReplicas > minReplicas), keeps web at >= 2 pods and aims CPU at 40-90 %."""
    bad = []
    web = {d["metadata"]["name"] for d in web_deployments(docs)}
    for hpa in by_kind(docs, "HorizontalPodAutoscaler"):
        spec = hpa["spec"]
        low, high = spec.get("minReplicas", 1), spec.get("maxReplicas", 0)
        if high <= low:
            bad.append(f"{ref(hpa)}: maxReplicas {high} <= minReplicas {low}: it can never scale out")
        if spec["scaleTargetRef"]["name"] in web and low < 2:
            bad.append(
                f"{ref(hpa)}: minReplicas {low} < 2 for a web Deployment (one pod is a single point of failure)"
            )
        cpu = [
            m["resource"]["target"]
            for m in spec.get("metrics", [])
            if m["type"] == "Resource" and m["resource"]["name"] == "cpu"
        ]
        if not cpu or cpu[0].get("type") != "Utilization":
            bad.append(f"{ref(hpa)}: no CPU averageUtilization target")
        elif not CPU_TARGET_PERCENT[0] <= cpu[0].get("averageUtilization", 0) <= CPU_TARGET_PERCENT[1]:
            bad.append(
                f"{ref(hpa)}: CPU target {cpu[0].get('averageUtilization')} % outside {CPU_TARGET_PERCENT[0]}-{CPU_TARGET_PERCENT[1]} %"
            )
    return bad


def _mebibytes(quantity: str | int) -> int:
    """A Kubernetes memory quantity in MiB, as the entrypoint reads the cgroup limit (bytes / 2^20)."""
    m = re.fullmatch(r"(\d+)(Ki|Mi|Gi|Ti|k|M|G|T)?", str(quantity))
    if not m:
        raise ValueError(f"unsupported memory quantity {quantity!r}")
    factor = {
        None: 1,
        "Ki": 2**10,
        "Mi": 2**20,
        "Gi": 2**30,
        "Ti": 2**40,
        "k": 10**3,
        "M": 10**6,
        "G": 10**9,
        "T": 10**12,
    }
    return int(m.group(1)) * factor[m.group(2)] // 2**20


def _php_megabytes(value: str) -> int:
    """A php.ini size (memory_limit: 96M, 1G, 131072K) in MB."""
    m = re.fullmatch(r"(\d+)([KMG]?)", value.strip(), re.IGNORECASE)
    if not m:
        raise ValueError(f"unsupported memory_limit {value!r}")
    return int(m.group(1)) * {"": 1, "K": 2**10, "M": 2**20, "G": 2**30}[m.group(2).upper()] // 2**20


def fpm_pods(docs: Docs) -> Iterator[tuple[dict, dict]]:
    """(workload, app container) of the FPM web pods (template label laravel-k8s-showcase/variant: fpm)."""
    for doc, spec in pod_specs(docs):
        labels = doc["spec"]["template"]["metadata"].get("labels") or {}
        if labels.get("laravel-k8s-showcase/variant") == "fpm":
            app = next((c for c in spec["containers"] if c["name"] == "app"), None)
            if app is not None:
                yield doc, app


def rule_fpm_sizing(docs: Docs) -> list[str]:
    """The entrypoint's FPM pool for each FPM pod's env and memory limit fits the limit: children x
    (average worker RSS and memory_limit) + reserved <= limit."""
    bad = []
    pods = list(fpm_pods(docs))
    if not pods:
        bad.append("no FPM web pod (template label laravel-k8s-showcase/variant: fpm) to size")
    for doc, app in pods:
        limit = ((app.get("resources") or {}).get("limits") or {}).get("memory")
        if limit is None:
            bad.append(f"{ref(doc)} container app: no limits.memory to size the pool from")
            continue
        limit_mb = _mebibytes(limit)
        pool = fpm_sizing.entrypoint_sizing(limit_mb, manifests.container_env(docs, app))
        children, reserved = int(pool["max_children"]), int(pool["reserved_mb"])
        for what, per_child in (
            ("average worker", int(pool["child_mb"])),
            ("memory_limit", _php_megabytes(pool["memory_limit"])),
        ):
            need = children * per_child + reserved
            if need > limit_mb:
                bad.append(
                    f"{ref(doc)}: {children} children x {per_child} MB ({what}) + {reserved} MB reserved "
                    f"= {need} MB does not fit the {limit_mb} MiB memory limit"
                )
    return bad


def redis_driver_problems(env: dict[str, str], where: str) -> list[str]:
    return [
        f"{where}: {key} is {env.get(key)!r}, want 'redis'"
        for key in REDIS_DRIVERS
        if env.get(key) != "redis"
    ]


def app_configs(docs: Docs) -> Docs:
    """The app's ConfigMaps (laravel-config-<hash>)."""
    return [c for c in by_kind(docs, "ConfigMap") if c["metadata"]["name"].startswith("laravel-config")]


def rule_redis_drivers(docs: Docs) -> list[str]:
    """Sessions, cache and queue are in Redis: in the app ConfigMap and in the env of every container that
    takes its config from it (web, worker, migrations)."""
    bad = []
    configs = app_configs(docs)
    if not configs:
        bad.append("no laravel-config ConfigMap")
    for cm in configs:
        bad += redis_driver_problems(cm.get("data") or {}, ref(cm))
    for doc, spec in pod_specs(docs):
        if component(doc) in APP_COMPONENTS:
            for c in containers(spec, init=False):
                if any("configMapRef" in e for e in c.get("envFrom") or []):  # the PHP containers, not nginx
                    bad += redis_driver_problems(
                        manifests.container_env(docs, c), f"{ref(doc)} container {c['name']}"
                    )
    return bad


def rule_network_policies(docs: Docs) -> list[str]:
    """Default deny in both directions; Redis/MariaDB accept only the app's pods; DNS is allowed; the
    web pods accept only the Ingress controller (traefik namespace) and Prometheus (its /metrics)."""
    bad = []
    policies = by_kind(docs, "NetworkPolicy")
    deny = [
        p
        for p in policies
        if p["spec"]["podSelector"] == {}
        and set(p["spec"].get("policyTypes", [])) == {"Ingress", "Egress"}
        and not p["spec"].get("ingress")
        and not p["spec"].get("egress")
    ]
    if not deny:
        bad.append("no default-deny NetworkPolicy (empty podSelector, Ingress and Egress, no rules)")
    if not any(
        53 in [port.get("port") for rule in p["spec"].get("egress", []) for port in rule.get("ports", [])]
        for p in policies
    ):
        bad.append("no NetworkPolicy allows DNS (port 53) egress")
    app_labels = {"app.kubernetes.io/component": "web"}
    outsider = {"app.kubernetes.io/component": "outsider"}
    for store in ("redis", "mariadb"):
        store_labels = {"app.kubernetes.io/component": store}
        ingress = [
            p
            for p in policies
            if matches(p["spec"]["podSelector"], store_labels)
            and "Ingress" in p["spec"].get("policyTypes", [])
        ]
        peers = [
            peer for p in ingress for rule in p["spec"].get("ingress", []) for peer in rule.get("from", [{}])
        ] + [{} for p in ingress for rule in p["spec"].get("ingress", []) if "from" not in rule]
        if not any(
            matches(peer.get("podSelector", {}), app_labels)
            for peer in peers
            if "namespaceSelector" not in peer
        ):
            bad.append(f"{store}: no NetworkPolicy admits the web pods")
        if any(matches(peer.get("podSelector", {}), outsider) for peer in peers if "ipBlock" not in peer):
            bad.append(f"{store}: a NetworkPolicy admits pods that are not the app's")
    bad += _web_ingress_problems(docs)
    return bad


def rule_secure_cookies(docs: Docs) -> list[str]:
    """Behind the TLS Ingress the session cookies are Secure and keep SameSite=Lax (the app ConfigMap)."""
    configs = app_configs(docs)
    bad = [] if configs else ["no laravel-config ConfigMap"]
    for cm in configs:
        data = cm.get("data") or {}
        bad += [
            f"{ref(cm)}: {key} is {data.get(key)!r}, want {want!r}"
            for key, want in SESSION_COOKIE_SETTINGS.items()
            if str(data.get(key, "")).lower() != want
        ]
    return bad


def pod_subnet(config: Path = KIND_CONFIG) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    subnet = ((yaml.safe_load(config.read_text()) or {}).get("networking") or {}).get("podSubnet")
    if not subnet:
        raise ValueError(f"{config.relative_to(ROOT)}: no networking.podSubnet")
    return ipaddress.ip_network(subnet)


def rule_trusted_proxies(docs: Docs) -> list[str]:
    """The app trusts X-Forwarded-For from the cluster's pod network (k8s/cluster/kind-config.yaml
    podSubnet), where the Ingress controller's pods are: else every client behind one Traefik pod
    shares the login and register throttles. Not from everyone ('*')."""
    configs = app_configs(docs)
    bad = [] if configs else ["no laravel-config ConfigMap"]
    pods = pod_subnet()
    for cm in configs:
        value = str((cm.get("data") or {}).get("TRUSTED_PROXIES", ""))
        entries = [e.strip() for e in value.split(",") if e.strip()]
        if "*" in entries:
            bad.append(f"{ref(cm)}: TRUSTED_PROXIES trusts every peer ('*'), want the pod network {pods}")
            continue
        networks = []
        for entry in entries:
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                bad.append(f"{ref(cm)}: TRUSTED_PROXIES entry {entry!r} is not an address or CIDR")
        if not any(n.version == pods.version and pods.subnet_of(n) for n in networks):
            bad.append(f"{ref(cm)}: TRUSTED_PROXIES {value!r} does not cover the pod network {pods}")
    return bad


def _web_ingress_problems(docs: Docs) -> list[str]:
    """Every ingress rule of a policy that selects the web pods admits only WEB_INGRESS_PEERS on WEB_PORT."""
    bad, admitted = [], set()
    web_labels = [d["spec"]["template"]["metadata"].get("labels") or {} for d in web_deployments(docs)]
    for p in by_kind(docs, "NetworkPolicy"):
        spec = p["spec"]
        types = spec.get("policyTypes") or ["Ingress"]
        if "Ingress" not in types or not any(
            matches(spec["podSelector"], labels) for labels in web_labels or [WEB_POD_LABELS]
        ):
            continue
        for rule in spec.get("ingress") or []:
            ports = rule.get("ports") or []
            if not ports or any(port.get("port") != WEB_PORT for port in ports):
                bad.append(f"{ref(p)}: web ingress on ports {ports or 'all'}, want only {WEB_PORT!r}")
            if not rule.get("from"):
                bad.append(f"{ref(p)}: web ingress from every source")
            for peer in rule.get("from") or []:
                ns = ((peer.get("namespaceSelector") or {}).get("matchLabels") or {}).get(
                    "kubernetes.io/metadata.name"
                )
                pods = WEB_INGRESS_PEERS.get(ns, {}) if ns else {}
                pod_labels = (peer.get("podSelector") or {}).get("matchLabels") or {}
                if "ipBlock" in peer or ns not in WEB_INGRESS_PEERS:
                    bad.append(f"{ref(p)}: web ingress from {peer}, not the traefik or monitoring namespace")
                elif pods and any(pod_labels.get(k) != v for k, v in pods.items()):
                    bad.append(f"{ref(p)}: web ingress from {ns} pods {pod_labels or 'all'}, want {pods}")
                else:
                    admitted.add(ns)
    bad += [
        f"web: no NetworkPolicy admits the {ns} namespace" for ns in WEB_INGRESS_PEERS if ns not in admitted
    ]
    return bad


def rule_labels(docs: Docs) -> list[str]:
    """Every object carries the app.kubernetes.io name/component/part-of/version labels."""
    bad = []
    for doc in docs:
        labels = doc["metadata"].get("labels") or {}
        missing = [key for key in REQUIRED_LABELS if key not in labels]
        if missing:
            bad.append(f"{ref(doc)}: missing labels {', '.join(missing)}")
    return bad


def rule_topology_spread(docs: Docs) -> list[str]:
    """Web pods spread across nodes."""
    bad = []
    for doc, spec in pod_specs(docs):
        if component(doc) == "web":
            keys = [t["topologyKey"] for t in spec.get("topologySpreadConstraints", [])]
            if "kubernetes.io/hostname" not in keys:
                bad.append(f"{ref(doc)}: no topology spread over kubernetes.io/hostname")
    return bad


class RuleSpec(NamedTuple):
    check: Rule
    criteria: tuple[str, ...]  # the acceptance criteria the rule protects
    sample: str  # the broken sample under tests/static/samples/k8s/ that it must reject
    phrases: tuple[str, ...]  # what its violations on the sample must contain
    overlays: tuple[str, ...] = OVERLAY_NAMES  # the overlays it applies to


FPM_OVERLAYS = ("fpm", "comparison")  # the overlays with an FPM web pod

RULES: dict[str, RuleSpec] = {
    "resources": RuleSpec(
        rule_resources,
        ("resource-limits",),
        "no-limits.yaml",
        (
            "no limits.memory",
            "container app: no requests.ephemeral-storage",
            "Deployment/cache: ephemeral-storage limits 64 MiB < emptyDirs 1024 MiB",
        ),
    ),
    "non-root": RuleSpec(rule_non_root, ("non-root",), "root.yaml", ("runAsNonRoot is not true",)),
    "probes": RuleSpec(
        rule_probes,
        ("health-endpoints",),
        "unbounded-probe.yaml",
        (
            "without timeoutSeconds",
            "Deployment/busy container app: the liveness probe is the readiness probe",
            "Deployment/busy container app: liveness acts after 10 s of failures, before readiness (30 s)",
        ),
    ),
    "graceful-stop": RuleSpec(
        rule_graceful_stop, ("graceful-shutdown", "zero-downtime-rollout"), "no-drain.yaml", ("drain switch",)
    ),
    "configmaps": RuleSpec(
        rule_config_from_configmaps, ("configmaps",), "configmap-secret.yaml", ("looks secret",)
    ),
    "secrets": RuleSpec(rule_secrets, ("secrets",), "inline-secret.yaml", ("inline value",)),
    "pdb": RuleSpec(rule_pdb, ("pdb",), "pdb-blocks-drain.yaml", ("minAvailable",)),
    "hpa": RuleSpec(
        rule_hpa, ("hpa-scale-out",), "hpa-cpu-only.yaml", ("want cpu and memory", "never scales in")
    ),
    "hpa-bounds": RuleSpec(
        rule_hpa_bounds,
        ("hpa-scale-out",),
        "hpa-bounds.yaml",
        ("maxReplicas 1 <= minReplicas 1", "minReplicas 1 < 2", "CPU target 99 %"),
    ),
    # fpm-container-config is an FPM-only row: this rule is no evidence for Swoole's resource limits
    "fpm-sizing": RuleSpec(
        rule_fpm_sizing,
        ("fpm-container-config",),
        "fpm-oversized.yaml",
        ("16 children x 48 MB (average worker) + 192 MB reserved = 960 MB does not fit",),
        FPM_OVERLAYS,
    ),
    "redis-drivers": RuleSpec(
        rule_redis_drivers,
        ("redis-sessions", "sessions-solved", "queue-redis", "configmaps"),
        "file-sessions.yaml",
        ("SESSION_DRIVER is 'file'", "QUEUE_CONNECTION is 'sync'", "container app: CACHE_DRIVER is 'array'"),
    ),
    "network-policies": RuleSpec(
        rule_network_policies,
        ("network-policies", "metrics-collected"),
        "open-policies.yaml",
        (
            "not the app's",
            "NetworkPolicy/web-open: web ingress on ports all",
            "NetworkPolicy/web-open: web ingress from {'podSelector': {}}, not the traefik",
            "NetworkPolicy/scrape-open: web ingress from monitoring pods all",
            "web: no NetworkPolicy admits the monitoring namespace",
        ),
    ),
    "secure-cookies": RuleSpec(
        rule_secure_cookies,
        ("auth-redis-sessions", "ingress-tls"),
        "insecure-cookies.yaml",
        ("SESSION_SECURE_COOKIE is 'false', want 'true'", "SESSION_SAME_SITE is 'none', want 'lax'"),
    ),
    "trusted-proxies": RuleSpec(
        rule_trusted_proxies,
        ("auth-redis-sessions",),
        "loopback-proxies.yaml",
        (
            "ConfigMap/laravel-config-abc123: TRUSTED_PROXIES '127.0.0.1' does not cover the pod network 10.244.0.0/16",
            "ConfigMap/laravel-config-def456: TRUSTED_PROXIES trusts every peer ('*')",
            "ConfigMap/laravel-config-0a1b2c: TRUSTED_PROXIES entry '10.244.0.0/166' is not an address or CIDR",
        ),
    ),
    "labels": RuleSpec(rule_labels, ("k8s-app-running",), "unlabelled.yaml", ("missing labels",)),
    "topology-spread": RuleSpec(
        rule_topology_spread, ("k8s-app-running",), "no-spread.yaml", ("no topology spread",)
    ),
}


# --- the redis drivers outside the manifests: the app's own names, and docker compose ------------
COMPOSE = ROOT / "app" / "docker-compose.yml"


def compose_driver_problems(path: Path) -> list[str]:
    """Every compose service that runs the app (its environment has APP_KEY) keeps sessions, cache
    and queue in Redis; ${VAR:-default} counts as its default, as `docker compose` resolves it unset."""
    services = (yaml.safe_load(path.read_text()) or {}).get("services") or {}
    bad, app_services = [], 0
    for name, service in services.items():
        env = service.get("environment") or {}
        if isinstance(env, list):
            env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
        env = {
            k: re.sub(r"\$\{\w+(?::?-([^}]*))?\}", lambda m: m.group(1) or "", str(v)) for k, v in env.items()
        }
        if "APP_KEY" in env:
            app_services += 1
            bad += redis_driver_problems(env, f"{path.name} service {name}")
    if not app_services:
        bad.append(f"{path.name}: no service runs the app (no environment with APP_KEY)")
    return bad


# --- the kustomize layout (kustomize's components example) ---------------------------------------
LAYOUT = {
    # directory under k8s/ -> the kind every kustomization directly below it must be
    "components": "Component",
    "overlays": "Kustomization",
}


def _kustomizations(root: Path) -> dict[Path, dict]:
    return {p.parent: yaml.safe_load(p.read_text()) or {} for p in sorted(root.rglob("kustomization.yaml"))}


def layout_problems(root: Path = K8S) -> list[str]:
    """k8s/ keeps kustomize's components layout: every Component under components/<name>, every
    directory below components/ and overlays/ a Component or a Kustomization as its parent says,
    and the references point one way: overlays use base and components, nothing uses an overlay."""
    bad = []
    trees = _kustomizations(root)
    for directory, doc in trees.items():
        where = directory.relative_to(root)
        kind = doc.get("kind", "Kustomization")
        want = LAYOUT.get(where.parts[0]) if len(where.parts) == 2 else None
        if want and kind != want:
            bad.append(f"k8s/{where}: a {kind} where {where.parts[0]}/ holds a {want}")
        if kind == "Component" and (where.parts[0] != "components" or len(where.parts) != 2):
            bad.append(f"k8s/{where}: a Component outside k8s/components/<name>")
        for field in ("resources", "components"):
            for entry in doc.get(field) or []:
                target = (directory / entry).resolve()
                if where.parts[0] != "overlays" and (root / "overlays") in (target, *target.parents):
                    bad.append(f"k8s/{where}: {field} {entry} reaches into k8s/overlays/")
    for parent in LAYOUT:
        for child in (
            sorted(p for p in (root / parent).iterdir() if p.is_dir()) if (root / parent).is_dir() else []
        ):
            if child not in trees:
                bad.append(f"k8s/{child.relative_to(root)}: no kustomization.yaml")
    return bad
