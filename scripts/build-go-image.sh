#!/usr/bin/env bash
# Build the image of one Go program of the stack, compiled from the Go module proxy and cached
# per version by scripts/cluster/build-tools.sh, on the offline Debian base, tagged by its version:
#   seaweedfs      the uploads' S3 store (app/docker/offline/seaweedfs.Dockerfile: its entrypoint
#                  writes the S3 identity and creates the bucket); container tier and k8s/base
#   victoria-logs  the log store (k8s/telemetry)
#   vlagent        the log collector DaemonSet: tails /var/log/pods, adds pod metadata (k8s/telemetry)
#   jaeger         the trace store: Jaeger all-in-one, OTLP in, query API (k8s/telemetry, container tier)
# The last three share app/docker/offline/go-program.Dockerfile (the binary is the entrypoint).
# The same build works online.
#   usage: build-go-image.sh seaweedfs|victoria-logs|vlagent|jaeger [--name]
#   IMAGE_PREFIX  image name prefix (default laravel-k8s-showcase)
#   GO_IMAGE_BASE base image (default: the offline one, scripts/base-image.sh; online,
#                 scripts/build-images.sh passes its pinned Debian slim image)
#   REBUILD       1 rebuilds even when the tag exists (default 0; a changed Dockerfile or
#                 entrypoint rebuilds anyway: the image's lks.recipe label is their hash)
#   --name        print the tag without building
# Prints the image tag on stdout.
set -o errexit -o nounset -o pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=scripts/cluster/versions.sh
source "$REPO_ROOT/scripts/cluster/versions.sh"

IMAGE_PREFIX="${IMAGE_PREFIX:-laravel-k8s-showcase}"
REBUILD="${REBUILD:-0}"
OFFLINE_DIR="$REPO_ROOT/app/docker/offline"
PROGRAMS="seaweedfs|victoria-logs|vlagent|jaeger"

# program NAME -> sets VERSION, BINARY, LICENSE, TITLE, DOCKERFILE, FILES (the build context)
program() {
  DOCKERFILE="$OFFLINE_DIR/go-program.Dockerfile"
  FILES=()
  LICENSE=Apache-2.0
  case "$1" in
    seaweedfs)
      VERSION=$SEAWEEDFS_VERSION BINARY=weed TITLE="SeaweedFS (weed server -s3), the S3 store of the uploads"
      DOCKERFILE="$OFFLINE_DIR/seaweedfs.Dockerfile" FILES=("$OFFLINE_DIR/seaweedfs-entrypoint.sh") ;;
    victoria-logs)
      VERSION=$VICTORIALOGS_VERSION BINARY=victoria-logs TITLE="VictoriaLogs, the log store" ;;
    vlagent)
      VERSION=$VICTORIALOGS_VERSION BINARY=vlagent TITLE="vlagent, the Kubernetes log collector of VictoriaLogs" ;;
    jaeger)
      VERSION=$JAEGER_VERSION BINARY=jaeger-all-in-one TITLE="Jaeger all-in-one, the trace store (OTLP in)" ;;
    *) die "unknown program '$1' ($PROGRAMS)" ;;
  esac
}

# the tag: the version; a pseudo-version by its date and commit (v0.0.0-20261109003541-7506e5f91cd6 -> 20261109-7506e5f91cd6)
image_tag() {
  local v="$VERSION"
  case "$v" in v0.0.0-*) v="${v#v0.0.0-}"; v="${v:0:8}-${v##*-}" ;; esac
  echo "$IMAGE_PREFIX/$1:$v"
}

main() {
  [ "$#" -ge 1 ] || die "usage: $0 $PROGRAMS [--name]"
  local name="$1" tag
  program "$name"
  tag=$(image_tag "$name")
  if [ "${2:-}" = --name ]; then echo "$tag"; return 0; fi
  need docker "run scripts/docker-up.sh first"
  local recipe
  recipe=$({ cat "$DOCKERFILE" ${FILES[@]+"${FILES[@]}"}; echo "$BINARY ${GO_IMAGE_BASE:-offline}"; } | sha256sum | cut -c1-16)
  if [ "$REBUILD" != 1 ] && [ "$(docker image inspect -f '{{index .Config.Labels "lks.recipe"}}' "$tag" 2>/dev/null)" = "$recipe" ]; then
    log "image $tag cached (REBUILD=1 to rebuild)"
    echo "$tag"; return 0
  fi
  local bin base context
  bin=$("$REPO_ROOT/scripts/cluster/build-tools.sh" "$name")
  base=${GO_IMAGE_BASE:-$("$REPO_ROOT/scripts/base-image.sh")}
  context=$(mktemp -d /tmp/lks-go-image.XXXXXX)
  # shellcheck disable=SC2064 # expand now: the folder of this run
  trap "rm -rf '$context'" EXIT
  cp "$bin/$BINARY" ${FILES[@]+"${FILES[@]}"} "$context/"
  log "building $tag on $base"
  DOCKER_BUILDKIT=0 docker build --quiet \
    --build-arg "BASE_IMAGE=$base" --build-arg "PROGRAM=$BINARY" --build-arg "VERSION=$VERSION" \
    --build-arg "TITLE=$TITLE" --build-arg "LICENSE=$LICENSE" --label "lks.recipe=$recipe" \
    -f "$DOCKERFILE" -t "$tag" "$context" >/dev/null \
    || die "docker build of $tag failed (run without --quiet to see why)"
  log "built $tag ($(docker image inspect -f '{{.Size}}' "$tag" | numfmt --to=iec))"
  echo "$tag"
}

main "$@"
