"""FPM tuning steps, each measured against the image as shipped (make bench-tuning): the same
stack, limits and load as benchmarks/bench.py, one knob changed at a time.

    .venv/bin/python -m benchmarks.tuning --out DIR [--routes ping,tasks-list] [--concurrency 8]
        [--duration S] [--rounds N]

Steps (a fresh FPM instance each, warm-up, then --rounds interleaved rounds, medians):
- shipped:        as the image runs in production (dynamic pm, preload on, JIT off, no FastCGI
                  keepalive: docs/SWOOLE-VS-FPM.md says why each)
- preload off:    PHP_OPCACHE_PRELOAD= (what preloading is worth, the other way round)
- pm static:      PHP_FPM_PM=static (every child forked at start, none forked under load)
- JIT tracing:    opcache.jit=tracing with a 64 MiB buffer (an extra ini file in conf.d)
Besides the numbers, the preload coverage of the shipped image: opcache_get_status()'s
preload_statistics, read inside the pool through FastCGI (suite/fastcgi.py).

Writes DIR/tuning.json and rewrites DIR/results.md (benchmarks/plots.py adds the "Tuning
steps" section when tuning.json is there). A step whose gain is within the rounds' range is
noise: the shipped default stays (the table says which).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import uuid
from pathlib import Path

from benchmarks.bench import ROUTES, Vegeta, log, log_in, med, start_instance, vegeta_binary
from suite import fastcgi
from suite.stack import Stack, app_env

JIT_INI = "opcache.jit = tracing\nopcache.jit_buffer_size = 64M\n"
PRELOAD_PHP = """<?php
header('Content-Type: application/json');
$s = opcache_get_status(false);
$p = $s['preload_statistics'] ?? [];
echo json_encode([
    'functions' => count($p['functions'] ?? []),
    'classes' => count($p['classes'] ?? []),
    'scripts' => count($p['scripts'] ?? []),
    'memory_mib' => round(($p['memory_consumption'] ?? 0) / 1048576, 1),
    'cached_scripts' => $s['opcache_statistics']['num_cached_scripts'] ?? null,
    'jit' => $s['jit']['on'] ?? false,
]);
"""
STEPS = {
    "shipped": ({}, None),
    "preload off": ({"PHP_OPCACHE_PRELOAD": ""}, None),
    "pm static": ({"PHP_FPM_PM": "static"}, None),
    "JIT tracing": ({}, JIT_INI),
}


def opcache_state(instance, script: str) -> dict:
    status, _, body = fastcgi.request(instance.web.containers["fpm"], "GET", "/opcache", script=script)
    if status != 200:
        raise SystemExit(f"error: reading opcache_get_status() in the pool: {status} {body[:200]}")
    return json.loads(body)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.tuning", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="the results folder of a bench.py run")
    parser.add_argument("--routes", default="ping,tasks-list")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--duration", type=float, default=6.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    unknown = set(args.routes.split(",")) - set(ROUTES)
    if unknown:
        parser.error(f"unknown route(s) {sorted(unknown)}: {', '.join(ROUTES)}")
    routes = [ROUTES[n] for n in args.routes.split(",")]
    args.out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="lks-bench-tuning-"))
    (tmp / "opcache-status.php").write_text(PRELOAD_PHP)
    (tmp / "jit.ini").write_text(JIT_INI)
    for f in tmp.iterdir():
        f.chmod(0o644)
    vegeta = Vegeta(vegeta_binary(), tmp)
    stack = Stack(f"lks-tuning-{uuid.uuid4().hex[:6]}")
    runs, states = [], {}
    try:
        log("Redis, MariaDB, migrations")
        env = app_env(stack.redis(), stack.mariadb()) | {"LOG_LEVEL": "warning"}
        stack.migrate(env)
        instances = {}
        for name, (extra, ini) in STEPS.items():
            volumes = [(str(tmp / "opcache-status.php"), "/bench/opcache-status.php", "ro")]
            if ini:
                volumes.append((str(tmp / "jit.ini"), "/etc/php/8.4/fpm/conf.d/99-bench.ini", "ro"))
            log(f"starting fpm: {name}")
            inst = start_instance(stack, "fpm", "laravel", env, tmp, extra, {"volumes": volumes})
            if any(r.session for r in routes):
                log_in(inst)
            for route in routes:
                vegeta.run(inst, route, 2, workers=args.concurrency)  # warm-up
            states[name] = opcache_state(inst, "/bench/opcache-status.php")
            instances[name] = inst
        for rnd in range(1, args.rounds + 1):
            for route in routes:
                for name, inst in instances.items():
                    log(f"round {rnd}/{args.rounds}: {route.name} c={args.concurrency} {name}")
                    result = vegeta.run(inst, route, args.duration, workers=args.concurrency)
                    runs.append(
                        {"step": name, "route": route.name, "load": args.concurrency, "round": rnd} | result
                    )
    finally:
        stack.down()
    summary = []
    for route in routes:
        base = None
        for name in STEPS:
            rs = [r for r in runs if (r["step"], r["route"]) == (name, route.name)]
            row = {
                "step": name,
                "route": route.name,
                "load": args.concurrency,
                "rps": med([r["rps"] for r in rs]),
                "rps_per_cpu": med([r["rps_per_cpu"] for r in rs]),
                "rps_per_cpu_range": [min(r["rps_per_cpu"] for r in rs), max(r["rps_per_cpu"] for r in rs)],
                "p95_ms": med([r["p95_ms"] for r in rs]),
                "errors": sum(r["errors"] for r in rs),
                "requests": sum(r["requests"] for r in rs),
            }
            if name == "shipped":
                base = row
            else:
                row["gain_pct"] = 100 * (row["rps_per_cpu"] / base["rps_per_cpu"] - 1)
                # beyond noise only when the ranges of the rounds do not overlap
                lo, hi = row["rps_per_cpu_range"]
                blo, bhi = base["rps_per_cpu_range"]
                row["beyond_noise"] = lo > bhi or hi < blo
            summary.append(row)
    data = {
        "meta": {
            "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "load": f"vegeta closed loop at {args.concurrency} connections, {args.duration:g} s per run, {args.rounds} interleaved rounds; limits as bench.py (nginx 0.2 + FPM 0.8 CPU)",
            "steps": {n: {"env": e, "ini": i} for n, (e, i) in STEPS.items()},
        },
        "opcache": states,
        "summary": summary,
        "runs": runs,
    }
    from benchmarks.plots import write_section

    write_section(args.out, "tuning.json", data)
    log(f"tuning results in {args.out / 'tuning.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
