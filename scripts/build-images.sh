#!/usr/bin/env bash
# Build the app's images (cached; prints build time and size of each).
#   scripts/build-images.sh [--profile offline|online|auto] [--flavour debian|alpine] [--version V]
#                           [--plan] [IMAGE...]
# IMAGE: fpm nginx worker php-test redis mariadb swoole prometheus seaweedfs victoria-logs vlagent
#        jaeger (default: all that the flavour builds but prometheus, which
#        scripts/build-prometheus-image.sh builds on the offline base, and the Go programs: the
#        uploads' store, the log store and collector, the trace store: scripts/build-go-image.sh
#        compiles them from the Go module proxy in both profiles, cached per version).
# debian (default flavour, both profiles): ONE recipe, app/docker/offline/*.Dockerfile, Debian
#          trixie packages (PHP 8.4, Laravel 10.48, nginx, Redis, MariaDB; no Packagist, no PECL).
#          The profiles differ ONLY in the base image (BASE_IMAGE build arg, docs/ONLINE.md):
#            offline  lks/debian-base:trixie-r1, debootstrap + docker import (scripts/base-image.sh)
#            online   $ONLINE_BASE_IMAGE, Debian's slim image pinned to an exact dated tag; a local
#                     image of that name is used as is (the legacy builder never pulls one it has)
#          Tags: laravel-k8s-showcase/{fpm,nginx,worker,php-test}:$VERSION, /redis:7, /mariadb:11
#          Swoole: app/Dockerfile.swoole online (Debian as above, swoole from PECL, laravel/octane
#          from Composer), with php-test-swoole for the PHPUnit Swoole groups; offline it says why
#          not in one line (the suite runs the Swoole tests wherever those two images exist).
# alpine (online only): app/Dockerfile.fpm (official Alpine PHP images, Composer, PECL), the
#          smaller flavour of the POC's size criterion: {fpm,nginx,worker}:$VERSION-alpine.
#          Offline it says in one line why it cannot be built.
# --plan   print what would be built, one line per image, without building:
#          TAG<TAB>DOCKERFILE(relative to app/)<TAB>TARGET ("-" = the last stage)<TAB>BUILD-ARG...
# Settings (env):
#   LKS_PROFILE       default profile when --profile is not given (default: offline)
#   IMAGE_PREFIX      tag prefix (default laravel-k8s-showcase)
#   ONLINE_BASE_IMAGE the online base (default below; must equal the Dockerfiles' ARG BASE_IMAGE
#                     default and app/docker-compose.yml's, tests/static/test_image_recipes.py)
#   DOCKER_NICE       nice level of the builds (default 10: the machine is shared)
#   LKS_NO_CACHE      1 = build without the layer cache (cold build time; the base image stays cached)
set -o errexit -o nounset -o pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

settings IMAGE_PREFIX=laravel-k8s-showcase DOCKER_NICE=10
# verify online before bumping: the dated tag must exist (docs/ONLINE.md)
ONLINE_BASE_IMAGE="${ONLINE_BASE_IMAGE:-debian:trixie-20251117-slim}"
ALPINE_OFFLINE_REASON="alpine: the Alpine flavour needs the official PHP/Composer images and PECL, which no offline mirror has; run with --profile online"
CONTEXT_TAR=""
PLAN_ONLY=0

