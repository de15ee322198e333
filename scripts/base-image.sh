#!/usr/bin/env bash
# Build the offline base image: a Debian trixie minbase rootfs made with debootstrap
# and imported into Docker. Cached: rebuilt only when the version key changes.
#   BASE_IMAGE      tag to produce (default lks/debian-base:trixie-<key>)
#   DEBIAN_MIRROR   mirror to bootstrap from (default: the Debian archive of this machine's apt
#                   sources, scripts/lib/common.sh debian_mirror)
#   DEBIAN_SUITE    suite (default trixie)
# Prints the image tag on stdout; --name prints it without building (scripts/build-images.sh --plan).
# The online profile builds the same Dockerfiles on Debian's slim image instead (docs/ONLINE.md).
set -o errexit -o nounset -o pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

DEBIAN_SUITE="${DEBIAN_SUITE:-trixie}"
# bump BASE_REV to force a rebuild of every offline image
BASE_REV=1
BASE_IMAGE="${BASE_IMAGE:-lks/debian-base:${DEBIAN_SUITE}-r${BASE_REV}}"

main() {
  if [ "${1:-}" = --name ]; then echo "$BASE_IMAGE"; return 0; fi
  if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
    log "base image $BASE_IMAGE cached"
    echo "$BASE_IMAGE"; return 0
  fi
  need docker "run scripts/docker-up.sh first"
  command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap
  local mirror
  mirror=$(debian_mirror)
  ROOTFS_TMP=""
  ROOTFS_TMP=$(mktemp -d /tmp/lks-rootfs.XXXXXX); local root="$ROOTFS_TMP"
  trap '[ -z "${ROOTFS_TMP:-}" ] || as_root rm -rf "$ROOTFS_TMP"' EXIT
  log "debootstrap --variant=minbase $DEBIAN_SUITE from $mirror (about 30 s)"
  as_root debootstrap --variant=minbase "$DEBIAN_SUITE" "$root" "$mirror" >"$root.log" 2>&1 \
    || { tail -20 "$root.log" >&2; die "debootstrap failed (log above)"; }
  rm -f "$root.log"
  # keep images small: no docs/man/locales from later apt installs
  as_root tee "$root/etc/dpkg/dpkg.cfg.d/01-lks-nodoc" >/dev/null <<'CFG'
path-exclude=/usr/share/doc/*
path-include=/usr/share/doc/*/copyright
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
path-include=/usr/share/locale/locale.alias
CFG
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' \
    | as_root tee "$root/etc/apt/apt.conf.d/01-lks-norecommends" >/dev/null
  as_root rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/usr/share/doc "$root"/usr/share/man
  as_root tar -C "$root" -c . | docker import \
    --change 'ENV DEBIAN_FRONTEND=noninteractive' --change 'CMD ["bash"]' - "$BASE_IMAGE" >/dev/null
  log "imported $BASE_IMAGE ($(docker image inspect -f '{{.Size}}' "$BASE_IMAGE" | numfmt --to=iec))"
  echo "$BASE_IMAGE"
}

main "$@"
