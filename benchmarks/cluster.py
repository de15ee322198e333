"""Demo 3 in the cluster: the benchmark's load through the Ingress at each deployed runtime, with
`kubectl top` of its pods during the run; written into the same results as benchmarks/bench.py.

    .venv/bin/python -m benchmarks.cluster --out DIR [--routes ping,tasks-list]
        [--concurrency 8,32] [--duration S] [--rounds N]      (make bench-cluster)

Needs the kind cluster (`make cluster`) and the images (`make build`). Both runtimes side by
side: k8s/overlays/comparison (laravel-app-fpm and laravel-app-swoole, the same requests and
limits, https://fpm.localhost and https://swoole.localhost); without the Swoole image the
comparison cannot start, so the fpm overlay is deployed instead and the Swoole column says why.
The deploy the cluster had before is deployed again at the end (the k8s tier runs against it).

Per runtime, route and concurrency: vegeta's closed loop through Traefik on the kind node's
127.0.0.1 HTTPS port (the Host header picks the runtime, the cluster's CA verifies the
certificate), --rounds interleaved rounds, medians; the web pods' CPU-seconds from their pod
cgroups on the node (exact, not sampled) and so CPU-s per 1,000 requests; `kubectl top pods`
(metrics.k8s.io) of the web pods every 10 s, the metrics-server's resolution; replicas
(the HPA may add pods under load: the table says how many served).

Writes DIR/cluster.json and rewrites DIR/results.md (benchmarks/plots.py, which adds the
"In the cluster" section when cluster.json is there).
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from benchmarks.bench import ROUTES, Route, Vegeta, log, log_in, med, vegeta_binary
from fixtures.cluster import CACHED_KIND, CACHED_KUBECTL, DEFAULT_NAME, Cluster
from fixtures.k8s_app import (
    NAMESPACE,
    App,
    _current_variant,
    _db_storage,
    _image_id,
    _restart_on_rebuilt_images,
    app_image_names,
)
from plugins.capabilities import Capabilities
from suite.project import CACHE, image

VARIANTS = ("fpm", "swoole")
# the web Deployment and the Ingress host of each runtime, per overlay
WEBS = {
    "comparison": {"fpm": "laravel-app-fpm", "swoole": "laravel-app-swoole"},
    "fpm": {"fpm": "laravel-app"},
}
HOSTS = {"comparison": {"fpm": "fpm.localhost", "swoole": "swoole.localhost"}, "fpm": {"fpm": "localhost"}}
TOP_EVERY = 10.0  # s: metrics-server's --metric-resolution


@dataclass
class Target:
    """One runtime's web tier behind the Ingress: what bench.Vegeta.run needs of an instance."""

    variant: str
    cluster: Cluster
    deployment: str
    host: str
    headers: dict[str, list[str]] = field(default_factory=dict)
    memory: list[tuple[float, float]] = field(default_factory=list)
    top: list[dict] = field(default_factory=list)

    @property
    def fixed_headers(self) -> dict[str, list[str]]:
        # the Ingress routes by Host; the TLS name stays localhost, which the certificates cover
        return {"Host": [self.host]}

    def url(self, path: str) -> str:
        return f"https://localhost:{self.cluster.https_port}{path}"

    def pods(self) -> list:
        pods = self.cluster.core.list_namespaced_pod(
            NAMESPACE, label_selector="app.kubernetes.io/component=web"
        )
        return [
            p
            for p in pods.items
            if p.metadata.name.startswith(f"{self.deployment}-") and p.status.phase == "Running"
        ]

    def stats(self) -> tuple[int, int]:
        """(CPU ns of the web pods so far, their working-set bytes now)."""
        return pod_cgroups(self.cluster, self.pods())


def traefik_cpu_ns(cluster: Cluster) -> int:
    """CPU ns the Ingress controller's pods used so far (the proxy in front of both runtimes)."""
    pods = cluster.core.list_namespaced_pod("traefik").items
    return pod_cgroups(cluster, [p for p in pods if p.status.phase == "Running"])[0]


