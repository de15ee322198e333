#!/usr/bin/env bash
# Create (or reuse) the kind cluster of the k8s tier and install its add-ons:
# metrics-server and Traefik (default IngressClass, HTTPS with the suite's CA).
# Offline: builds kind, the Kubernetes binaries, every image and the node image from the Go
# module proxy and Debian's packages (each step cached, keyed by version). Online: kindest/node.
# Idempotent: a running cluster is reused; add-ons are re-applied and waited for.
#   LKS_CLUSTER_NAME   kind cluster name (default lks)
#   LKS_PROFILE        online | offline (default: offline unless a registry name resolves)
#   LKS_NODE_IMAGE     node image to use instead of building/choosing one
#   LKS_KUBECONFIG     kubeconfig written for the cluster (default $LKS_CACHE/cluster/<name>/kubeconfig)
#   LKS_WAIT_SECONDS   how long to wait for nodes and add-ons (default 600)
# Ports on 127.0.0.1 (k8s/cluster/kind-config.yaml): 18080 HTTP and 18443 HTTPS ingress, 30080 NodePort.
set -o errexit -o nounset -o pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
# shellcheck source=scripts/cluster/versions.sh
source "$(dirname "${BASH_SOURCE[0]}")/versions.sh"

LKS_CLUSTER_NAME="${LKS_CLUSTER_NAME:-lks}"
LKS_KUBECONFIG="${LKS_KUBECONFIG:-$LKS_CACHE/cluster/$LKS_CLUSTER_NAME/kubeconfig}"
LKS_WAIT_SECONDS="${LKS_WAIT_SECONDS:-600}"
ONLINE_NODE_IMAGE="kindest/node:v1.34.0"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
T0=$(date +%s)
STEP_T=0
KIND="" KUBECTL=""

step() { STEP_T=$(date +%s); log "▶ $*"; }
done_step() { log "  done in $(( $(date +%s) - STEP_T )) s: $*"; }

profile() {
  case "${LKS_PROFILE:-auto}" in
    online|offline) echo "$LKS_PROFILE" ;;
    *) if getent hosts registry-1.docker.io >/dev/null 2>&1; then echo online; else echo offline; fi ;;
  esac
}

k() { "$KUBECTL" --kubeconfig "$LKS_KUBECONFIG" "$@"; }

cluster_running() {
  "$KIND" get clusters 2>/dev/null | grep -qxF "$LKS_CLUSTER_NAME" \
    && [ "$(docker inspect -f '{{.State.Running}}' "$LKS_CLUSTER_NAME-control-plane" 2>/dev/null)" = true ]
}

main() {
  need docker "scripts/docker-up.sh installs Debian's docker.io and starts dockerd"
  need go "install Go >= 1.24 (https://go.dev/dl) or Debian's golang-go"
  need jq "apt-get install jq"
  need openssl "apt-get install openssl"
  docker info >/dev/null 2>&1 || die "docker engine not running: run scripts/docker-up.sh"
  local prof image pki
  prof=$(profile)
  log "cluster '$LKS_CLUSTER_NAME', profile $prof, Kubernetes $K8S_VERSION, kind $KIND_VERSION"

  step "kind $KIND_VERSION"
  KIND="$("$HERE/build-tools.sh" kind)/kind"
  done_step "$KIND"
  step "Kubernetes $K8S_VERSION binaries"
  KUBECTL="$("$HERE/build-k8s.sh")/kubectl"
  done_step "$KUBECTL"

  if [ -n "${LKS_NODE_IMAGE:-}" ]; then
    image="$LKS_NODE_IMAGE"
  elif [ "$prof" = online ]; then
    image="$ONLINE_NODE_IMAGE"
  else
    step "node image (images and Go programs built on first use)"
    image=$("$HERE/build-node-image.sh")
    done_step "$image"
  fi

  step "ingress CA"
  pki=$("$HERE/pki.sh")
  done_step "$pki/ca.crt"

  mkdir -p "$(dirname "$LKS_KUBECONFIG")"
  if cluster_running; then
    step "reusing running cluster $LKS_CLUSTER_NAME"
    "$KIND" export kubeconfig --name "$LKS_CLUSTER_NAME" --kubeconfig "$LKS_KUBECONFIG" >/dev/null 2>&1
    done_step "kubeconfig $LKS_KUBECONFIG"
  else
    if "$KIND" get clusters 2>/dev/null | grep -qxF "$LKS_CLUSTER_NAME"; then
      log "cluster $LKS_CLUSTER_NAME exists but its node is not running: recreating it"
      "$KIND" delete cluster --name "$LKS_CLUSTER_NAME" >/dev/null 2>&1 || true
    fi
    step "kind create cluster --image $image"
    "$KIND" create cluster --name "$LKS_CLUSTER_NAME" --image "$image" \
      --config "$REPO_ROOT/k8s/cluster/kind-config.yaml" --kubeconfig "$LKS_KUBECONFIG" --wait 0s \
      || die "kind create cluster failed (kind export logs --name $LKS_CLUSTER_NAME shows why)"
    done_step "cluster created"
  fi
  chmod 0600 "$LKS_KUBECONFIG"

  step "add-ons: metrics-server, Traefik with the suite's certificate"
  k create namespace traefik --dry-run=client -o yaml | k apply -f - >/dev/null
  k -n traefik create secret tls traefik-default-cert --cert "$pki/tls.crt" --key "$pki/tls.key" \
    --dry-run=client -o yaml | k apply -f - >/dev/null
  k apply -k "$REPO_ROOT/k8s/cluster/addons" >/dev/null
  done_step "applied k8s/cluster/addons"

  step "waiting for nodes, CoreDNS, CNI, metrics-server, Traefik and the metrics API"
  local t="${LKS_WAIT_SECONDS}s"
  k wait --for=condition=Ready nodes --all --timeout="$t" >/dev/null || die "nodes not Ready within $t"
  k -n kube-system rollout status deployment/coredns --timeout="$t" >/dev/null || die "CoreDNS not available within $t"
  k -n kube-system rollout status deployment/metrics-server --timeout="$t" >/dev/null || die "metrics-server not available within $t"
  k -n traefik rollout status deployment/traefik --timeout="$t" >/dev/null || die "Traefik not available within $t"
  wait_for "$LKS_WAIT_SECONDS" "the metrics API (kubectl top nodes)" k top nodes
  done_step "cluster ready"

  local mem
  mem=$(docker stats --no-stream --format '{{.MemUsage}}' "$LKS_CLUSTER_NAME-control-plane" 2>/dev/null | cut -d/ -f1 || true)
  log "ready in $(( $(date +%s) - T0 )) s; node container memory ${mem:-unknown}"
  log "kubeconfig: $LKS_KUBECONFIG (export KUBECONFIG=$LKS_KUBECONFIG)"
  log "ingress: http://127.0.0.1:18080  https://localhost:18443 (CA $pki/ca.crt)  NodePort: 127.0.0.1:30080"
  echo "$LKS_KUBECONFIG"
}

main "$@"
