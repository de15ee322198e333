#!/usr/bin/env bash
# Build every container image the offline cluster runs, with exactly the names and tags
# kubeadm (`kubeadm config images list`), containerd's sandbox_image and our add-on
# manifests expect. Static binaries go on scratch-like images made with `docker import`
# of a tiny tar; kube-proxy and kube-router go on a Debian minbase with iptables/nftables.
# An image is rebuilt only when its binary changed (label lks.binary-sha256).
#   LKS_CACHE   cache root (default: scripts/lib/common.sh)
# Prints the image references, one per line, on stdout.
set -o errexit -o nounset -o pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
# shellcheck source=scripts/cluster/versions.sh
source "$(dirname "${BASH_SOURCE[0]}")/versions.sh"

NETBASE_IMAGE="lks/netbase:trixie-r1"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WORK=""

# tool NAME -> directory of a Go program built (or cached) by build-tools.sh
tool() { "$HERE/build-tools.sh" "$1"; }

cleanup() { [ -z "$WORK" ] || rm -rf "$WORK"; }

current_sha() {
  docker image inspect --format '{{ index .Config.Labels "lks.binary-sha256" }}' "$1" 2>/dev/null || true
}

# scratch_image TAG BINARY PATH_IN_IMAGE ENTRYPOINT_JSON
scratch_image() {
  local tag="$1" binary="$2" dest="$3" entrypoint="$4" sha root
  sha=$(sha256sum "$binary" | cut -c1-64)
  if [ "$(current_sha "$tag")" = "$sha" ]; then log "image $tag up to date"; echo "$tag"; return 0; fi
  root="$WORK/$(basename "$binary")-root"
  mkdir -p "$root$(dirname "$dest")" "$root/tmp" "$root/etc"
  chmod 1777 "$root/tmp"
  install -m 0755 "$binary" "$root$dest"
  printf 'root:x:0:0:root:/:/sbin/nologin\nnobody:x:65534:65534:nobody:/:/sbin/nologin\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  [ ! -f /etc/ssl/certs/ca-certificates.crt ] || install -D -m 0644 /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
  local changes=(--change "ENV PATH=/usr/local/bin:/usr/bin:/bin" --change "LABEL lks.binary-sha256=$sha")
  [ -z "$entrypoint" ] || changes+=(--change "ENTRYPOINT $entrypoint")
  tar -C "$root" --numeric-owner --owner=0 --group=0 -c . | docker import "${changes[@]}" - "$tag" >/dev/null
  log "image $tag built"
  echo "$tag"
}

# netbase_image TAG BINARY PATH_IN_IMAGE
netbase_image() {
  local tag="$1" binary="$2" dest="$3" sha cid
  sha=$(sha256sum "$binary" | cut -c1-64)
  if [ "$(current_sha "$tag")" = "$sha" ]; then log "image $tag up to date"; echo "$tag"; return 0; fi
  cid=$(docker create "$NETBASE_IMAGE" /bin/true)
  docker cp "$binary" "$cid:$dest" >/dev/null
  docker commit --change "LABEL lks.binary-sha256=$sha" --change 'ENTRYPOINT []' "$cid" "$tag" >/dev/null
  docker rm "$cid" >/dev/null
  log "image $tag built"
  echo "$tag"
}

main() {
  need docker "scripts/docker-up.sh installs Debian's docker.io and starts dockerd"
  docker info >/dev/null 2>&1 || die "docker engine not running: run scripts/docker-up.sh"
  local k8s base
  k8s=$("$HERE/build-k8s.sh")
  WORK=$(mktemp -d)
  trap cleanup EXIT

  base=$("$REPO_ROOT/scripts/base-image.sh")
  if [ -z "$(docker images -q "$NETBASE_IMAGE")" ]; then
    log "building $NETBASE_IMAGE (Debian minbase + iptables/nftables/conntrack)"
    DOCKER_BUILDKIT=0 docker build -q --build-arg "BASE_IMAGE=$base" -t "$NETBASE_IMAGE" \
      "$REPO_ROOT/k8s/cluster/images/netbase" >"$WORK/netbase.log" 2>&1 \
      || { tail -20 "$WORK/netbase.log" >&2; die "docker build of $NETBASE_IMAGE failed (log above)"; }
  fi

  local b
  for b in kube-apiserver kube-controller-manager kube-scheduler; do
    scratch_image "registry.k8s.io/$b:$K8S_VERSION" "$k8s/$b" "/usr/local/bin/$b" ""
  done
  netbase_image "registry.k8s.io/kube-proxy:$K8S_VERSION" "$k8s/kube-proxy" /usr/local/bin/kube-proxy
  scratch_image "registry.k8s.io/etcd:${ETCD_VERSION#v}-0" "$(tool etcd)/etcd" /usr/local/bin/etcd ""
  scratch_image "registry.k8s.io/coredns/coredns:$COREDNS_VERSION" "$(tool coredns)/coredns" /coredns '["/coredns"]'
  scratch_image "registry.k8s.io/pause:$PAUSE_VERSION" "$(tool pause)/pause" /pause '["/pause"]'
  netbase_image "docker.io/cloudnativelabs/kube-router:$KUBE_ROUTER_VERSION" "$(tool kube-router)/kube-router" /usr/local/bin/kube-router
  scratch_image "registry.k8s.io/metrics-server/metrics-server:$METRICS_SERVER_VERSION" \
    "$(tool metrics-server)/metrics-server" /metrics-server '["/metrics-server"]'
  scratch_image "docker.io/library/traefik:$TRAEFIK_VERSION" "$(tool traefik)/traefik" /traefik '["/traefik"]'
}

main "$@"