def pod_cgroups(cluster: Cluster, pods: list) -> tuple[int, int]:
    """(CPU ns so far, working-set bytes now) of these pods, from their own cgroups on the node
    (cgroup v1: cpuacct.usage; memory.stat rss + cache - inactive_file, what the kubelet calls
    the working set). Exact counters, not the metrics API's samples."""
    by_node: dict[str, list[str]] = {}
    for p in pods:  # each pod's cgroup is on its own node (a kind node is a container)
        by_node.setdefault(p.spec.node_name, []).append(p.metadata.uid.replace("-", "_"))
    cpu = mem = 0
    for node, uids in by_node.items():
        script = "; ".join(
            f"for d in $(find /sys/fs/cgroup/cpuacct /sys/fs/cgroup/memory -maxdepth 4 -type d -name '*pod{u}.slice'); do "
            f'[ -f $d/cpuacct.usage ] && echo "cpu $(cat $d/cpuacct.usage)"; '
            f"[ -f $d/memory.stat ] && grep -E '^total_(rss|cache|inactive_file) ' $d/memory.stat; done"
            for u in uids
        )
        out = subprocess.run(
            ["docker", "exec", node, "sh", "-c", script], capture_output=True, text=True, timeout=30
        )
        for line in out.stdout.splitlines():
            key, value = line.split()
            if key == "cpu":
                cpu += int(value)
            else:
                mem += -int(value) if key == "total_inactive_file" else int(value)
    return cpu, mem


def top_sampler(target: Target, stop: threading.Event) -> None:
    """`kubectl top pods` of the target's web pods (metrics.k8s.io) every TOP_EVERY seconds."""
    custom = target.cluster.api_client
    from kubernetes import client

    api = client.CustomObjectsApi(custom)
    t0 = time.monotonic()
    while not stop.wait(TOP_EVERY):
        try:
            items = api.list_namespaced_custom_object("metrics.k8s.io", "v1beta1", NAMESPACE, "pods")["items"]
        except client.ApiException:
            continue
        for item in items:
            if not item["metadata"]["name"].startswith(f"{target.deployment}-"):
                continue
            cpu = sum(_millicores(c["usage"]["cpu"]) for c in item["containers"])
            mem = sum(_mib(c["usage"]["memory"]) for c in item["containers"])
            target.top.append(
                {
                    "t": round(time.monotonic() - t0, 1),
                    "pod": item["metadata"]["name"],
                    "cpu_m": cpu,
                    "mem_mib": mem,
                }
            )


def _millicores(q: str) -> float:
    if q.endswith("n"):
        return int(q[:-1]) / 1e6
    if q.endswith("u"):
        return int(q[:-1]) / 1e3
    if q.endswith("m"):
        return float(q[:-1])
    return float(q) * 1000


def _mib(q: str) -> float:
    units = {"Ki": 1 / 1024, "Mi": 1, "Gi": 1024}
    for suffix, factor in units.items():
        if q.endswith(suffix):
            return round(float(q[: -len(suffix)]) * factor, 1)
    return round(float(q) / 2**20, 1)


def connect(name: str) -> Cluster:
    kubeconfig = CACHE / "cluster" / name / "kubeconfig"
    if not kubeconfig.is_file():
        raise SystemExit(f"error: no kind cluster '{name}' ({kubeconfig} missing): run make cluster first")
    cluster = Cluster(name, kubeconfig, kind_path=CACHED_KIND, kubectl_path=CACHED_KUBECTL)
    cluster.connect()
    cluster.ca_cert = CACHE / "cluster" / "pki" / "ca.crt"
    return cluster


def deploy(cluster: Cluster, overlay: str, artifacts: Path) -> App:
    """Load the overlay's images into the cluster and deploy it (scripts/deploy.sh), Ready."""
    variants = list(WEBS[overlay])
    names = sorted({n for v in variants for n in app_image_names(v)} | {"redis", "mariadb", "seaweedfs"})
    image_ids = {}
    for name in names:
        if subprocess.run(["docker", "image", "inspect", image(name)], capture_output=True).returncode:
            raise SystemExit(f"error: image {image(name)} not built: run make build")
        image_ids[image(name)] = _image_id(image(name))
        cluster.load_docker_image(image(name))
    app = App(overlay, cluster, db_storage=_db_storage(cluster), image_ids=image_ids)
    app.deploy_or_fail(artifacts)
    for web in WEBS[overlay].values():
        cluster.wait_rollout(NAMESPACE, web, timeout=300)
    if overlay != "comparison":
        # the images under the tags may have been rebuilt since the pods started: the k8s tier's
        # rule (fixtures/k8s_app.py), so the load meets this checkout's code
        _restart_on_rebuilt_images(app, image_ids)
    return app


