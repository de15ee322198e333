#!/usr/bin/env bash
# Demo 3 / criterion fpm-vs-swoole-comparison: benchmark both runtimes under the same CPU and
# memory limits, interleaved rounds, and write a results table + SVG plot.
# Runs the real images on a private Docker network (real Redis and MariaDB); load from `hey`
# on 127.0.0.1 only, bounded in requests (BENCH_REQUESTS) and seconds (BENCH_ROUND_TIMEOUT).
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
#   APP_VERSION          image tag (default: app/VERSION)
#   IMAGE_PREFIX         image repository prefix (default laravel-k8s-showcase, as scripts/build-images.sh)
set -o errexit -o nounset -o pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/common.sh"

BENCH_ENDPOINT="${BENCH_ENDPOINT:-/api/ping}"
BENCH_REQUESTS="${BENCH_REQUESTS:-3000}"
BENCH_CONCURRENCY="${BENCH_CONCURRENCY:-32}"
BENCH_ROUNDS="${BENCH_ROUNDS:-3}"
BENCH_CPUS="${BENCH_CPUS:-1}"
BENCH_MEMORY="${BENCH_MEMORY:-512m}"
BENCH_ROUND_TIMEOUT="${BENCH_ROUND_TIMEOUT:-90}"
APP_VERSION="${APP_VERSION:-$(cat "$REPO_ROOT/app/VERSION")}"
BENCH_OUT="${BENCH_OUT:-$REPO_ROOT/benchmarks/results/$(date -u +%Y%m%dT%H%M%SZ)}"
SWOOLE_OFFLINE_REASON="swoole: extension not installable offline (no PECL/Packagist); run with --profile online"

PREFIX="lks-bench-$$"
NET="$PREFIX"
IMG="${IMAGE_PREFIX:-laravel-k8s-showcase}"
declare -A PORT=()
declare -A SESSION=()  # per runtime: the Cookie header of the benchmark user, when the endpoint needs one

cleanup() {
  local ids
  ids=$(docker ps -aq --filter "name=^${PREFIX}-" 2>/dev/null || true)
  if [ -n "$ids" ]; then
    # shellcheck disable=SC2086
    docker rm -f -v $ids >/dev/null 2>&1 || true
  fi
  docker network rm "$NET" >/dev/null 2>&1 || true
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_healthy() {
  local name="$1" deadline=$(( $(date +%s) + 120 )) status
  while :; do
    status=$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$name")
    case "$status" in
      healthy) return 0 ;;
      exited|dead) docker logs --tail 30 "$name" >&2; die "$name exited while starting" ;;
    esac
    [ "$(date +%s)" -lt "$deadline" ] || { docker logs --tail 30 "$name" >&2; die "$name not healthy within 120 s"; }
    sleep 1
  done
}

app_env() {
  printf '%s\n' -e APP_ENV=production -e APP_DEBUG=false -e LOG_LEVEL=warning \
    -e "APP_KEY=base64:YmVuY2htYXJrLW9ubHktbm90LWEtc2VjcmV0LWtleSE=" \
    -e DB_HOST=db -e DB_DATABASE=laravel -e DB_USERNAME=laravel -e DB_PASSWORD=bench-only \
    -e REDIS_HOST=redis
}

start_dependencies() {
  docker network create "$NET" >/dev/null
  # a private network only the benchmark uses: no Redis password (the upstream image of the
  # online profile ignores REDIS_PASSWORD)
  docker run -d --name "$PREFIX-redis" --network "$NET" --network-alias redis "$IMG/redis:7" >/dev/null
  docker run -d --name "$PREFIX-db" --network "$NET" --network-alias db \
    -e MARIADB_DATABASE=laravel -e MARIADB_USER=laravel -e MARIADB_PASSWORD=bench-only \
    -e MARIADB_ROOT_PASSWORD=bench-only-root "$IMG/mariadb:11" >/dev/null
  wait_healthy "$PREFIX-redis"
  wait_healthy "$PREFIX-db"
  # shellcheck disable=SC2046
  docker run --rm --name "$PREFIX-migrate" --network "$NET" $(app_env) \
    "$IMG/fpm:$APP_VERSION" php artisan migrate --force --no-interaction >/dev/null
}

