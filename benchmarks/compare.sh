#!/usr/bin/env bash
# Demo 3 / criterion fpm-vs-swoole-comparison: benchmark both runtimes under the same CPU and
# memory limits, interleaved rounds, and write a results table + SVG plot.
# Runs the real images on a private Docker network (real Redis and MariaDB, migrated), started
# by the one Docker stack of the suite (`python -m suite.stack`, suite/stack.py: the app gets the
# fpm overlay's environment); load from `hey` on 127.0.0.1 only, bounded in requests
# (BENCH_REQUESTS) and seconds (BENCH_ROUND_TIMEOUT). Needs the suite's venv (make setup).
#   BENCH_ENDPOINT       reference endpoint (default /api/ping). One that needs a session (answers 401
#                        to a guest, e.g. /api/tasks) is benchmarked as a logged-in user: a user is
#                        registered on each runtime first and hey sends its session cookie
#   BENCH_REQUESTS       requests per round (default 3000)
#   BENCH_CONCURRENCY    concurrent connections (default 32)
#   BENCH_ROUNDS         interleaved rounds per variant (default 3)
#   BENCH_CPUS           CPU limit of each runtime (default 1; the FPM pod's nginx gets 0.25 more, reported)
#   BENCH_MEMORY         memory limit of each runtime (default 512m)
#   BENCH_ROUND_TIMEOUT  hard stop for one round in seconds (default 90)
#   BENCH_OUT            results directory (default benchmarks/results/<UTC timestamp>)
#   IMAGE_PREFIX         image repository prefix (default laravel-k8s-showcase, as scripts/build-images.sh)
set -o errexit -o nounset -o pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/common.sh"

settings BENCH_ENDPOINT=/api/ping BENCH_REQUESTS=3000 BENCH_CONCURRENCY=32 BENCH_ROUNDS=3 BENCH_CPUS=1 \
  BENCH_MEMORY=512m BENCH_ROUND_TIMEOUT=90 \
  BENCH_OUT="$REPO_ROOT/benchmarks/results/$(date -u +%Y%m%dT%H%M%SZ)"

STACK_NAME="lks-bench-$$"
PYTHON="${LKS_PYTHON:-$REPO_ROOT/.venv/bin/python}"
declare -A BASE=()     # per runtime: http://127.0.0.1:PORT
declare -A SESSION=()  # per runtime: the Cookie header of the benchmark user, when the endpoint needs one

suite() { (cd "$REPO_ROOT" && "$PYTHON" -m "$@"); }
cleanup() { suite suite.stack down "$STACK_NAME" || true; }

# cgroup v1 (cgroupfs driver) or v2 accounting of a container, read from the host
cpu_ns() {
  local id; id=$(docker inspect -f '{{.Id}}' "$1")
  if [ -r "/sys/fs/cgroup/cpuacct/docker/$id/cpuacct.usage" ]; then
    cat "/sys/fs/cgroup/cpuacct/docker/$id/cpuacct.usage"
  else
    awk '/^usage_usec/ {print $2 * 1000}' "/sys/fs/cgroup/system.slice/docker-$id.scope/cpu.stat"
  fi
}
mem_bytes() {
  local id; id=$(docker inspect -f '{{.Id}}' "$1")
  if [ -r "/sys/fs/cgroup/memory/docker/$id/memory.usage_in_bytes" ]; then
    cat "/sys/fs/cgroup/memory/docker/$id/memory.usage_in_bytes"
  else
    cat "/sys/fs/cgroup/system.slice/docker-$id.scope/memory.current"
  fi
}

# Log a benchmark user in on `variant` when the endpoint refuses guests (401): registered through
# the API like any client, its session (in Redis) then rides on every benchmark request. Reads
# only: hey sends GETs, which need no CSRF token.
log_in_if_needed() {
  local variant="$1" base status jar value
  base=${BASE[$variant]}
  status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -H 'Accept: application/json' "$base$BENCH_ENDPOINT")
  [ "$status" = 401 ] || return 0
  jar="$BENCH_OUT/.cookies-$variant"
  status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -c "$jar" \
    -H 'Accept: application/json' -H 'Content-Type: application/json' \
    -d "{\"name\":\"Benchmark\",\"email\":\"bench-$variant-$$@example.test\",\"password\":\"bench-only-password\"}" \
    "$base/api/auth/register")
  [ "$status" = 201 ] || die "registering the benchmark user on $variant answered $status"
  value=$(awk '$6 == "lks_session" {print $7}' "$jar")
  rm -f "$jar"
  [ -n "$value" ] || die "no session cookie from $variant"
  SESSION[$variant]="Cookie: lks_session=$value"
  log "$BENCH_ENDPOINT needs a session: benchmarking $variant as a logged-in user"
}

# hey's header arguments for `variant` (none for a public endpoint)
auth_args() { if [ -n "${SESSION[$1]:-}" ]; then printf '%s\n' -H "${SESSION[$1]}"; fi; }

containers_of() { suite suite.stack containers "$STACK_NAME" "$1"; }

