#!/usr/bin/env bash
# Build the offline Prometheus image (Debian trixie's prometheus 2.53 on the offline base image)
# used by k8s/monitoring and by scripts/metrics-snapshot.sh. Online, k8s/monitoring runs the
# official image instead; this script is for machines without a registry.
#   PROMETHEUS_IMAGE  tag to build (default laravel-k8s-showcase/prometheus:2.53)
#   REBUILD           1 rebuilds even when the tag exists (default 0)
# Prints the image tag on stdout.
set -o errexit -o nounset -o pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

PROMETHEUS_IMAGE="${PROMETHEUS_IMAGE:-laravel-k8s-showcase/prometheus:2.53}"
REBUILD="${REBUILD:-0}"

main() {
  need docker "run scripts/docker-up.sh first"
  if [ "$REBUILD" != 1 ] && docker image inspect "$PROMETHEUS_IMAGE" >/dev/null 2>&1; then
    log "image $PROMETHEUS_IMAGE cached (REBUILD=1 to rebuild)"
    echo "$PROMETHEUS_IMAGE"; return 0
  fi
  local base
  base=$("$REPO_ROOT/scripts/base-image.sh")
  log "building $PROMETHEUS_IMAGE on $base"
  DOCKER_BUILDKIT=0 docker build --quiet \
    --build-arg "BASE_IMAGE=$base" \
    -f "$REPO_ROOT/app/docker/offline/prometheus.Dockerfile" \
    -t "$PROMETHEUS_IMAGE" \
    "$REPO_ROOT/app/docker/offline" >/dev/null \
    || die "docker build of $PROMETHEUS_IMAGE failed (run without --quiet to see why)"
  log "built $PROMETHEUS_IMAGE ($(docker image inspect -f '{{.Size}}' "$PROMETHEUS_IMAGE" | numfmt --to=iec))"
  echo "$PROMETHEUS_IMAGE"
}

main "$@"