start_fpm() {
  PORT[fpm]=$(free_port)
  # shellcheck disable=SC2046
  docker run -d --name "$PREFIX-fpm" --network "$NET" --network-alias fpm --cpus "$BENCH_CPUS" \
    --memory "$BENCH_MEMORY" $(app_env) -e PHP_FPM_LISTEN=9000 "$IMG/fpm:$APP_VERSION" >/dev/null
  docker run -d --name "$PREFIX-nginx" --network "$NET" --cpus 0.25 --memory 64m \
    -e PHP_FPM_ADDR=fpm:9000 -p "127.0.0.1:${PORT[fpm]}:8080" "$IMG/nginx:$APP_VERSION" >/dev/null
  wait_healthy "$PREFIX-fpm"
  wait_healthy "$PREFIX-nginx"
}

start_swoole() {
  PORT[swoole]=$(free_port)
  # shellcheck disable=SC2046
  docker run -d --name "$PREFIX-swoole" --network "$NET" --cpus "$BENCH_CPUS" --memory "$BENCH_MEMORY" \
    $(app_env) -e OCTANE_WORKERS="$BENCH_CPUS" -p "127.0.0.1:${PORT[swoole]}:8000" \
    "$IMG/swoole:$APP_VERSION" >/dev/null
  wait_healthy "$PREFIX-swoole"
}

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
  base="http://127.0.0.1:${PORT[$variant]}"
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

containers_of() { if [ "$1" = fpm ]; then echo "$PREFIX-fpm $PREFIX-nginx"; else echo "$PREFIX-swoole"; fi; }

run_round() {
  local variant="$1" round="$2" url out t0 t1 c0=0 c1=0 c mem=0
  url="http://127.0.0.1:${PORT[$variant]}${BENCH_ENDPOINT}"
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
  command -v hey >/dev/null 2>&1 || apt_install hey
  docker image inspect "$IMG/fpm:$APP_VERSION" "$IMG/nginx:$APP_VERSION" "$IMG/redis:7" "$IMG/mariadb:11" >/dev/null 2>&1 \
    || die "images not built: run scripts/build-images.sh"
  trap cleanup EXIT
  mkdir -p "$BENCH_OUT"
  local rounds="$BENCH_OUT/rounds.jsonl" variants=(fpm) r v
  printf '{"meta": true, "endpoint": "%s", "limits": "%s CPU / %s per runtime (+0.25 CPU nginx for FPM)", "load": "hey -n %s -c %s, %s interleaved rounds"}\n' \
    "$BENCH_ENDPOINT" "$BENCH_CPUS" "$BENCH_MEMORY" "$BENCH_REQUESTS" "$BENCH_CONCURRENCY" "$BENCH_ROUNDS" >"$rounds"
  log "starting Redis, MariaDB and migrations"
  start_dependencies
  log "starting FPM + nginx"
  start_fpm
  if docker image inspect "$IMG/swoole:$APP_VERSION" >/dev/null 2>&1; then
    log "starting Octane/Swoole"
    start_swoole
    variants+=(swoole)
  else
    log "swoole image absent: $SWOOLE_OFFLINE_REASON"
    printf '{"variant": "swoole", "skipped": "%s"}\n' "$SWOOLE_OFFLINE_REASON" >>"$rounds"
  fi
  local -a auth=()
  for v in "${variants[@]}"; do  # warm-up: OPcache, autoloader, connections
    log_in_if_needed "$v"
    mapfile -t auth < <(auth_args "$v")
    timeout 60 hey -n 200 -c 8 "${auth[@]}" "http://127.0.0.1:${PORT[$v]}${BENCH_ENDPOINT}" >/dev/null || die "warm-up of $v failed"
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
