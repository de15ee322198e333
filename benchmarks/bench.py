"""The FPM vs Swoole benchmark (Demo 3, `make bench`): realistic routes next to each runtime's own
ceiling, closed and open loop, worker recycling, resource cost; a results table with the POC's
targets and verdicts, and plots.

    .venv/bin/python -m benchmarks.bench [--quick] [--out DIR] [--variants fpm,swoole]
        [--routes ping,tasks-list,...] [--concurrency 1,8,32,128] [--duration S] [--rounds N]
        [--recycling 500,10000,0] [--no-open-loop] [--no-ceiling] [--no-recycling]

What runs (the suite's one Docker stack, suite/stack.py: real Redis and MariaDB, migrated):
- per runtime a Laravel instance and its **ceiling**: the same image and limits serving a one-line
  PHP hello world (FPM: /app/public/index.php replaced by it, under the same nginx; Swoole: a bare
  Swoole HTTP server in the Swoole image, one worker per CPU like Octane), so every Laravel number
  is also a % of what its runtime can do at all;
- **limits**: 1 CPU per runtime, the proxy included: FPM's pod is nginx 0.2 + FPM 0.8 CPU (per
  container, as Kubernetes limits them), Swoole's is its one container at 1.0 CPU; 512 MiB each;
- **load**: vegeta (built from its Go module, cached like the cluster's tools), sent to the front
  container's address on the stack's bridge network (not through docker-proxy on 127.0.0.1):
  closed loop (N workers, each sending its next request when the last one answered) for N in
  --concurrency, and one open loop per route at a fixed arrival rate (half of FPM's best closed
  loop throughput on that route; the same rate for both runtimes); every run bounded by --duration
  and vegeta's 10 s request timeout. A warm-up run first; --rounds interleaved rounds (route by
  route, runtime by runtime) and medians with their range;
- **recycling**: FPM pm.max_requests and Octane max_requests at each --recycling value (0 = off),
  a fresh instance each, /api/ping at 32 connections: the cost of recycling as p50/p95/p99;
- **resource cost**: CPU-seconds per 1,000 requests (the containers' own CPU accounting), RSS per
  worker and per pod (peak and steady, sampled every 0.5 s), start-up time to the first 200.

Writes DIR/results.json, DIR/results.md and DIR/*.png (matplotlib). DIR defaults to
benchmarks/results/<UTC timestamp>. Without the Swoole image its columns are SKIP with the reason.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import requests

from plugins.capabilities import Capabilities
from suite.containers import free_port
from suite.project import ROOT, image
from suite.stack import WEB_PORT, Stack, WebApp, app_env

VARIANTS = ("fpm", "swoole")
# the POC's targets (acceptance/criteria.yaml: perf-fpm-p95, perf-swoole-p95, perf-swoole-vs-fpm)
TARGETS = {"fpm_p95_ms": 100.0, "swoole_p95_ms": 50.0, "swoole_vs_fpm_rps_per_cpu": 3.0}
LIMITS = {"fpm": {"cpus": "0.8", "nginx_cpus": "0.2"}, "swoole": {"cpus": "1.0"}}
MEMORY = "512m"
REQUEST_TIMEOUT = "10s"
JSON_HEADERS = {"Accept": ["application/json"]}


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    path: str
    what: str
    session: bool = False
    body: dict | None = None


ROUTES = {
    r.name: r
    for r in (
        Route("ping", "GET", "/api/ping", "framework floor: routing, middleware, JSON; no session"),
        Route(
            "tasks-list", "GET", "/api/tasks?page=1&per_page=15", "DB read: a page of the user's tasks", True
        ),
        Route(
            "tasks-create",
            "POST",
            "/api/tasks",
            "DB write: create a task (session, CSRF token, validation, INSERT)",
            True,
            {"title": "benchmark task", "priority": "normal"},
        ),
        Route("me", "GET", "/api/auth/me", "authenticated session request (Redis session)", True),
        Route("stress", "GET", "/api/stress?ms=5", "CPU work of a fixed small size (5 ms)"),
    )
}
CEILING = Route("ceiling", "GET", "/", "hello world of the runtime itself (no framework)")

FPM_HELLO = '<?php header("Content-Type: application/json"); echo "{\\"ok\\":true}";\n'
# a bare Swoole HTTP server: what the runtime gives without Laravel and Octane around it
SWOOLE_HELLO = """<?php
$server = new Swoole\\Http\\Server('0.0.0.0', 8000);
$server->set(['worker_num' => max(1, (int) getenv('OCTANE_WORKERS') ?: 1), 'log_level' => SWOOLE_LOG_WARNING]);
$server->on('request', function ($request, $response) {
    $response->header('Content-Type', 'application/json');
    $response->end('{"ok":true}');
});
$server->start();
"""


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def vegeta_binary() -> str:
    """The cached vegeta build (scripts/cluster/build-tools.sh vegeta: built once per version)."""
    proc = subprocess.run(
        [str(ROOT / "scripts" / "cluster" / "build-tools.sh"), "vegeta"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if proc.returncode != 0:
        raise SystemExit(f"error: vegeta could not be built: {proc.stderr.strip().splitlines()[-1:]}")
    return str(Path(proc.stdout.strip()) / "vegeta")


def machine() -> dict:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    docker = subprocess.run(
        ["docker", "version", "-f", "{{.Server.Version}}"], capture_output=True, text=True
    )
    return {
        "cpu_model": cpu,
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "docker": docker.stdout.strip(),
        "python": platform.python_version(),
    }


# --- one serving instance and what it costs ---------------------------------------------------------
@dataclass
class Instance:
    variant: str
    kind: str  # laravel | ceiling
    web: WebApp
    startup_s: float
    headers: dict[str, list[str]] = field(default_factory=dict)  # the session's, for session routes
    memory: list[tuple[float, float]] = field(default_factory=list)  # (t, MiB of the pod)
    fixed_headers: dict[str, list[str]] = field(default_factory=dict)  # on every request

    def url(self, path: str) -> str:
        """The front container's own address on the stack's bridge network (a container this run
        started): the load skips docker-proxy, which would otherwise cap every runtime alike on
        the published 127.0.0.1 port and spend CPU outside the runtime's limit."""
        front = self.web.containers["nginx" if self.variant == "fpm" else "swoole"]
        wrapped = front.tc.get_wrapped_container()
        wrapped.reload()
        address = wrapped.attrs["NetworkSettings"]["Networks"][front.network]["IPAddress"]
        return f"http://{address}:{WEB_PORT[self.variant]}{path}"

    def stats(self) -> tuple[int, int]:
        """(CPU ns used so far, memory bytes now) of the pod's containers: Docker's own accounting."""
        cpu = mem = 0
        for c in self.web.containers.values():
            s = c.tc.get_wrapped_container().stats(stream=False, one_shot=True)
            cpu += s["cpu_stats"]["cpu_usage"]["total_usage"]
            # what `docker stats` shows: usage without the inactive page cache (v1 and v2 names);
            # OPcache's shared memory stays in (it is shmem, not reclaimable)
            extra = s["memory_stats"].get("stats", {})
            mem += s["memory_stats"].get("usage", 0) - extra.get(
                "total_inactive_file", extra.get("inactive_file", 0)
            )
        return cpu, mem

    def worker_rss_mib(self) -> list[float]:
        """RSS of each worker process (FPM children, Swoole/Octane workers) now, from `docker top`."""
        app = self.web.containers["fpm" if self.variant == "fpm" else "swoole"]
        top = app.tc.get_wrapped_container().top(ps_args="-eo pid,ppid,rss,args")
        procs = [(int(pid), int(ppid), int(rss), args) for pid, ppid, rss, args in top["Processes"]]
        if self.variant == "fpm":
            workers = [p for p in procs if "pool" in p[3]]
        else:
            # Swoole's workers are the children of its manager (the master's only child with children)
            pids = {p[0] for p in procs}
            parents = [p[1] for p in procs if p[1] in pids]
            manager = max(set(parents), key=parents.count) if parents else None
            workers = [p for p in procs if p[1] == manager]
        return [p[2] / 1024 for p in workers]


