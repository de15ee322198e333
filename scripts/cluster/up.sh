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
#   LKS_HTTP_PORT, LKS_HTTPS_PORT, LKS_NODEPORT_PORT   host ports on 127.0.0.1 for the ingress
#                      HTTP/HTTPS ports and NodePort 30080 (defaults 18080, 18443, 30080, as in
#                      k8s/cluster/kind-config.yaml; fixtures/cluster.py reads the real mapping)
set -o errexit -o nounset -o pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
cluster_settings
settings LKS_WAIT_SECONDS=600 LKS_HTTP_PORT=18080 LKS_HTTPS_PORT=18443 LKS_NODEPORT_PORT=30080
# kind v0.30.0's default node image (pkg/apis/config/defaults/image.go), pinned by digest
ONLINE_NODE_IMAGE="kindest/node:v1.34.0@sha256:7416a61b42b1662ca6ca89f02028ac133a309a2a30ba309614e8ec94d976dc5a"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
T0=$(date +%s)
STEP_T=0

step() { STEP_T=$(date +%s); log "▶ $*"; }
done_step() { log "  done in $(( $(date +%s) - STEP_T )) s: $*"; }

profile() {
  case "${LKS_PROFILE:-auto}" in
    online|offline) echo "$LKS_PROFILE" ;;
    *) if registry_reachable; then echo online; else echo offline; fi ;;
  esac
}

k() { "$KUBECTL" --kubeconfig "$LKS_KUBECONFIG" "$@"; }

# port_free PORT -> fail with one line naming the container that holds 127.0.0.1:PORT
port_free() {
  local holder
  holder=$(docker ps --format '{{.Names}} {{.Ports}}' | grep -E "(127\.0\.0\.1|0\.0\.0\.0|::):$1->" | cut -d' ' -f1 | head -1 || true)
  [ -z "$holder" ] || die "127.0.0.1:$1 is already published by container '$holder': stop it or choose another port (LKS_HTTP_PORT/LKS_HTTPS_PORT/LKS_NODEPORT_PORT)"
  if command -v ss >/dev/null 2>&1 && ss -Hltn "sport = :$1" | grep -q .; then
    die "127.0.0.1:$1 is already in use on this host: free it or choose another port (LKS_HTTP_PORT/LKS_HTTPS_PORT/LKS_NODEPORT_PORT)"
  fi
}

# kind config with the host ports of this run
render_config() {
  sed -e "s/hostPort: 18080/hostPort: $LKS_HTTP_PORT/" -e "s/hostPort: 18443/hostPort: $LKS_HTTPS_PORT/" \
    -e "s/hostPort: 30080/hostPort: $LKS_NODEPORT_PORT/" "$REPO_ROOT/k8s/cluster/kind-config.yaml" >"$1"
}

cluster_running() {
  "$KIND" get clusters 2>/dev/null | grep -qxF "$LKS_CLUSTER_NAME" \
    && [ "$(docker inspect -f '{{.State.Running}}' "$LKS_CLUSTER_NAME-control-plane" 2>/dev/null)" = true ]
}

