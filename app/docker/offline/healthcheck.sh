#!/bin/sh
# HEALTHCHECK of the fpm and worker images, both flavours (POSIX sh: Alpine has no bash); every probe is bounded by `timeout` (a hung FastCGI probe
# must fail, not hang: TRAPS.md 6).
#   app-healthcheck fpm     FPM's ping.path over FastCGI (no framework boot): "pong"
#   app-healthcheck worker  the queue worker's heartbeat file, touched every loop, is < 60 s old
set -eu

main() {
  case "${1:-fpm}" in
    fpm)
      listen=${PHP_FPM_LISTEN:-9000}
      case "$listen" in
        *:*) target="127.0.0.1:${listen##*:}" ;;
        /*) target="$listen" ;;
        *) target="127.0.0.1:${listen}" ;;
      esac
      SCRIPT_NAME=/fpm-ping SCRIPT_FILENAME=/fpm-ping REQUEST_METHOD=GET \
        timeout 4 cgi-fcgi -bind -connect "$target" | grep -q '^pong'
      ;;
    worker)
      file=${QUEUE_HEARTBEAT_FILE:-/tmp/queue-worker.heartbeat}
      mtime=$(stat -c %Y "$file")
      [ $(( $(date +%s) - mtime )) -lt "${WORKER_HEARTBEAT_MAX_AGE:-60}" ]
      ;;
    *)
      echo "usage: app-healthcheck fpm|worker" >&2; exit 2 ;;
  esac
}

main "$@"