def start_instance(
    stack: Stack,
    variant: str,
    kind: str,
    env: dict,
    tmp: Path,
    extra_env: dict | None = None,
    app_options: dict | None = None,
) -> Instance:
    """A fresh instance, timed from the start of its containers to the first 200 of its route;
    `app_options` (volumes) go to its app container (benchmarks/tuning.py's ini files)."""
    options: dict = dict(app_options or {})
    path = "/" if kind == "ceiling" else "/api/ping"
    if kind == "ceiling":
        if variant == "fpm":
            hello = tmp / "index.php"
            hello.write_text(FPM_HELLO)
            hello.chmod(0o644)
            options = {"volumes": [(str(hello), "/app/public/index.php", "ro")]}
        else:
            hello = tmp / "hello-swoole.php"
            hello.write_text(SWOOLE_HELLO)
            hello.chmod(0o644)
            options = {
                "volumes": [(str(hello), "/bench/hello-swoole.php", "ro")],
                "entrypoint": ["php", "/bench/hello-swoole.php"],
            }
    port = free_port()
    first_200: list[float] = []
    started = time.monotonic()
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            try:
                if requests.get(f"http://127.0.0.1:{port}{path}", timeout=1).status_code == 200:
                    first_200.append(time.monotonic())
                    return
            except requests.RequestException:
                pass
            time.sleep(0.05)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    limits = LIMITS[variant]
    web = stack.web(
        variant,
        env | (extra_env or {}),
        suffix=f"{kind}-{uuid.uuid4().hex[:4]}",
        cpus=limits["cpus"],
        memory=MEMORY,
        nginx_cpus=limits.get("nginx_cpus"),
        nginx_memory="64m",
        port=port,
        app_options=options,
    )
    poller.join(timeout=30)
    stop.set()
    if not first_200:
        raise SystemExit(f"error: {variant} {kind} never answered 200 on {path}")
    return Instance(variant, kind, web, round(first_200[0] - started, 2))


