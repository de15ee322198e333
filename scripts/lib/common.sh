#!/usr/bin/env bash
# Shared helpers for the project's scripts. Source it; it defines functions only.
#   LKS_CACHE   cache dir outside the repo for slow builds (default /var/cache/laravel-k8s-showcase)

REPO_ROOT="${REPO_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
LKS_CACHE="${LKS_CACHE:-/var/cache/laravel-k8s-showcase}"
export REPO_ROOT LKS_CACHE

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# need CMD "how to install it" -> one line and exit 1 when missing
need() {
  command -v "$1" >/dev/null 2>&1 || die "$1 not found: $2"
}

# as_root CMD... -> run as root (directly when already root, sudo otherwise)
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# apt_install PKG... -> install the Debian packages that are missing, quietly
apt_install() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  log "apt-get install ${missing[*]}"
  if [ ! -f /var/lib/apt/lists/.lks-updated ] || [ -n "$(find /var/lib/apt/lists/.lks-updated -mmin +720)" ]; then
    as_root apt-get update -qq
    as_root touch /var/lib/apt/lists/.lks-updated
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# wait_for SECONDS DESCRIPTION CMD... -> poll CMD until it succeeds or the deadline passes
wait_for() {
  local deadline=$(( $(date +%s) + $1 )) what="$2"; shift 2
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || die "timed out waiting for ${what}"
    sleep 1
  done
}
