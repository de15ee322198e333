#!/bin/sh
# Swoole/Octane entrypoint: cache config for this environment, then exec Octane so PID 1 gets
# the stop signal. Every count comes from env, never from the host's CPU count (trap: Swoole's
# swoole_cpu_num() sees the node's cores, not the pod's limit).
#   OCTANE_HOST (0.0.0.0) OCTANE_PORT (8000) OCTANE_WORKERS (derived from the CPU limit)
#   OCTANE_TASK_WORKERS (1) OCTANE_MAX_REQUESTS (see config/octane.php)
set -eu

: "${OCTANE_HOST:=0.0.0.0}" "${OCTANE_PORT:=8000}" "${OCTANE_TASK_WORKERS:=1}"
: "${OCTANE_WORKERS:=$(cpu-limit)}"
: "${OCTANE_MAX_REQUESTS:=10000}"
export OCTANE_HOST OCTANE_PORT OCTANE_WORKERS OCTANE_TASK_WORKERS OCTANE_MAX_REQUESTS

# bootstrap/cache must be writable (emptyDir under readOnlyRootFilesystem)
php artisan config:cache --no-interaction >/dev/null
php artisan route:cache --no-interaction >/dev/null

exec php artisan octane:start --server=swoole --host="$OCTANE_HOST" --port="$OCTANE_PORT" \
  --workers="$OCTANE_WORKERS" --task-workers="$OCTANE_TASK_WORKERS" --max-requests="$OCTANE_MAX_REQUESTS" "$@"