def log_in(instance: Instance, verify: str | bool = True) -> None:
    """A benchmark user registered through the API: its session cookie and CSRF token then ride on
    every request of the routes that need a session; a few tasks so the list has a page to read.
    `verify`: the CA of an HTTPS target (per request: REQUESTS_CA_BUNDLE overrides a session's)."""
    http = requests.Session()
    http.headers.update({k: v[0] for k, v in instance.fixed_headers.items()})
    email = f"bench-{uuid.uuid4().hex[:10]}@example.test"
    reply = http.post(
        instance.url("/api/auth/register"),
        json={"name": "Benchmark", "email": email, "password": "benchmark only password"},
        headers={"Accept": "application/json"},
        timeout=15,
        verify=verify,
    )
    if reply.status_code != 201:
        raise SystemExit(
            f"error: registering the benchmark user on {instance.variant}: {reply.status_code} {reply.text[:200]}"
        )
    token = reply.json()["meta"]["csrf_token"]
    cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
    instance.headers = {"Cookie": [cookie], "X-CSRF-TOKEN": [token]}
    for i in range(20):
        made = http.post(
            instance.url("/api/tasks"),
            json={"title": f"seeded task {i}"},
            headers={"Accept": "application/json", "X-CSRF-TOKEN": token},
            timeout=15,
            verify=verify,
        )
        if made.status_code != 201:
            raise SystemExit(
                f"error: seeding tasks on {instance.variant}: {made.status_code} {made.text[:200]}"
            )


