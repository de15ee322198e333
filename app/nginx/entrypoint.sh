#!/bin/sh
# nginx entrypoint: derive the worker count from the cgroup CPU limit, render the config
# template with envsubst, then exec nginx in the foreground (PID 1 receives SIGQUIT).
#   NGINX_PORT (8080)  NGINX_INTERNAL_PORT (8081)  PHP_FPM_ADDR (127.0.0.1:9000)
#   NGINX_WORKER_PROCESSES (derived)  NGINX_CLIENT_MAX_BODY_SIZE (1m, the app's APP_MAX_BODY_BYTES)  NGINX_FASTCGI_READ_TIMEOUT (65s)
set -eu

cpu_limit() {
  # cgroup v2: "max 100000" or "200000 100000"; cgroup v1: cfs quota/period
  if [ -r /sys/fs/cgroup/cpu.max ]; then
    read -r quota period </sys/fs/cgroup/cpu.max
  elif [ -r /sys/fs/cgroup/cpu/cpu.cfs_quota_us ]; then
    quota=$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us)
    period=$(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)
  else
    quota=max period=100000
  fi
  if [ "$quota" = max ] || [ "$quota" -le 0 ]; then
    echo 1  # no limit: one worker; raise NGINX_WORKER_PROCESSES explicitly when wanted
  else
    echo $(( (quota + period - 1) / period ))
  fi
}

: "${NGINX_PORT:=8080}" "${NGINX_INTERNAL_PORT:=8081}" "${PHP_FPM_ADDR:=127.0.0.1:9000}"
: "${NGINX_CLIENT_MAX_BODY_SIZE:=1m}" "${NGINX_FASTCGI_READ_TIMEOUT:=65s}"
: "${NGINX_WORKER_PROCESSES:=$(cpu_limit)}"
export NGINX_PORT NGINX_INTERNAL_PORT PHP_FPM_ADDR NGINX_CLIENT_MAX_BODY_SIZE NGINX_FASTCGI_READ_TIMEOUT NGINX_WORKER_PROCESSES

mkdir -p /tmp/nginx
# shellcheck disable=SC2016 # envsubst gets the literal variable names
vars='${NGINX_PORT} ${NGINX_INTERNAL_PORT} ${PHP_FPM_ADDR} ${NGINX_CLIENT_MAX_BODY_SIZE} ${NGINX_FASTCGI_READ_TIMEOUT} ${NGINX_WORKER_PROCESSES}'
envsubst "$vars" </etc/nginx/templates/nginx.conf >/tmp/nginx/nginx.conf
exec nginx -c /tmp/nginx/nginx.conf -g 'daemon off;' "$@"
