#!/usr/bin/env bash
# broken: bash in an image that has only /bin/sh
set -o errexit -o nounset -o pipefail
if [[ "${1:-}" =~ ^php ]]; then
  exec "$@"
fi