# --- load ---------------------------------------------------------------------------------------------
class Vegeta:
    def __init__(self, binary: str, workdir: Path, root_certs: str | None = None) -> None:
        self.binary = binary
        self.workdir = workdir
        self.root_certs = root_certs  # CA file for HTTPS targets (the cluster's Ingress)

    def run(
        self, instance: Instance, route: Route, duration: float, *, workers: int = 0, rate: int = 0
    ) -> dict:
        """One bounded run: closed loop with `workers`, or open loop at `rate` requests/s. The
        result is vegeta's JSON report plus the pod's CPU and memory over the run."""
        import base64

        headers = JSON_HEADERS | instance.fixed_headers | (instance.headers if route.session else {})
        target = {"method": route.method, "url": instance.url(route.path), "header": headers}
        if route.body is not None:
            target["body"] = base64.b64encode(json.dumps(route.body).encode()).decode()
            target["header"] = headers | {"Content-Type": ["application/json"]}
        targets = self.workdir / f"target-{uuid.uuid4().hex[:6]}.json"
        targets.write_text(json.dumps(target) + "\n")
        attack = [
            self.binary,
            "attack",
            "-format=json",
            f"-targets={targets}",
            f"-duration={duration}s",
            f"-timeout={REQUEST_TIMEOUT}",
            "-keepalive=true",
        ]
        if self.root_certs:
            attack.append(f"-root-certs={self.root_certs}")
        if rate:
            attack += [f"-rate={rate}/1s", "-max-workers=512"]
        else:
            attack += ["-rate=0", f"-workers={workers}", f"-max-workers={workers}", f"-connections={workers}"]
        samples: list[tuple[float, float]] = []
        stop = threading.Event()

        def sample() -> None:
            while not stop.wait(0.5):
                samples.append((time.monotonic(), instance.stats()[1] / 2**20))

        cpu0, _ = instance.stats()
        t0 = time.monotonic()
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        with tempfile.NamedTemporaryFile(dir=self.workdir, suffix=".bin") as results:
            proc = subprocess.run(attack, stdout=results, stderr=subprocess.PIPE, timeout=duration + 30)
            wall = time.monotonic() - t0
            stop.set()
            sampler.join()
            cpu1, mem = instance.stats()
            if proc.returncode != 0:
                raise SystemExit(f"error: vegeta attack failed: {proc.stderr.decode()[-300:]}")
            report = subprocess.run(
                [self.binary, "report", "-type=json", results.name],
                capture_output=True,
                text=True,
                timeout=60,
                check=True,
            )
        targets.unlink()
        rep = json.loads(report.stdout)
        lat = rep["latencies"]
        codes = {str(k): v for k, v in (rep.get("status_codes") or {}).items()}
        ok = sum(v for k, v in codes.items() if k.startswith("2"))
        cpu_s = (cpu1 - cpu0) / 1e9
        instance.memory += samples
        return {
            "requests": rep["requests"],
            "ok": ok,
            "errors": rep["requests"] - ok,
            "status": codes,
            "error_kinds": sorted(set(rep.get("errors") or []))[:5],
            "rps": ok / wall if wall else 0.0,
            "offered_rps": rep.get("rate", 0.0),
            "p50_ms": lat["50th"] / 1e6,
            "p95_ms": lat["95th"] / 1e6,
            "p99_ms": lat["99th"] / 1e6,
            "max_ms": lat["max"] / 1e6,
            "cpu_s": cpu_s,
            "cpu_used": cpu_s / wall if wall else 0.0,
            "cpu_s_per_1k": 1000 * cpu_s / ok if ok else None,
            "rps_per_cpu": ok / cpu_s if cpu_s else 0.0,
            "pod_mib_peak": max((m for _, m in samples), default=mem / 2**20),
            "pod_mib_end": mem / 2**20,
            "seconds": wall,
        }


# --- the plan -----------------------------------------------------------------------------------------
def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def summarize(runs: list[dict]) -> list[dict]:
    """Medians (and ranges) of the rounds of each (variant, kind, route, mode, load)."""
    groups: dict[tuple, list[dict]] = {}
    for r in runs:
        groups.setdefault(
            (r["variant"], r["kind"], r["route"], r["mode"], r["load"], r.get("recycling")), []
        ).append(r)
    rows = []
    for (variant, kind, route, mode, load, recycling), rs in groups.items():
        row = {
            "variant": variant,
            "kind": kind,
            "route": route,
            "mode": mode,
            "load": load,
            "rounds": len(rs),
        }
        if recycling is not None:
            row["recycling"] = recycling
        for f in ("rps", "p50_ms", "p95_ms", "p99_ms", "cpu_used", "rps_per_cpu", "pod_mib_peak"):
            row[f] = med([r[f] for r in rs])
        row["cpu_s_per_1k"] = med([r["cpu_s_per_1k"] for r in rs if r["cpu_s_per_1k"] is not None])
        row["rps_range"] = [min(r["rps"] for r in rs), max(r["rps"] for r in rs)]
        row["p95_range"] = [min(r["p95_ms"] for r in rs), max(r["p95_ms"] for r in rs)]
        row["requests"] = sum(r["requests"] for r in rs)
        row["errors"] = sum(r["errors"] for r in rs)
        rows.append(row)
    return rows


