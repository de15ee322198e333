#!/usr/bin/env bash
# Adds --requirepass when REDIS_PASSWORD is set (from a Secret), then execs redis-server (PID 1).
set -o errexit -o nounset -o pipefail

main() {
  if [ -n "${REDIS_PASSWORD:-}" ] && [ "${1:-}" = "redis-server" ]; then
    exec "$@" --requirepass "$REDIS_PASSWORD"
  fi
  exec "$@"
}

main "$@"