run_round() {
  local variant="$1" round="$2" url out t0 t1 c0=0 c1=0 c mem=0
  url="${BASE[$variant]}${BENCH_ENDPOINT}"
  for c in $(containers_of "$variant"); do c0=$((c0 + $(cpu_ns "$c"))); done
  t0=$(date +%s%N)
  local -a auth=()
  mapfile -t auth < <(auth_args "$variant")
  out=$(timeout "$BENCH_ROUND_TIMEOUT" hey -n "$BENCH_REQUESTS" -c "$BENCH_CONCURRENCY" -t 10 "${auth[@]}" "$url") \
    || die "round $round of $variant did not finish within ${BENCH_ROUND_TIMEOUT} s"
  t1=$(date +%s%N)
  for c in $(containers_of "$variant"); do c1=$((c1 + $(cpu_ns "$c"))); mem=$((mem + $(mem_bytes "$c"))); done
  HEY_OUT="$out" python3 - "$variant" "$round" "$BENCH_REQUESTS" "$(( c1 - c0 ))" "$(( t1 - t0 ))" "$mem" <<'PY'
import json, os, re, sys
variant, rnd, _requested, cpu_ns, wall_ns, mem = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
out = os.environ["HEY_OUT"]
def pct(p):
    m = re.search(rf"\s{p}%+ in ([\d.]+) secs", out)
    return float(m.group(1)) * 1000 if m else float("nan")
status = {code: int(n) for code, n in re.findall(r"\[(\d{3})\]\s+(\d+) responses", out)}
failures = re.findall(r"\[(\d+)\]\s+(.+)", out.split("Error distribution:", 1)[1]) if "Error distribution:" in out else []
ok = sum(n for code, n in status.items() if code.startswith(("2", "3")))
sent = sum(status.values()) + sum(int(n) for n, _ in failures)  # hey sends -n rounded down to a multiple of -c
print(json.dumps({
    "variant": variant, "round": rnd, "requests": sent,
    "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
    "p50_ms": pct(50), "p95_ms": pct(95), "p99_ms": pct(99),
    "errors": sent - ok, "status": status, "error_kinds": failures[:5],
    "cpu_pct": 100.0 * cpu_ns / wall_ns, "mem_mib": mem / 1048576,
}))
PY
}

main() {
  need docker "run scripts/docker-up.sh"
  [ -x "$PYTHON" ] || die "$PYTHON not found: run make setup (the suite's venv runs the Docker stack)"
  command -v hey >/dev/null 2>&1 || apt_install hey
  local image
  for image in fpm nginx redis mariadb; do
    docker image inspect "$(suite suite.project image "$image")" >/dev/null 2>&1 \
      || die "images not built: run scripts/build-images.sh"
  done
  trap cleanup EXIT
  mkdir -p "$BENCH_OUT"
  local rounds="$BENCH_OUT/rounds.jsonl" variants=(fpm) r v
  printf '{"meta": true, "endpoint": "%s", "limits": "%s CPU / %s per runtime (+0.25 CPU nginx for FPM)", "load": "hey -n %s -c %s, %s interleaved rounds"}\n' \
    "$BENCH_ENDPOINT" "$BENCH_CPUS" "$BENCH_MEMORY" "$BENCH_REQUESTS" "$BENCH_CONCURRENCY" "$BENCH_ROUNDS" >"$rounds"
  if docker image inspect "$(suite suite.project image swoole)" >/dev/null 2>&1; then
    variants+=(swoole)
  else
    local reason
    reason=$(suite suite.project swoole-reason)
    log "swoole image absent: $reason"
    printf '{"variant": "swoole", "skipped": "%s"}\n' "$reason" >>"$rounds"
  fi
  log "starting Redis, MariaDB, migrations and ${variants[*]} (suite.stack $STACK_NAME)"
  # the FPM pod's nginx gets 0.25 CPU / 64 MiB beside FPM's limits; Octane one worker per CPU
  suite suite.stack up "$STACK_NAME" "${variants[@]}" --cpus "$BENCH_CPUS" --memory "$BENCH_MEMORY" \
    --nginx-cpus 0.25 --nginx-memory 64m --env LOG_LEVEL=warning --env "OCTANE_WORKERS=$BENCH_CPUS" >/dev/null \
    || die "the Docker stack did not come up (suite.stack above)"
  local -a auth=()
  for v in "${variants[@]}"; do  # warm-up: OPcache, autoloader, connections
    BASE[$v]=$(suite suite.stack url "$STACK_NAME" "$v")
    log_in_if_needed "$v"
    mapfile -t auth < <(auth_args "$v")
    timeout 60 hey -n 200 -c 8 "${auth[@]}" "${BASE[$v]}${BENCH_ENDPOINT}" >/dev/null || die "warm-up of $v failed"
  done
  for r in $(seq 1 "$BENCH_ROUNDS"); do
    for v in "${variants[@]}"; do
      log "round $r/$BENCH_ROUNDS: $v"
      run_round "$v" "$r" >>"$rounds"
    done
  done
  python3 "$REPO_ROOT/benchmarks/report.py" "$rounds" "$BENCH_OUT"
  log "results in $BENCH_OUT (results.md, results.svg, results.json)"
}

main "$@"
