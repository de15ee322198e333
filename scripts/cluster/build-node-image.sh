#!/usr/bin/env bash
# Build the offline kind node image: k8s/cluster/node/Dockerfile over the Debian base image,
# with kind's own files (entrypoint, systemd units, kubeadm drop-ins, containerd config)
# taken from the kind Go module at build time, our Kubernetes binaries, the default CNI
# manifest, and every image of scripts/cluster/build-images.sh preloaded into the node's
# containerd (`ctr -n k8s.io images import --all-platforms --no-unpack`, then docker commit;
# Debian's ctr has no --label, which is why `kind build node-image` is not used).
# The tag carries a hash of every input: an unchanged image is not rebuilt.
#   LKS_CACHE   cache root (default: scripts/lib/common.sh)
# Prints the node image tag on stdout.
set -o errexit -o nounset -o pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
# shellcheck source=scripts/cluster/versions.sh
source "$(dirname "${BASH_SOURCE[0]}")/versions.sh"

NODE_REPO="lks/kind-node"
WORK=""
BUILD_CID=""

cleanup() {
  [ -z "$BUILD_CID" ] || docker rm -f "$BUILD_CID" >/dev/null 2>&1 || true
  [ -z "$WORK" ] || rm -rf "$WORK"
}

main() {
  need docker "scripts/docker-up.sh installs Debian's docker.io and starts dockerd"
  need jq "apt-get install jq"
  docker info >/dev/null 2>&1 || die "docker engine not running: run scripts/docker-up.sh"
  local here k8s crictl kind_dir base images=() image_ids key tag
  here="$(dirname "${BASH_SOURCE[0]}")"
  k8s=$("$here/build-k8s.sh")
  crictl="$("$here/build-tools.sh" crictl)/crictl"
  mapfile -t images < <("$here/build-images.sh")
  base=$("$REPO_ROOT/scripts/base-image.sh")
  kind_dir=$(go mod download -json "sigs.k8s.io/kind@$KIND_VERSION" | jq -r .Dir)
  [ -x "$kind_dir/images/base/files/usr/local/bin/entrypoint" ] || [ -f "$kind_dir/images/base/files/usr/local/bin/entrypoint" ] \
    || die "kind's entrypoint not found in $kind_dir (go mod download sigs.k8s.io/kind@$KIND_VERSION)"

  image_ids=$(docker image inspect --format '{{.Id}}' "${images[@]}" | sort)
  key=$( {
    echo "$K8S_VERSION $KIND_VERSION $PAUSE_VERSION $(docker image inspect --format '{{.Id}}' "$base")"
    echo "$image_ids"
    sha256sum "$k8s/kubeadm" "$k8s/kubelet" "$k8s/kubectl" "$crictl" | cut -c1-64
    cat "$REPO_ROOT/k8s/cluster/node/Dockerfile" "$REPO_ROOT/k8s/cluster/cni/kube-router.yaml"
  } | sha256sum | cut -c1-12)
  tag="$NODE_REPO:$K8S_VERSION-$key"
  if docker image inspect "$tag" >/dev/null 2>&1; then
    log "node image $tag up to date"; echo "$tag"; return 0
  fi

  WORK=$(mktemp -d)
  trap cleanup EXIT
  local ctx="$WORK/context"
  mkdir -p "$ctx/kind" "$ctx/bin" "$ctx/manifests"
  cp -r "$kind_dir/images/base/files/etc" "$kind_dir/images/base/files/kind" "$kind_dir/images/base/files/usr" "$ctx/kind/"
  chmod -R u+w "$ctx/kind"
  # the sandbox (pause) image kubeadm expects, preloaded below
  sed -i "s|sandbox_image = .*|sandbox_image = \"registry.k8s.io/pause:$PAUSE_VERSION\"|" "$ctx/kind/etc/containerd/config.toml"
  grep -q "registry.k8s.io/pause:$PAUSE_VERSION" "$ctx/kind/etc/containerd/config.toml" || die "could not set containerd's sandbox_image"
  # Node containers here lack CAP_SYS_RESOURCE (the host's bounding set has none), so runc may
  # not lower a container's oom_score_adj below containerd's own (-999 -> -998 fails with
  # "can't get final child's PID from pipe"). kind sets this for rootless nodes; we always do:
  # pods get at least containerd's score, which no pod goes below anyway.
  sed -i "s|restrict_oom_score_adj = false|restrict_oom_score_adj = true|" "$ctx/kind/etc/containerd/config.toml"
  grep -q "restrict_oom_score_adj = true" "$ctx/kind/etc/containerd/config.toml" || die "could not set restrict_oom_score_adj"
  cp "$k8s/kubeadm" "$k8s/kubelet" "$k8s/kubectl" "$crictl" "$ctx/bin/"
  cp "$REPO_ROOT/k8s/cluster/cni/kube-router.yaml" "$ctx/manifests/default-cni.yaml"
  cp "$REPO_ROOT/k8s/cluster/node/Dockerfile" "$ctx/Dockerfile"

  local started
  started=$(date +%s)
  log "docker build node image base layers (systemd, containerd $CONTAINERD_VERSION, runc, CNI plugins)"
  DOCKER_BUILDKIT=0 docker build -q --build-arg "BASE_IMAGE=$base" --build-arg "K8S_VERSION=$K8S_VERSION" \
    -t "$NODE_REPO-build:$key" "$ctx" >"$WORK/build.log" 2>&1 \
    || { tail -30 "$WORK/build.log" >&2; die "docker build of the node image failed (log above)"; }
  local have_containerd
  have_containerd=$(docker run --rm --entrypoint containerd "$NODE_REPO-build:$key" --version | awk '{print $3}')
  have_containerd="${have_containerd#v}"
  [ "${have_containerd%%[~+]*}" = "$CONTAINERD_VERSION" ] || log "warning: node has containerd $have_containerd, expected $CONTAINERD_VERSION"

  log "preloading ${#images[@]} images into the node's containerd"
  docker save -o "$WORK/images.tar" "${images[@]}"
  BUILD_CID=$(docker run -d --privileged --entrypoint sleep "$NODE_REPO-build:$key" infinity)
  docker exec -d "$BUILD_CID" containerd --log-level warn
  wait_for 60 "containerd in the build container" docker exec "$BUILD_CID" ctr version
  docker exec -i "$BUILD_CID" ctr -n k8s.io images import --all-platforms --no-unpack --digests - <"$WORK/images.tar" >/dev/null \
    || die "ctr images import into the node image failed"
  local loaded missing=() i
  loaded=$(docker exec "$BUILD_CID" ctr -n k8s.io images list -q)
  for i in "${images[@]}"; do
    # containerd's names are fully qualified: docker.io/library/traefik:..., docker.io/lks/...
    case "$i" in
      *.*/*|*:*/*|localhost/*) ;;
      */*) i="docker.io/$i" ;;
      *) i="docker.io/library/$i" ;;
    esac
    grep -qxF "$i" <<<"$loaded" || missing+=("$i")
  done
  [ "${#missing[@]}" -eq 0 ] || die "images missing in the node's containerd after import: ${missing[*]}"
  docker exec "$BUILD_CID" sh -c 'pkill containerd; while pgrep -x containerd >/dev/null; do sleep 0.2; done'
  docker commit \
    --change 'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]' \
    --change 'CMD []' \
    --change "LABEL lks.kubernetes-version=$K8S_VERSION lks.kind-version=$KIND_VERSION" \
    "$BUILD_CID" "$tag" >/dev/null
  docker rmi "$NODE_REPO-build:$key" >/dev/null 2>&1 || true
  log "node image $tag built in $(( $(date +%s) - started )) s"
  echo "$tag"
}

main "$@"