usage() { sed -n '2,/^set -o/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }

cleanup() { [ -z "$CONTEXT_TAR" ] || rm -f "$CONTEXT_TAR"; }

# the build context: app/ files that git tracks or would track (no vendor/, .env, caches)
make_context() {
  CONTEXT_TAR=$(mktemp /tmp/lks-app-context.XXXXXX)
  local f
  (cd "$REPO_ROOT/app" && git ls-files --cached --others --exclude-standard -z . \
    | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
    | tar --null --files-from=- --sort=name --mtime='2024-01-01 00:00Z' --owner=0 --group=0 -cf "$CONTEXT_TAR")
}

report() { # tag seconds
  local size
  size=$(docker image inspect -f '{{.Size}}' "$1")
  printf '%-45s %6ss %8s MB\n' "$1" "$2" "$((size / 1000 / 1000))"
}

# build_from_context TAG DOCKERFILE(relative to app/) [TARGET] [BUILD-ARGS...]
# BUILDKIT: 0 for the Debian recipe (this engine has no buildx; the recipe needs none), the
# client's default for the Alpine and Swoole Dockerfiles (COPY --chmod, RUN --mount)
build_from_context() {
  local tag=$1 file=$2 target=${3:-} start log
  shift 3 || shift $#
  [ -n "$CONTEXT_TAR" ] || make_context
  start=$(date +%s)
  log=$(mktemp /tmp/lks-build.XXXXXX)
  local args=(-f "$file" -t "$tag" --build-arg "VERSION=$VERSION" ${LKS_NO_CACHE:+--no-cache} "$@")
  [ -z "$target" ] || args+=(--target "$target")
  if ! env ${BUILDKIT:+DOCKER_BUILDKIT=$BUILDKIT} nice -n "$DOCKER_NICE" docker build "${args[@]}" - <"$CONTEXT_TAR" >"$log" 2>&1; then
    tail -30 "$log" >&2; rm -f "$log"
    die "building $tag failed (last lines above)"
  fi
  rm -f "$log"
  report "$tag" "$(( $(date +%s) - start ))"
}

# plan_add TAG DOCKERFILE TARGET [BUILD-ARG...] -> one line of the plan
PLAN=()
plan_add() {
  local tag=$1 file=$2 target=${3:--}
  shift 3
  PLAN+=("$tag"$'\t'"$file"$'\t'"$target"$'\t'"$*")
}

# the Debian recipe: the same files, targets and args in both profiles, only BASE_IMAGE differs
plan_debian() { # BASE IMAGE...
  local base=$1 want
  shift
  want=" $* "
  local arg="BASE_IMAGE=$base"
  [[ "$want" == *" fpm "* ]] && plan_add "$IMAGE_PREFIX/fpm:$VERSION" docker/offline/Dockerfile fpm "$arg"
  [[ "$want" == *" nginx "* ]] && plan_add "$IMAGE_PREFIX/nginx:$VERSION" docker/offline/nginx.Dockerfile "" "$arg"
  [[ "$want" == *" worker "* ]] && plan_add "$IMAGE_PREFIX/worker:$VERSION" docker/offline/Dockerfile worker "$arg"
  [[ "$want" == *" php-test "* ]] && plan_add "$IMAGE_PREFIX/php-test:$VERSION" docker/offline/Dockerfile test "$arg"
  [[ "$want" == *" redis "* ]] && plan_add "$IMAGE_PREFIX/redis:7" docker/offline/redis.Dockerfile "" "$arg"
  [[ "$want" == *" mariadb "* ]] && plan_add "$IMAGE_PREFIX/mariadb:11" docker/offline/mariadb.Dockerfile "" "$arg"
  return 0
}

# the Alpine flavour (online only): app/Dockerfile.fpm's targets, tagged -alpine
plan_alpine() { # IMAGE...
  local want=" $* " f
  for f in fpm nginx worker; do
    [[ "$want" == *" $f "* ]] && plan_add "$IMAGE_PREFIX/$f:$VERSION-alpine" Dockerfile.fpm "$f"
  done
  for f in php-test redis mariadb swoole; do
    [[ "$want" == *" $f "* ]] && log "$f: no Alpine flavour (the Debian recipe builds it: --flavour debian)"
  done
  return 0
}

# run_plan BUILDKIT: print it (--plan) or build every line
run_plan() {
  local line tag file target args
  if [ "$PLAN_ONLY" = 1 ]; then
    [ "${#PLAN[@]}" -eq 0 ] || printf '%s\n' "${PLAN[@]}"
    return 0
  fi
  [ "${#PLAN[@]}" -gt 0 ] || return 0
  BUILDKIT=$1
  for line in "${PLAN[@]}"; do
    IFS=$'\t' read -r tag file target args <<<"$line"
    [ "$target" != - ] || target=""
    local build_args=() a
    for a in $args; do build_args+=(--build-arg "$a"); done
    build_from_context "$tag" "$file" "$target" ${build_args[@]+"${build_args[@]}"}
  done
}

build_debian() { # PROFILE IMAGE...
  local profile=$1 base
  shift
  if [ "$profile" = offline ]; then
    if [ "$PLAN_ONLY" = 1 ]; then base=$("$REPO_ROOT/scripts/base-image.sh" --name); else base=$("$REPO_ROOT/scripts/base-image.sh"); fi
  else
    base=$ONLINE_BASE_IMAGE
    if [ "$PLAN_ONLY" != 1 ]; then
      if docker image inspect "$base" >/dev/null 2>&1; then log "online base $base: the local image"
      else log "online base $base: not local, docker build pulls it"; fi
    fi
  fi
  plan_debian "$base" "$@"
  # BUILDKIT 0: the Debian recipe needs no BuildKit (this engine has no buildx) and the legacy
  # builder uses a local base image as is
  run_plan 0
  local want=" $* "
  if [[ "$want" == *" swoole "* ]]; then
    # the one reason, from suite/project.py (what the suite and PHPUnit skip with)
    if [ "$profile" = offline ]; then log "$(cd "$REPO_ROOT" && python3 -m suite.project swoole-reason)"
    elif [ "$PLAN_ONLY" = 1 ]; then
      printf '%s\t%s\t%s\tBASE_IMAGE=%s\n' "$IMAGE_PREFIX/swoole:$VERSION" Dockerfile.swoole swoole "$base" \
        "$IMAGE_PREFIX/php-test-swoole:$VERSION" Dockerfile.swoole php-test-swoole "$base"
    else
      BUILDKIT="" build_from_context "$IMAGE_PREFIX/swoole:$VERSION" Dockerfile.swoole swoole --build-arg "BASE_IMAGE=$base"
      BUILDKIT="" build_from_context "$IMAGE_PREFIX/php-test-swoole:$VERSION" Dockerfile.swoole php-test-swoole --build-arg "BASE_IMAGE=$base"
    fi
  fi
  return 0
}

build_alpine() { # PROFILE IMAGE...
  local profile=$1
  shift
  if [ "$profile" = offline ]; then log "$ALPINE_OFFLINE_REASON"; return 0; fi
  plan_alpine "$@"
  # the client's default builder: the Alpine Dockerfiles use COPY --chmod and RUN --mount
  run_plan ""
}

main() {
  local profile="${LKS_PROFILE:-offline}" flavour=debian images=()
  VERSION=$(cat "$REPO_ROOT/app/VERSION")
  while [ $# -gt 0 ]; do
    case "$1" in
      --profile) profile=${2:?--profile needs a value}; shift 2 ;;
      --profile=*) profile=${1#*=}; shift ;;
      --flavour|--flavor) flavour=${2:?--flavour needs a value}; shift 2 ;;
      --flavour=*|--flavor=*) flavour=${1#*=}; shift ;;
      --plan) PLAN_ONLY=1; shift ;;
      --version) VERSION=${2:?--version needs a value}; shift 2 ;;
      --version=*) VERSION=${1#*=}; shift ;;
      -h|--help) usage; exit 0 ;;
      fpm|nginx|worker|php-test|redis|mariadb|swoole|prometheus|seaweedfs|victoria-logs|vlagent|jaeger) images+=("$1"); shift ;;
      *) die "unknown argument $1 (see --help)" ;;
    esac
  done
  case "$flavour" in
    debian) [ "${#images[@]}" -gt 0 ] || images=(fpm nginx worker php-test redis mariadb swoole) ;;
    alpine) [ "${#images[@]}" -gt 0 ] || images=(fpm nginx worker) ;;
    *) die "--flavour must be debian or alpine, not $flavour" ;;
  esac
  if [ "$profile" = auto ]; then
    # a registry name that resolves means the online profile can pull its bases (DNS only)
    if registry_reachable; then profile=online; else profile=offline; fi
  fi
  case "$profile" in
    offline|online) ;;
    *) die "--profile must be offline, online or auto, not $profile" ;;
  esac
  [ "$PLAN_ONLY" = 1 ] || need docker "run scripts/docker-up.sh first"
  trap cleanup EXIT
  local start
  start=$(date +%s)
  local recipe=() prometheus=0 go=() i
  for i in "${images[@]}"; do
    case "$i" in
      prometheus) prometheus=1 ;;
      seaweedfs|victoria-logs|vlagent|jaeger) go+=("$i") ;;
      *) recipe+=("$i") ;;
    esac
  done
  [ "${#recipe[@]}" -eq 0 ] || "build_$flavour" "$profile" "${recipe[@]}"
  for i in ${go[@]+"${go[@]}"}; do
    if [ "$PLAN_ONLY" = 1 ]; then log "$i: scripts/build-go-image.sh $i (its own recipe)"
    elif [ "$profile" = online ]; then GO_IMAGE_BASE=$ONLINE_BASE_IMAGE "$REPO_ROOT/scripts/build-go-image.sh" "$i" >/dev/null
    else "$REPO_ROOT/scripts/build-go-image.sh" "$i" >/dev/null; fi
  done
  if [ "$prometheus" = 1 ]; then
    if [ "$PLAN_ONLY" = 1 ]; then log "prometheus: scripts/build-prometheus-image.sh (its own recipe)"
    else "$REPO_ROOT/scripts/build-prometheus-image.sh" >/dev/null; fi
  fi
  [ "$PLAN_ONLY" = 1 ] || log "images built in $(( $(date +%s) - start ))s (profile $profile, flavour $flavour, version $VERSION)"
}

main "$@"
