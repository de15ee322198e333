#!/usr/bin/env bash
# Create or delete the kind cluster of the k8s-cluster module; run by its local-exec
# provisioners (`kind.sh create` / `kind.sh delete`), settings come from the environment:
#   KIND              kind CLI (v0.30)
#   CLUSTER_NAME      cluster name
#   NODE_IMAGE        node image (create)
#   KIND_CONFIG       kind cluster configuration, YAML (create)
#   KUBECONFIG_PATH   kubeconfig file written (create) or cleaned up (delete)
#   WAIT              `kind create cluster --wait` duration (create, default 300s)
#   REUSE_EXISTING    true adopts a running cluster of the same name (create, default false)
set -o errexit -o nounset -o pipefail

CONFIG_FILE=""

die() { printf 'error: %s\n' "$*" >&2; exit 1; }
cleanup() { [ -z "$CONFIG_FILE" ] || rm -f "$CONFIG_FILE"; }

exists() {
  "$KIND" get clusters 2>/dev/null | grep -qxF "$CLUSTER_NAME"
}

create() {
  mkdir -p "$(dirname "$KUBECONFIG_PATH")"
  if exists; then
    [ "${REUSE_EXISTING:-false}" = true ] \
      || die "kind cluster $CLUSTER_NAME already exists: delete it ($KIND delete cluster --name $CLUSTER_NAME) or set reuse_existing = true"
    "$KIND" export kubeconfig --name "$CLUSTER_NAME" --kubeconfig "$KUBECONFIG_PATH" >/dev/null 2>&1 \
      || die "kind export kubeconfig --name $CLUSTER_NAME failed"
  else
    docker image inspect "$NODE_IMAGE" >/dev/null 2>&1 \
      || docker pull "$NODE_IMAGE" >/dev/null 2>&1 \
      || die "node image $NODE_IMAGE is neither local nor pullable: build it with scripts/cluster/build-node-image.sh (offline) or set node_image"
    CONFIG_FILE=$(mktemp)
    printf '%s\n' "$KIND_CONFIG" >"$CONFIG_FILE"
    "$KIND" create cluster --name "$CLUSTER_NAME" --image "$NODE_IMAGE" --config "$CONFIG_FILE" \
      --kubeconfig "$KUBECONFIG_PATH" --wait "${WAIT:-300s}" \
      || die "kind create cluster failed ($KIND export logs --name $CLUSTER_NAME shows why)"
  fi
  chmod 0600 "$KUBECONFIG_PATH"
}

delete() {
  if exists; then
    "$KIND" delete cluster --name "$CLUSTER_NAME" --kubeconfig "$KUBECONFIG_PATH"
  fi
  rm -f "$KUBECONFIG_PATH"
}

main() {
  trap cleanup EXIT
  command -v "$KIND" >/dev/null 2>&1 \
    || die "kind not found ($KIND): scripts/cluster/build-tools.sh kind builds kind v0.30 and prints its directory"
  command -v docker >/dev/null 2>&1 || die "docker not found: scripts/docker-up.sh installs and starts it"
  case "${1:-}" in
    create) create ;;
    delete) delete ;;
    *) die "usage: kind.sh create|delete" ;;
  esac
}

main "$@"
