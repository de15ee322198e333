#!/usr/bin/env bash
# Delete the kind cluster of the k8s tier. With LKS_EXPORT_LOGS=1 (or --export-logs) it first
# exports `kind export logs` and `kubectl get events -A` into the artifacts directory.
#   LKS_CLUSTER_NAME   kind cluster name (default lks)
#   LKS_EXPORT_LOGS    1 to export logs before deleting (default 0)
#   LKS_ARTIFACTS      where logs go (default $REPO_ROOT/artifacts/cluster-<name>)
#   LKS_KUBECONFIG     kubeconfig of the cluster (default $LKS_CACHE/cluster/<name>/kubeconfig)
set -o errexit -o nounset -o pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
cluster_settings
settings LKS_EXPORT_LOGS=0 "LKS_ARTIFACTS=$REPO_ROOT/artifacts/cluster-$LKS_CLUSTER_NAME"

main() {
  [ "${1:-}" != "--export-logs" ] || LKS_EXPORT_LOGS=1
  [ -n "$KIND" ] || die "kind not found: make cluster builds it into $LKS_CACHE/go-tools"
  docker info >/dev/null 2>&1 || die "docker engine not running: run scripts/docker-up.sh"
  if ! "$KIND" get clusters 2>/dev/null | grep -qxF "$LKS_CLUSTER_NAME"; then
    log "no kind cluster named $LKS_CLUSTER_NAME"; return 0
  fi
  if [ "$LKS_EXPORT_LOGS" = 1 ]; then
    mkdir -p "$LKS_ARTIFACTS"
    log "exporting logs to $LKS_ARTIFACTS"
    "$KIND" export logs "$LKS_ARTIFACTS/kind-logs" --name "$LKS_CLUSTER_NAME" >/dev/null 2>&1 || log "kind export logs failed"
    if [ -n "$KUBECTL" ] && [ -f "$LKS_KUBECONFIG" ]; then
      "$KUBECTL" --kubeconfig "$LKS_KUBECONFIG" get events -A --sort-by=.lastTimestamp >"$LKS_ARTIFACTS/events.txt" 2>&1 || true
    fi
  fi
  log "kind delete cluster --name $LKS_CLUSTER_NAME"
  "$KIND" delete cluster --name "$LKS_CLUSTER_NAME" >/dev/null 2>&1 || die "kind delete cluster failed"
  rm -f "$LKS_KUBECONFIG"
}

main "$@"
