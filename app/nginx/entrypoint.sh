#!/bin/sh
# nginx entrypoint: derive the worker count from the cgroup CPU limit, render the config
# template with envsubst, then exec nginx in the foreground (PID 1 receives SIGQUIT).
#   NGINX_PORT (8080)  NGINX_INTERNAL_PORT (8081)  PHP_FPM_ADDR (127.0.0.1:9000)
#   NGINX_WORKER_PROCESSES (derived)  NGINX_CLIENT_MAX_BODY_SIZE (1m, the app's APP_MAX_BODY_BYTES)  NGINX_FASTCGI_READ_TIMEOUT (65s)
#   NGINX_UPLOAD_MAX_BODY_SIZE (26m: the attachment upload route; the app's UPLOAD_MAX_BYTES + multipart)
set -eu

: "${NGINX_PORT:=8080}" "${NGINX_INTERNAL_PORT:=8081}" "${PHP_FPM_ADDR:=127.0.0.1:9000}"
: "${NGINX_CLIENT_MAX_BODY_SIZE:=1m}" "${NGINX_FASTCGI_READ_TIMEOUT:=65s}" "${NGINX_UPLOAD_MAX_BODY_SIZE:=26m}"
: "${NGINX_WORKER_PROCESSES:=$(cpu-limit)}"
export NGINX_PORT NGINX_INTERNAL_PORT PHP_FPM_ADDR NGINX_CLIENT_MAX_BODY_SIZE NGINX_FASTCGI_READ_TIMEOUT NGINX_WORKER_PROCESSES NGINX_UPLOAD_MAX_BODY_SIZE

mkdir -p /tmp/nginx
# shellcheck disable=SC2016 # envsubst gets the literal variable names
vars='${NGINX_PORT} ${NGINX_INTERNAL_PORT} ${PHP_FPM_ADDR} ${NGINX_CLIENT_MAX_BODY_SIZE} ${NGINX_FASTCGI_READ_TIMEOUT} ${NGINX_WORKER_PROCESSES} ${NGINX_UPLOAD_MAX_BODY_SIZE}'
envsubst "$vars" </etc/nginx/templates/nginx.conf >/tmp/nginx/nginx.conf
exec nginx -c /tmp/nginx/nginx.conf -g 'daemon off;' "$@"
