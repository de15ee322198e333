#!/bin/sh
# Entrypoint of the fpm and worker images (laravel-k8s-showcase/fpm, /worker), both flavours:
# Debian (app/docker/offline/Dockerfile, default) and Alpine (app/Dockerfile.fpm). POSIX sh (Alpine
# has no bash; `shellcheck -s sh`, tests/static/test_image_recipes.py).
#  1. sizes the FPM pool from the container memory limit (formula in app/php-fpm.conf);
#  2. caches the configuration: config:cache bakes the environment, so it runs here, at container
#     start, into the writable bootstrap/cache (routes are cached at build time; re-cached here
#     only if an emptyDir hides them);
#  3. execs the command, so PID 1 is php-fpm / queue:work and receives the stop signal itself.
# Migrations never run here: they are a separate step (Kubernetes Job / `php artisan migrate`).
# Settings (env):
#   PHP_FPM_PM_MAX_CHILDREN   fixed pool size; unset = derived from the memory limit
#   PHP_FPM_CHILD_MB          average worker RSS used by the formula (default 48)
#   PHP_FPM_RESERVED_MB       memory kept for the master, OPcache/APCu and headroom (default 192)
#   PHP_FPM_MAX_CHILDREN_CAP  upper bound of the formula (default 32)
#   PHP_FPM_DEFAULT_MEMORY_MB memory assumed when the container has no limit (default 512)
#   PHP_MEMORY_LIMIT_MAX_MB   upper bound of the per-child memory_limit (default 128); the entrypoint
#                             sets memory_limit = min(this, (limit - reserved) / max_children)
#   PHP_FPM_MEMORY_LIMIT      explicit per-child memory_limit (e.g. 96M), overrides the formula
#   CONFIG_CACHE_ON_START     "false" skips config:cache (local development). Not APP_CONFIG_CACHE:
#                             Laravel reads that one as the path of the cached config file
#   PHP_OPCACHE_PRELOAD       preload script for FPM (default /app/bootstrap/preload.php, empty = off)
set -eu

json_log() { # level message
  printf '{"time":"%s","level":"%s","message":"%s","channel":"entrypoint"}\n' \
    "$(date -u +%Y-%m-%dT%H:%M:%S.000000+00:00)" "$1" "$(printf '%s' "$2" | sed 's/\\/\\\\/g; s/"/\\"/g')" >&2
}

memory_limit_mb() {
  raw=""
  if [ -r /sys/fs/cgroup/memory.max ]; then
    raw=$(cat /sys/fs/cgroup/memory.max)
  elif [ -r /sys/fs/cgroup/memory/memory.limit_in_bytes ]; then
    raw=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)
  fi
  # "max" (v2) or a huge number (v1) means no limit
  case "$raw" in
    '' | *[!0-9]*) raw=max ;;
  esac
  if [ "$raw" != max ] && [ "$raw" -lt $((1 << 40)) ]; then
    echo $((raw / 1024 / 1024))
  else
    echo "${PHP_FPM_DEFAULT_MEMORY_MB:-512}"
  fi
}

# The pool-sizing formula (docs/APP.md, the fpm-sizing block) for a memory limit in MB. Sets the
# fpm_* shell variables (not exported: the environment is untouched); reads the PHP_FPM_* settings
# above. The static tier runs this very function (tests/static/fpm_sizing.py), so the docs, the
# manifests and the container are checked against one implementation.
fpm_pool_sizing() { # MEMORY_MB
  # POSIX sh has no `local`: the helpers are _fpm_* (the fpm_* results are what callers read)
  _fpm_cap=${PHP_FPM_MAX_CHILDREN_CAP:-32}
  _fpm_per_child_cap=${PHP_MEMORY_LIMIT_MAX_MB:-128}
  fpm_memory_mb=$1
  fpm_child_mb=${PHP_FPM_CHILD_MB:-48}
  fpm_reserved_mb=${PHP_FPM_RESERVED_MB:-192}
  if [ -n "${PHP_FPM_PM_MAX_CHILDREN:-}" ]; then
    fpm_max_children=$PHP_FPM_PM_MAX_CHILDREN
  else
    fpm_max_children=$(( (fpm_memory_mb - fpm_reserved_mb) / fpm_child_mb ))
    [ "$fpm_max_children" -ge 2 ] || fpm_max_children=2
    [ "$fpm_max_children" -le "$_fpm_cap" ] || fpm_max_children=$_fpm_cap
  fi
  # every child at its memory_limit must fit beside the reserved memory: a runaway request then
  # fails with "Allowed memory size exhausted" instead of the whole pod being OOM-killed
  _fpm_per_child=$(( (fpm_memory_mb - fpm_reserved_mb) / fpm_max_children ))
  [ "$_fpm_per_child" -le "$_fpm_per_child_cap" ] || _fpm_per_child=$_fpm_per_child_cap
  if [ "$_fpm_per_child" -lt 32 ]; then
    json_log warning "memory limit ${fpm_memory_mb} MB is too small for ${fpm_max_children} children beside ${fpm_reserved_mb} MB reserved: memory_limit 32M, the pod may be OOM-killed"
    _fpm_per_child=32
  fi
  fpm_memory_limit=${PHP_FPM_MEMORY_LIMIT:-${_fpm_per_child}M}
  fpm_start_servers=${PHP_FPM_PM_START_SERVERS:-$(( fpm_max_children / 5 > 1 ? fpm_max_children / 5 : 1 ))}
  fpm_min_spare_servers=${PHP_FPM_PM_MIN_SPARE_SERVERS:-$fpm_start_servers}
  fpm_max_spare_servers=${PHP_FPM_PM_MAX_SPARE_SERVERS:-$(( fpm_max_children * 7 / 10 > fpm_start_servers ? fpm_max_children * 7 / 10 : fpm_start_servers ))}
}

