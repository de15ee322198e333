#!/usr/bin/env bash
# Build the uploads' object store image: SeaweedFS (weed, compiled from the Go module proxy and
# cached per version by scripts/cluster/build-tools.sh) on the offline Debian base, tagged by the
# version (app/docker/offline/seaweedfs.Dockerfile). Used by the container tier
# (fixtures/seaweedfs.py) and k8s/dependencies/seaweedfs. The same build works online.
#   SEAWEEDFS_VERSION  pseudo-version of github.com/seaweedfs/seaweedfs (scripts/cluster/versions.sh)
#   IMAGE_PREFIX       image name prefix (default laravel-k8s-showcase)
#   SEAWEEDFS_BASE     base image (default: the offline one, scripts/base-image.sh; online,
#                      scripts/build-images.sh passes its pinned Debian slim image)
#   REBUILD            1 rebuilds even when the tag exists (default 0; a changed Dockerfile or
#                      entrypoint rebuilds anyway: the image's lks.recipe label is their hash)
#   --name             print the tag without building
# Prints the image tag on stdout.
set -o errexit -o nounset -o pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=scripts/cluster/versions.sh
source "$REPO_ROOT/scripts/cluster/versions.sh"

IMAGE_PREFIX="${IMAGE_PREFIX:-laravel-k8s-showcase}"
REBUILD="${REBUILD:-0}"

# the tag: the pseudo-version's date and commit (v0.0.0-20261109003541-7506e5f91cd6 -> 20261109-7506e5f91cd6)
seaweedfs_tag() {
  local v="${SEAWEEDFS_VERSION#v0.0.0-}"
  echo "$IMAGE_PREFIX/seaweedfs:${v:0:8}-${v##*-}"
}

main() {
  local tag
  tag=$(seaweedfs_tag)
  if [ "${1:-}" = --name ]; then echo "$tag"; return 0; fi
  need docker "run scripts/docker-up.sh first"
  local recipe
  recipe=$({ cat "$REPO_ROOT/app/docker/offline/seaweedfs.Dockerfile" "$REPO_ROOT/app/docker/offline/seaweedfs-entrypoint.sh"
    echo "${SEAWEEDFS_BASE:-offline}"; } | sha256sum | cut -c1-16)
  if [ "$REBUILD" != 1 ] && [ "$(docker image inspect -f '{{index .Config.Labels "lks.recipe"}}' "$tag" 2>/dev/null)" = "$recipe" ]; then
    log "image $tag cached (REBUILD=1 to rebuild)"
    echo "$tag"; return 0
  fi
  local bin base context
  bin=$("$REPO_ROOT/scripts/cluster/build-tools.sh" seaweedfs)
  base=${SEAWEEDFS_BASE:-$("$REPO_ROOT/scripts/base-image.sh")}
  context=$(mktemp -d /tmp/lks-seaweedfs.XXXXXX)
  # shellcheck disable=SC2064 # expand now: the folder of this run
  trap "rm -rf '$context'" EXIT
  cp "$bin/weed" "$REPO_ROOT/app/docker/offline/seaweedfs-entrypoint.sh" "$context/"
  log "building $tag on $base"
  DOCKER_BUILDKIT=0 docker build --quiet \
    --build-arg "BASE_IMAGE=$base" --build-arg "SEAWEEDFS_VERSION=$SEAWEEDFS_VERSION" --label "lks.recipe=$recipe" \
    -f "$REPO_ROOT/app/docker/offline/seaweedfs.Dockerfile" -t "$tag" "$context" >/dev/null \
    || die "docker build of $tag failed (run without --quiet to see why)"
  log "built $tag ($(docker image inspect -f '{{.Size}}' "$tag" | numfmt --to=iec))"
  echo "$tag"
}

main "$@"
