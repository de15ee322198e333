#!/usr/bin/env bash
# Remove what the suite left behind: reports, artifacts, the kind cluster unless kept,
# containers labelled by the suite and the k8s tier's release tags. Caches outside the repo are kept (delete LKS_CACHE by hand).
set -o errexit -o nounset -o pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

main() {
  rm -rf "$REPO_ROOT/reports" "$REPO_ROOT/artifacts"
  if docker info >/dev/null 2>&1; then
    local ids
    ids=$(docker ps -aq --filter label=org.laravel-k8s-showcase.suite=true)
    if [ -n "$ids" ]; then
      log "removing suite containers"
      # shellcheck disable=SC2086
      docker rm -f $ids >/dev/null
    fi
    # release tags of the k8s tier's rollout/rollback tests that a killed run did not remove
    local tags
    tags=$(docker images --format '{{.Repository}}:{{.Tag}}' | grep -E -- '-(rollout|broken)[0-9]+$' || true)
    if [ -n "$tags" ]; then
      log "removing $(wc -l <<<"$tags") release tag(s) of earlier k8s runs"
      # shellcheck disable=SC2086
      docker rmi $tags >/dev/null
    fi
  fi
  if [ -x "$REPO_ROOT/scripts/cluster/down.sh" ]; then
    "$REPO_ROOT/scripts/cluster/down.sh" || true
  fi
  log "clean"
}

main "$@"
