#!/usr/bin/env bash
# Build the app's images (cached; prints build time and size of each).
#   scripts/build-images.sh [--profile offline|online] [--version V] [IMAGE...]
# IMAGE: fpm nginx worker php-test redis mariadb swoole (default: all that the profile can build).
# Tags are the same in both profiles:
#   laravel-k8s-showcase/{fpm,nginx,worker,php-test,swoole,php-test-swoole}:$VERSION, laravel-k8s-showcase/redis:7,
#   laravel-k8s-showcase/mariadb:11
# offline: Debian trixie base (scripts/base-image.sh) + Debian packages, app/docker/offline/*.
#          Swoole cannot be built (no PECL/Packagist): says so in one line and skips it (swoole
#          and php-test-swoole: the suite runs the Swoole tests wherever those images exist).
# online:  app/Dockerfile.fpm (official Alpine PHP images, Composer, PECL) and app/Dockerfile.swoole
#          (Debian trixie as offline, plus swoole from PECL and laravel/octane from Composer; also
#          php-test-swoole); worker = the fpm image; php-test = the Debian test image (same in both
#          profiles); Redis and MariaDB are the upstream images, pinned and re-tagged.
# Settings (env):
#   LKS_PROFILE       default profile when --profile is not given (default: offline)
#   IMAGE_PREFIX      tag prefix (default laravel-k8s-showcase)
#   DOCKER_NICE       nice level of the builds (default 10: the machine is shared)
#   LKS_NO_CACHE      1 = build without the layer cache (cold build time; the base image stays cached)
#   ONLINE_REDIS_IMAGE / ONLINE_MARIADB_IMAGE  upstream images re-tagged online
set -o errexit -o nounset -o pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

IMAGE_PREFIX="${IMAGE_PREFIX:-laravel-k8s-showcase}"
DOCKER_NICE="${DOCKER_NICE:-10}"
ONLINE_REDIS_IMAGE="${ONLINE_REDIS_IMAGE:-redis:7.4-alpine}"
ONLINE_MARIADB_IMAGE="${ONLINE_MARIADB_IMAGE:-mariadb:11.4}"
SWOOLE_OFFLINE_REASON="swoole: extension not installable offline (no PECL/Packagist); run with --profile online"
CONTEXT_TAR=""

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
# BUILDKIT: 0 offline (this engine has no buildx; the offline Dockerfiles need none),
# the client's default online (the online Dockerfiles use COPY --chmod)
build_from_context() {
  local tag=$1 file=$2 target=${3:-} start log
  shift 3 || shift $#
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

build_offline() {
  local base want=" $* "
  BUILDKIT=0
  base=$("$REPO_ROOT/scripts/base-image.sh")
  make_context
  local common=(--build-arg "BASE_IMAGE=$base")
  [[ "$want" == *" fpm "* ]] && build_from_context "$IMAGE_PREFIX/fpm:$VERSION" docker/offline/Dockerfile fpm "${common[@]}"
  [[ "$want" == *" nginx "* ]] && build_from_context "$IMAGE_PREFIX/nginx:$VERSION" docker/offline/nginx.Dockerfile "" "${common[@]}"
  [[ "$want" == *" worker "* ]] && build_from_context "$IMAGE_PREFIX/worker:$VERSION" docker/offline/Dockerfile worker "${common[@]}"
  [[ "$want" == *" php-test "* ]] && build_from_context "$IMAGE_PREFIX/php-test:$VERSION" docker/offline/Dockerfile test "${common[@]}"
  [[ "$want" == *" redis "* ]] && build_from_context "$IMAGE_PREFIX/redis:7" docker/offline/redis.Dockerfile "" "${common[@]}"
  [[ "$want" == *" mariadb "* ]] && build_from_context "$IMAGE_PREFIX/mariadb:11" docker/offline/mariadb.Dockerfile "" "${common[@]}"
  [[ "$want" == *" swoole "* ]] && log "$SWOOLE_OFFLINE_REASON"
  return 0
}

# online: app/Dockerfile.fpm (target fpm) and app/Dockerfile.swoole (target swoole): official
# Alpine PHP images, Composer, PECL. The PHPUnit image stays the Debian one (same tests, same
# PHP 8.4 in both profiles).
build_online() {
  local want=" $* "
  BUILDKIT=""
  make_context
  local f
  for f in fpm swoole; do
    [[ "$want" == *" $f "* ]] || continue
    [ -f "$REPO_ROOT/app/Dockerfile.$f" ] || die "app/Dockerfile.$f is missing: the online $f image cannot be built"
    build_from_context "$IMAGE_PREFIX/$f:$VERSION" "Dockerfile.$f" "$f"
  done
  # the Swoole PHPUnit groups run in a php-test image with ext-swoole and Octane
  [[ "$want" == *" swoole "* ]] && build_from_context "$IMAGE_PREFIX/php-test-swoole:$VERSION" Dockerfile.swoole php-test-swoole
  if [[ "$want" == *" worker "* ]]; then
    # the worker is the fpm image running queue:work (same files, another command)
    docker tag "$IMAGE_PREFIX/fpm:$VERSION" "$IMAGE_PREFIX/worker:$VERSION"
  fi
  if [[ "$want" == *" php-test "* ]]; then
    local base
    base=$("$REPO_ROOT/scripts/base-image.sh")
    BUILDKIT=0 build_from_context "$IMAGE_PREFIX/php-test:$VERSION" docker/offline/Dockerfile test --build-arg "BASE_IMAGE=$base"
  fi
  [[ "$want" == *" redis "* ]] && docker pull -q "$ONLINE_REDIS_IMAGE" >/dev/null && docker tag "$ONLINE_REDIS_IMAGE" "$IMAGE_PREFIX/redis:7" && report "$IMAGE_PREFIX/redis:7" 0
  [[ "$want" == *" mariadb "* ]] && docker pull -q "$ONLINE_MARIADB_IMAGE" >/dev/null && docker tag "$ONLINE_MARIADB_IMAGE" "$IMAGE_PREFIX/mariadb:11" && report "$IMAGE_PREFIX/mariadb:11" 0
  return 0
}

main() {
  local profile="${LKS_PROFILE:-offline}" images=()
  VERSION=$(cat "$REPO_ROOT/app/VERSION")
  while [ $# -gt 0 ]; do
    case "$1" in
      --profile) profile=${2:?--profile needs a value}; shift 2 ;;
      --profile=*) profile=${1#*=}; shift ;;
      --version) VERSION=${2:?--version needs a value}; shift 2 ;;
      --version=*) VERSION=${1#*=}; shift ;;
      -h|--help) usage; exit 0 ;;
      fpm|nginx|worker|php-test|redis|mariadb|swoole) images+=("$1"); shift ;;
      *) die "unknown argument $1 (see --help)" ;;
    esac
  done
  [ "${#images[@]}" -gt 0 ] || images=(fpm nginx worker php-test redis mariadb swoole)
  if [ "$profile" = auto ]; then
    # a registry name that resolves means the online profile can pull its bases (DNS only)
    if getent hosts registry-1.docker.io >/dev/null 2>&1; then profile=online; else profile=offline; fi
  fi
  need docker "run scripts/docker-up.sh first"
  trap cleanup EXIT
  local start
  start=$(date +%s)
  case "$profile" in
    offline) build_offline "${images[@]}" ;;
    online) build_online "${images[@]}" ;;
    *) die "--profile must be offline, online or auto, not $profile" ;;
  esac
  log "images built in $(( $(date +%s) - start ))s (profile $profile, version $VERSION)"
}

main "$@"