def verdicts(rows: list[dict], variants: list[str], skipped: dict[str, str]) -> list[dict]:
    """The POC's performance criteria from this run: value, target, verdict."""

    def find(variant, route, mode, kind="laravel"):
        return [
            r
            for r in rows
            if (r["variant"], r["route"], r["mode"], r["kind"]) == (variant, route, mode, kind)
        ]

    out = []
    for variant, target in (("fpm", TARGETS["fpm_p95_ms"]), ("swoole", TARGETS["swoole_p95_ms"])):
        cid = f"perf-{variant}-p95"
        if variant in skipped:
            out.append({"criterion": cid, "verdict": "SKIP", "note": skipped[variant]})
            continue
        for r in find(variant, "ping", "open") + find(variant, "tasks-list", "open"):
            out.append(
                {
                    "criterion": cid,
                    "what": f"p95 of {r['route']} at {r['load']} req/s (open loop)",
                    "value_ms": round(r["p95_ms"], 1),
                    "target_ms": target,
                    "verdict": "PASS" if r["p95_ms"] < target else "FAIL",
                }
            )
    if "swoole" in skipped:
        out.append({"criterion": "perf-swoole-vs-fpm", "verdict": "SKIP", "note": skipped["swoole"]})
    else:
        for route in ("ping", "tasks-list"):
            best = {
                v: max(
                    (
                        r["rps_per_cpu"]
                        for r in rows
                        if (r["variant"], r["route"], r["mode"], r["kind"]) == (v, route, "closed", "laravel")
                    ),
                    default=0,
                )
                for v in VARIANTS
            }
            if best["fpm"]:
                ratio = best["swoole"] / best["fpm"]
                out.append(
                    {
                        "criterion": "perf-swoole-vs-fpm",
                        "what": f"best rps per CPU-second on {route}, Swoole / FPM",
                        "value": round(ratio, 2),
                        "target": TARGETS["swoole_vs_fpm_rps_per_cpu"],
                        "verdict": "PASS" if ratio >= TARGETS["swoole_vs_fpm_rps_per_cpu"] else "FAIL",
                    }
                )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="CI smoke: ping, 8 connections, 1 round of 3 s, nothing else"
    )
    parser.add_argument("--out", type=Path)
    parser.add_argument("--variants", default="fpm,swoole")
    parser.add_argument("--routes", default=",".join(ROUTES))
    parser.add_argument("--concurrency", default="1,8,32,128")
    parser.add_argument("--duration", type=float, default=6.0, help="seconds per run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--recycling", default="500,10000,0", help="max_requests values (0 = off)")
    parser.add_argument("--no-open-loop", action="store_true")
    parser.add_argument("--no-ceiling", action="store_true")
    parser.add_argument("--no-recycling", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.routes, args.concurrency, args.duration, args.rounds = "ping", "8", 3.0, 1
        args.no_open_loop = args.no_ceiling = args.no_recycling = True
    routes = [ROUTES[name] for name in args.routes.split(",") if name]
    unknown = set(args.routes.split(",")) - set(ROUTES)
    if unknown:
        parser.error(f"unknown route(s) {sorted(unknown)}: {', '.join(ROUTES)}")
    concurrency = [int(c) for c in args.concurrency.split(",")]
    recycling = [int(v) for v in args.recycling.split(",")]
    out = args.out or ROOT / "benchmarks" / "results" / dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    out.mkdir(parents=True, exist_ok=True)

    variants, skipped = [], {}
    for v in args.variants.split(","):
        if v not in VARIANTS:
            parser.error(f"unknown variant {v!r}: fpm, swoole")
        # capability, not profile (plugins/capabilities.py): Swoole runs wherever its image exists
        reason = Capabilities("any", VARIANTS).variant_skip_reason(v)
        if reason:
            skipped[v] = reason
            log(f"swoole: SKIP ({reason})")
        else:
            variants.append(v)
    for name in ("fpm", "nginx", "redis", "mariadb"):
        if subprocess.run(["docker", "image", "inspect", image(name)], capture_output=True).returncode != 0:
            raise SystemExit(
                f"error: image {image(name)} not built: run scripts/build-images.sh (make build)"
            )

    vegeta = Vegeta(vegeta_binary(), Path(tempfile.mkdtemp(prefix="lks-bench-")))
    meta = {
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "images": {v: image(v) for v in ["fpm", "nginx", *(["swoole"] if "swoole" in variants else [])]},
        "limits": "1 CPU per runtime, proxy included: FPM pod = nginx 0.2 + FPM 0.8 CPU; Swoole pod = 1.0 CPU; 512 MiB",
        "load": f"vegeta {Path(vegeta.binary).parent.name}: closed loop at {concurrency} connections, open loop at half of FPM's best closed-loop rps per route; {args.duration:g} s per run, {args.rounds} interleaved rounds, 10 s request timeout, keep-alive",
        "routes": {r.name: {"method": r.method, "path": r.path, "what": r.what} for r in routes},
        "ceiling": CEILING.what,
        "skipped": skipped,
        "args": vars(args) | {"out": str(out)},
    }
    stack = Stack(f"lks-bench-{uuid.uuid4().hex[:6]}")
    runs: list[dict] = []
    instances: dict[tuple[str, str], Instance] = {}
    try:
        log("Redis, MariaDB, migrations")
        env = app_env(stack.redis(), stack.mariadb()) | {"LOG_LEVEL": "warning", "OCTANE_WORKERS": "1"}
        stack.migrate(env)
        tmp = Path(tempfile.mkdtemp(prefix="lks-bench-hello-"))
        kinds = ["laravel"] + ([] if args.no_ceiling else ["ceiling"])
        for v in variants:
            for kind in kinds:
                log(f"starting {v} {kind}")
                inst = start_instance(stack, v, kind, env, tmp)
                if kind == "laravel" and any(r.session for r in routes):
                    log_in(inst)
                instances[(v, kind)] = inst
                log(f"{v} {kind}: first 200 after {inst.startup_s} s")
        plan = [(kind, route) for kind in kinds for route in ([CEILING] if kind == "ceiling" else routes)]
        for (_, kind), inst in instances.items():  # warm-up: OPcache, autoloaders, connection pools
            for k, route in plan:
                if k == kind:
                    vegeta.run(inst, route, 2, workers=8)
        for rnd in range(1, args.rounds + 1):
            for kind, route in plan:
                for c in concurrency:
                    for v in variants:
                        log(f"round {rnd}/{args.rounds}: {kind} {route.name} c={c} {v}")
                        result = vegeta.run(instances[(v, kind)], route, args.duration, workers=c)
                        runs.append(
                            {
                                "variant": v,
                                "kind": kind,
                                "route": route.name,
                                "mode": "closed",
                                "load": c,
                                "round": rnd,
                            }
                            | result
                        )
        if not args.no_open_loop:
            best = {}
            for kind, route in plan:
                fpm_runs = [
                    r["rps"]
                    for r in runs
                    if (r["variant"], r["kind"], r["route"], r["mode"])
                    == ("fpm" if "fpm" in variants else variants[0], kind, route.name, "closed")
                ]
                best[(kind, route.name)] = max(1, int(max(fpm_runs, default=2) / 2))
            for rnd in range(1, args.rounds + 1):
                for kind, route in plan:
                    rate = best[(kind, route.name)]
                    for v in variants:
                        log(f"round {rnd}/{args.rounds}: {kind} {route.name} open loop {rate}/s {v}")
                        result = vegeta.run(instances[(v, kind)], route, args.duration, rate=rate)
                        runs.append(
                            {
                                "variant": v,
                                "kind": kind,
                                "route": route.name,
                                "mode": "open",
                                "load": rate,
                                "round": rnd,
                            }
                            | result
                        )
        resources = {}
        for (v, kind), inst in instances.items():
            rss = inst.worker_rss_mib() if kind == "laravel" else []
            mem = [m for _, m in inst.memory]
            resources[f"{v}-{kind}"] = {
                "startup_to_first_200_s": inst.startup_s,
                "workers": len(rss),
                "worker_rss_mib_max": round(max(rss), 1) if rss else None,
                "worker_rss_mib_median": round(med(rss), 1) if rss else None,
                "pod_mib_peak": round(max(mem), 1) if mem else None,
                "pod_mib_steady": round(med(mem[-20:]), 1) if mem else None,
            }
        memory_series = {f"{v}-{k}": inst.memory for (v, k), inst in instances.items()}
        for inst in list(instances.values()):
            inst.web.remove()
        if not args.no_recycling:
            ping = ROUTES["ping"]
            for v in variants:
                for value in recycling:
                    knob = "PHP_FPM_PM_MAX_REQUESTS" if v == "fpm" else "OCTANE_MAX_REQUESTS"
                    log(f"recycling: {v} {knob}={value}")
                    inst = start_instance(stack, v, "laravel", env, tmp, {knob: str(value)})
                    vegeta.run(inst, ping, 2, workers=8)
                    for rnd in range(1, args.rounds + 1):
                        result = vegeta.run(inst, ping, args.duration, workers=32)
                        runs.append(
                            {
                                "variant": v,
                                "kind": "laravel",
                                "route": "ping",
                                "mode": "recycling",
                                "load": 32,
                                "recycling": value,
                                "round": rnd,
                            }
                            | result
                        )
                    inst.web.remove()
    finally:
        stack.down()
    rows = summarize(runs)
    data = {
        "meta": meta,
        "summary": rows,
        "resources": resources,
        "verdicts": verdicts(rows, variants, skipped),
        "memory": {
            k: [[round(t - s[0][0], 1), round(m, 1)] for t, m in s] for k, s in memory_series.items() if s
        },
        "runs": runs,
    }
    (out / "results.json").write_text(json.dumps(data, indent=1) + "\n")
    from benchmarks.plots import write_plots, write_table

    write_table(data, out / "results.md")
    write_plots(data, out)
    print((out / "results.md").read_text(), end="")
    log(f"results in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