# service_cidr_stays_inside -> on every node, a packet still addressed to the Service CIDR after
# kube-proxy's NAT (a Service IP not programmed yet, or without endpoints for a moment, as when a
# drain evicts metrics-server) is refused with a reset instead of leaving through the node's
# default route. The sandbox's egress answered such connections (HTTPS, 404) and kube-apiserver
# kept them open: the metrics APIService stayed FailedDiscoveryCheck and every HPA froze. The
# reset also ends a connection already pinned that way (fixtures/cluster.py wait_metrics_api).
service_cidr_stays_inside() {
  local cidr node chain rule
  cidr=$(sed -n 's/^ *serviceSubnet: *//p' "$REPO_ROOT/k8s/cluster/kind-config.yaml")
  [ -n "$cidr" ] || die "no serviceSubnet in k8s/cluster/kind-config.yaml"
  for node in $("$KIND" get nodes --name "$LKS_CLUSTER_NAME"); do
    for chain in OUTPUT FORWARD; do
      # each rule goes first in its chain, the catch-all first so that TCP's reset ends above it;
      # a copy from an earlier run of this script is removed first (idempotent, same order)
      for rule in "-j REJECT --reject-with icmp-port-unreachable" "-p tcp -j REJECT --reject-with tcp-reset"; do
        docker exec "$node" sh -c "while iptables -D $chain -d $cidr $rule 2>/dev/null; do :; done; iptables -I $chain -d $cidr $rule" \
          || die "node $node: could not add the iptables rule '$chain -d $cidr $rule'"
      done
    done
  done
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
    local p config
    config="$(dirname "$LKS_KUBECONFIG")/kind-config.yaml"
    for p in "$LKS_HTTP_PORT" "$LKS_HTTPS_PORT" "$LKS_NODEPORT_PORT"; do port_free "$p"; done
    render_config "$config"
    step "kind create cluster --image $image"
    "$KIND" create cluster --name "$LKS_CLUSTER_NAME" --image "$image" \
      --config "$config" --kubeconfig "$LKS_KUBECONFIG" --wait 0s \
      || die "kind create cluster failed (kind create cluster --retain keeps the node for kind export logs)"
    done_step "cluster created"
  fi
  chmod 0600 "$LKS_KUBECONFIG"

  step "waiting for nodes and the pod network (kube-proxy, CNI)"
  local t="${LKS_WAIT_SECONDS}s"
  k wait --for=condition=Ready nodes --all --timeout="$t" >/dev/null || die "nodes not Ready within $t"
  k -n kube-system rollout status daemonset/kube-proxy --timeout="$t" >/dev/null || die "kube-proxy not ready within $t"
  done_step "nodes Ready"

  step "Service CIDR kept inside the nodes (iptables REJECT of what kube-proxy did not translate)"
  service_cidr_stays_inside
  done_step "every node refuses untranslated Service IPs"

  step "add-ons: metrics-server, Traefik with the suite's certificate"
  k create namespace traefik --dry-run=client -o yaml | k apply -f - >/dev/null
  k -n traefik create secret tls traefik-default-cert --cert "$pki/tls.crt" --key "$pki/tls.key" \
    --dry-run=client -o yaml | k apply -f - >/dev/null
  k apply -k "$REPO_ROOT/k8s/cluster/addons/metrics-server" >/dev/null
  k apply -k "$REPO_ROOT/k8s/cluster/addons/traefik" >/dev/null
  # the namespaces Traefik serves, each with the RoleBinding that lets it read Ingresses and TLS
  # secrets there (and nowhere else): its informers wait until every one of them is readable
  k apply -k "$REPO_ROOT/k8s/base/namespace" >/dev/null
  k apply -k "$REPO_ROOT/k8s/cluster/cluster-test" >/dev/null
  k -n kube-system rollout status deployment/coredns --timeout="$t" >/dev/null || die "CoreDNS not available within $t"
  k -n kube-system rollout status deployment/metrics-server --timeout="$t" >/dev/null || die "metrics-server not available within $t"
  k -n traefik rollout status deployment/traefik --timeout="$t" >/dev/null || die "Traefik not available within $t"
  # the APIService last, once kube-proxy routes the metrics-server Service (see metrics-api/)
  k apply -k "$REPO_ROOT/k8s/cluster/addons/metrics-api" >/dev/null
  done_step "CoreDNS, metrics-server and Traefik available"

  step "waiting for the metrics API"
  k wait --for=condition=Available apiservice/v1beta1.metrics.k8s.io --timeout="$t" >/dev/null \
    || die "metrics API (apiservice v1beta1.metrics.k8s.io) not available within $t"
  wait_for "$LKS_WAIT_SECONDS" "node metrics (kubectl top nodes)" k top nodes
  done_step "cluster ready"

  # the real 127.0.0.1 mapping (a reused cluster may have been created with other ports)
  local node="$LKS_CLUSTER_NAME-control-plane" mem
  LKS_HTTP_PORT=$(docker port "$node" 80/tcp | head -1 | sed 's/.*://')
  LKS_HTTPS_PORT=$(docker port "$node" 443/tcp | head -1 | sed 's/.*://')
  LKS_NODEPORT_PORT=$(docker port "$node" 30080/tcp | head -1 | sed 's/.*://')
  mem=$(docker stats --no-stream --format '{{.MemUsage}}' "$node" 2>/dev/null | cut -d/ -f1 || true)
  log "ready in $(( $(date +%s) - T0 )) s; node container memory ${mem:-unknown}"
  log "kubeconfig: $LKS_KUBECONFIG (export KUBECONFIG=$LKS_KUBECONFIG)"
  log "ingress: http://127.0.0.1:$LKS_HTTP_PORT  https://localhost:$LKS_HTTPS_PORT (CA $pki/ca.crt)  NodePort: 127.0.0.1:$LKS_NODEPORT_PORT"
  echo "$LKS_KUBECONFIG"
}

main "$@"
