#!/usr/bin/env bash
# The main job: bring up the local stack on kind and run the whole acceptance suite
# (static, app, container and k8s tiers), then print the acceptance report.
#   VARIANT   fpm | swoole | both (default both; Swoole skips offline with its reason)
set -o errexit -o nounset -o pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

VARIANT="${VARIANT:-both}"

main() {
  local rc=0
  "$REPO_ROOT/scripts/setup.sh"
  if [ -x "$REPO_ROOT/scripts/cluster/up.sh" ]; then
    "$REPO_ROOT/scripts/cluster/up.sh"
  fi
  "$REPO_ROOT/scripts/run-tests.sh" "static or app or container or k8s" --variant "$VARIANT" --keep-cluster "$@" || rc=$?
  [ -f "$REPO_ROOT/reports/acceptance.md" ] && cat "$REPO_ROOT/reports/acceptance.md"
  return "$rc"
}

main "$@"
