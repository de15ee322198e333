#!/bin/sh
# Swoole/Octane entrypoint: a small supervisor around Octane's bin/swoole-server.
#   swoole-entrypoint          cache config and routes for this environment, write Octane's server
#                              state file, start the Swoole master and stop it gracefully on SIGTERM
#   swoole-entrypoint health   the image's HEALTHCHECK: GET /health on 127.0.0.1, bounded
#
# Graceful stop (STOPSIGNAL SIGTERM), in Swoole's own terms, in two steps:
#   1. create $OCTANE_STOP_FILE and send SIGTERM to Swoole's manager and its task workers: the
#      manager stops the HTTP workers, each after its running request (reload_async; max_wait_time
#      at most), and exits; the first process that stops (a task worker: idle, and the manager
#      would stop it last) shuts the listening socket down, so new connections are refused from
#      then on (App\Octane\RefuseConnectionsOnStop); the master keeps relaying the responses.
#   2. then SIGTERM to the master, which now has nothing left to wait for and exits (after
#      OCTANE_MASTER_EXIT_WAIT seconds it is killed: only a timer in the master, e.g. Octane's
#      max_execution_time watchdog, can keep it up); this script exits with the master's status.
# Why not SIGTERM to the master alone: in process mode the master stops reading the workers' pipes
# and closes the client connections when its own event loop ends, which happens at once (measured:
# the in-flight request's client got an empty reply while its worker still finished with 200), or
# never while a timer is pending (Octane's tick / max_execution_time: the master outlived Docker's
# 30 s). And `octane:start` answers SIGTERM with SIGKILL for master, manager and workers (Octane 2.x,
# TRAPS.md 3) and relays the workers' output as console text: not used.
#
# Logs: the workers write the app's JSON lines (the access log included) to stderr directly. The
# server's stdout carries only Octane's console stream meant for `octane:start` (one line per request
# in the local/testing environments, not log records): discarded.
#
# Every count comes from env, never from the host's CPU count (trap: Swoole's swoole_cpu_num() sees
# the node's cores, not the pod's limit):
#   OCTANE_HOST (0.0.0.0) OCTANE_PORT (8000) OCTANE_WORKERS (the CPU limit, cpu-limit)
#   OCTANE_TASK_WORKERS (1) OCTANE_MAX_REQUESTS (10000; 0 = never recycle)
#   OCTANE_STOP_FILE (/app/storage/framework/octane-stopping) OCTANE_MASTER_EXIT_WAIT (3)
set -eu

: "${OCTANE_HOST:=0.0.0.0}" "${OCTANE_PORT:=8000}" "${OCTANE_TASK_WORKERS:=1}"
: "${OCTANE_WORKERS:=$(cpu-limit)}"
: "${OCTANE_MAX_REQUESTS:=10000}"
: "${OCTANE_STOP_FILE:=/app/storage/framework/octane-stopping}" "${OCTANE_MASTER_EXIT_WAIT:=3}"
export OCTANE_HOST OCTANE_PORT OCTANE_WORKERS OCTANE_TASK_WORKERS OCTANE_MAX_REQUESTS OCTANE_STOP_FILE

if [ "${1:-}" = health ]; then
  # shellcheck disable=SC2016 # PHP code: its $variables are PHP's, not the shell's
  exec timeout 4 php -d opcache.enable_cli=0 -r '
    $ctx = stream_context_create(["http" => ["timeout" => 3, "ignore_errors" => true]]);
    $body = @file_get_contents("http://127.0.0.1:" . getenv("OCTANE_PORT") . "/health", false, $ctx);
    exit($body !== false && str_starts_with($http_response_header[0] ?? "", "HTTP/1.1 200") ? 0 : 1);'
fi

# bootstrap/cache and storage must be writable (emptyDirs under readOnlyRootFilesystem); an
# emptyDir outlives a container restart: a stop file left by the previous container must go
rm -f "$OCTANE_STOP_FILE"
php artisan config:cache --no-interaction >/dev/null
php artisan route:cache --no-interaction >/dev/null

state=$(php artisan app:octane-state --no-interaction --host="$OCTANE_HOST" --port="$OCTANE_PORT" \
  --workers="$OCTANE_WORKERS" --task-workers="$OCTANE_TASK_WORKERS" --max-requests="$OCTANE_MAX_REQUESTS")

cd /app/vendor/laravel/octane/bin
APP_BASE_PATH=/app LARAVEL_OCTANE=1 php swoole-server "$state" >/dev/null &
master=$!

stopping=0
trap 'stopping=1' TERM INT

# pid of Swoole's manager, from the state file (OnServerStart writes it once the server runs)
manager_pid() {
  sed -n 's/.*"managerProcessId": *\([0-9][0-9]*\).*/\1/p' "$state" 2>/dev/null
}

# wait_gone PID SECONDS: until the process is gone, at most SECONDS; false if it is still there
wait_gone() {
  n=$(( $2 * 10 ))
  while kill -0 "$1" 2>/dev/null; do
    [ "$n" -gt 0 ] || return 1
    n=$(( n - 1 ))
    sleep 0.1
  done
}

# task_workers PID: the pids of PID's children that are Swoole task workers (their process title)
task_workers() {
  for stat in /proc/[0-9]*/stat; do
    read -r pid _ _ ppid _ <"$stat" 2>/dev/null || continue
    [ "$ppid" = "$1" ] || continue
    case "$(tr '\000' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" in
      *"task worker"*) printf '%s\n' "$pid" ;;
    esac
  done
}

graceful_stop() {
  : >"$OCTANE_STOP_FILE"
  manager=$(manager_pid)
  if [ -n "$manager" ]; then
    for pid in $(task_workers "$manager"); do kill -TERM "$pid" 2>/dev/null || true; done
  fi
  if [ -n "$manager" ] && kill -TERM "$manager" 2>/dev/null; then
    wait_gone "$manager" "$(( ${OCTANE_MAX_WAIT_TIME:-20} + 5 ))" || true
  fi
  kill -TERM "$master" 2>/dev/null || return 0
  wait_gone "$master" "$OCTANE_MASTER_EXIT_WAIT" || kill -KILL "$master" 2>/dev/null || true
}

# `wait` returns early when a trapped signal arrives: stop, then wait again for the master's status
status=0
while :; do
  if wait "$master"; then status=0; else status=$?; fi
  if [ "$stopping" = 1 ] && kill -0 "$master" 2>/dev/null; then
    graceful_stop
    wait "$master" 2>/dev/null && status=0 || status=$?
    # killed by the fallback above (a timer held the master up) after every worker had finished
    [ "$status" -ne 137 ] || status=0
    break
  fi
  kill -0 "$master" 2>/dev/null || break
done
exit "$status"