size_fpm_pool() {
  mem=$(memory_limit_mb)
  fpm_pool_sizing "$mem"
  export PHP_FPM_PM_MAX_CHILDREN="$fpm_max_children"
  export PHP_FPM_MEMORY_LIMIT="$fpm_memory_limit"
  export PHP_FPM_PM_START_SERVERS="$fpm_start_servers"
  export PHP_FPM_PM_MIN_SPARE_SERVERS="$fpm_min_spare_servers"
  export PHP_FPM_PM_MAX_SPARE_SERVERS="$fpm_max_spare_servers"
  json_log info "fpm pool: memory ${mem} MB, child ${fpm_child_mb} MB, reserved ${fpm_reserved_mb} MB -> pm.max_children ${fpm_max_children}, memory_limit ${fpm_memory_limit}, start ${fpm_start_servers}, spare ${fpm_min_spare_servers}..${fpm_max_spare_servers}"
}

cache_config() {
  [ "${CONFIG_CACHE_ON_START:-true}" != "false" ] || return 0
  if ! out=$(php /app/artisan config:cache 2>&1); then
    json_log warning "config:cache failed, serving uncached: $(printf '%s' "$out" | tr '\n' ' ' | cut -c1-300)"
    return 0
  fi
  if [ ! -f /app/bootstrap/cache/routes-v7.php ] && ! out=$(php /app/artisan route:cache 2>&1); then
    json_log warning "route:cache failed: $(printf '%s' "$out" | tr '\n' ' ' | cut -c1-300)"
  fi
}

main() {
  export PHP_FPM_LISTEN="${PHP_FPM_LISTEN:-9000}"
  export PHP_FPM_PM="${PHP_FPM_PM:-dynamic}"
  export PHP_FPM_PM_MAX_REQUESTS="${PHP_FPM_PM_MAX_REQUESTS:-1000}"
  export PHP_FPM_REQUEST_TERMINATE_TIMEOUT="${PHP_FPM_REQUEST_TERMINATE_TIMEOUT:-60s}"
  export PHP_FPM_SLOWLOG_TIMEOUT="${PHP_FPM_SLOWLOG_TIMEOUT:-5s}"
  export PHP_FPM_PROCESS_CONTROL_TIMEOUT="${PHP_FPM_PROCESS_CONTROL_TIMEOUT:-30s}"
  export PHP_FPM_LOG_LEVEL="${PHP_FPM_LOG_LEVEL:-warning}"
  # opcache.preload (php.ini); PHP_OPCACHE_PRELOAD= (empty) turns it off
  export PHP_OPCACHE_PRELOAD="${PHP_OPCACHE_PRELOAD-/app/bootstrap/preload.php}"
  # the pool is sized only where FPM runs (not for artisan commands, the worker or the migrations Job)
  case "${1:-}" in
    *php-fpm*) size_fpm_pool ;;
  esac
  cache_config
  exec "$@"
}

# run only as the image's entrypoint (installed as app-entrypoint); the static tier sources this
# file from `bash -c` ($0 is then its own name) to call fpm_pool_sizing
case "${0##*/}" in
  app-entrypoint | entrypoint.sh) main "$@" ;;
esac