def summarize(runs: list[dict]) -> list[dict]:
    groups: dict[tuple, list[dict]] = {}
    for r in runs:
        groups.setdefault((r["variant"], r["route"], r["load"]), []).append(r)
    rows = []
    for (variant, route, load), rs in groups.items():
        row = {"variant": variant, "route": route, "load": load, "rounds": len(rs)}
        for f in ("rps", "p50_ms", "p95_ms", "p99_ms", "cpu_used", "rps_per_cpu", "pod_mib_peak"):
            row[f] = med([r[f] for r in rs])
        row["cpu_s_per_1k"] = med([r["cpu_s_per_1k"] for r in rs if r["cpu_s_per_1k"] is not None])
        row["proxy_cpu_used"] = med([r["proxy_cpu_s"] / r["seconds"] for r in rs])
        row["rps_range"] = [min(r["rps"] for r in rs), max(r["rps"] for r in rs)]
        row["replicas"] = [min(r["replicas"] for r in rs), max(r["replicas"] for r in rs)]
        row["requests"] = sum(r["requests"] for r in rs)
        row["errors"] = sum(r["errors"] for r in rs)
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.cluster", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--out", type=Path, required=True, help="the results folder of a bench.py run")
    parser.add_argument("--routes", default="ping,tasks-list")
    parser.add_argument("--concurrency", default="8,32")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cluster", default=DEFAULT_NAME)
    args = parser.parse_args(argv)
    unknown = set(args.routes.split(",")) - set(ROUTES)
    if unknown:
        parser.error(f"unknown route(s) {sorted(unknown)}: {', '.join(ROUTES)}")
    routes: list[Route] = [ROUTES[n] for n in args.routes.split(",")]
    concurrency = [int(c) for c in args.concurrency.split(",")]
    args.out.mkdir(parents=True, exist_ok=True)
    skipped = {}
    reason = Capabilities("any", VARIANTS).variant_skip_reason("swoole")
    if reason:
        skipped["swoole"] = reason
        log(f"swoole: SKIP ({reason}); deploying the fpm overlay instead of the comparison")
    overlay = "fpm" if reason else "comparison"
    cluster = connect(args.cluster)
    before = _current_variant(cluster)
    artifacts = Path(tempfile.mkdtemp(prefix="lks-bench-cluster-"))
    runs: list[dict] = []
    try:
        log(f"deploying k8s/overlays/{overlay}")
        deploy(cluster, overlay, artifacts)
        ca = str(cluster.ca_cert)
        targets = {
            v: Target(v, cluster, WEBS[overlay][v], HOSTS[overlay][v])
            for v in WEBS[overlay]
            if v not in skipped
        }
        for t in targets.values():
            log_in(t, verify=ca)
        vegeta = Vegeta(vegeta_binary(), artifacts, root_certs=ca)
        for t in targets.values():  # warm-up
            for route in routes:
                vegeta.run(t, route, 3, workers=8)
        for rnd in range(1, args.rounds + 1):
            for route in routes:
                for c in concurrency:
                    for v, t in targets.items():
                        log(f"round {rnd}/{args.rounds}: {route.name} c={c} {v} through the Ingress")
                        stop = threading.Event()
                        sampler = threading.Thread(target=top_sampler, args=(t, stop), daemon=True)
                        sampler.start()
                        proxy0 = traefik_cpu_ns(cluster)
                        result = vegeta.run(t, route, args.duration, workers=c)
                        result["proxy_cpu_s"] = (traefik_cpu_ns(cluster) - proxy0) / 1e9
                        stop.set()
                        sampler.join()
                        runs.append(
                            {
                                "variant": v,
                                "route": route.name,
                                "load": c,
                                "round": rnd,
                                "replicas": len(t.pods()),
                            }
                            | result
                        )
    except pytest.fail.Exception as exc:
        raise SystemExit(f"error: {str(exc).splitlines()[0]} (logs in {artifacts})") from None
    finally:
        if before and before != overlay:
            log(f"deploying the cluster's earlier variant again: {before}")
            restored = App(before, cluster, db_storage=_db_storage(cluster))
            restored.deploy_or_fail(artifacts)
            restored.wait_web_ready()
    data = {
        "meta": {
            "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "overlay": f"k8s/overlays/{overlay}",
            "through": f"Traefik (Ingress) on 127.0.0.1:{cluster.https_port}, Host header per runtime, TLS verified with the cluster CA",
            "load": f"vegeta closed loop at {concurrency} connections, {args.duration:g} s per run, {args.rounds} interleaved rounds",
            "cpu": "web pods' cgroups on the node (cpuacct.usage); Traefik's own CPU in its column, not in rps per CPU-s",
            "skipped": skipped,
        },
        "summary": summarize(runs),
        "top": {v: t.top for v, t in targets.items()},
        "runs": runs,
    }
    from benchmarks.plots import write_section

    write_section(args.out, "cluster.json", data)
    log(f"in-cluster results in {args.out / 'cluster.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
