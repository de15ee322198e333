#!/usr/bin/env bash
# Shared helpers for the project's scripts. Source it; it defines functions only. A script
# follows kind's hack/ style: a header comment that lists its settings (it is the --help), strict
# bash, `source` this file, its settings through `settings`, functions, then `main "$@"`:
#   set -o errexit -o nounset -o pipefail
#   source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
#   settings KUBECTL=kubectl LKS_ROLLOUT_TIMEOUT=120
#   main() { ...; }
#   main "$@"
#   LKS_CACHE   cache dir outside the repo for slow builds (default /var/cache/laravel-k8s-showcase
#               as root, ${XDG_CACHE_HOME:-$HOME/.cache}/laravel-k8s-showcase otherwise)
#   DEBIAN_MIRROR  Debian archive for debootstrap (default: the one of this machine's apt sources)

REPO_ROOT="${REPO_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
if [ -z "${LKS_CACHE:-}" ]; then
  if [ "$(id -u)" -eq 0 ]; then
    LKS_CACHE=/var/cache/laravel-k8s-showcase
  else
    LKS_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/laravel-k8s-showcase"
  fi
fi
export REPO_ROOT LKS_CACHE

# settings NAME=DEFAULT... -> every NAME keeps the non-empty value the environment gave it, else
# takes DEFAULT (what `NAME="${NAME:-DEFAULT}"` does, once for all scripts). DEFAULT is expanded
# by the caller, so a default that uses another setting goes in a later `settings` call.
settings() {
  local pair name
  for pair in "$@"; do
    name="${pair%%=*}"
    [[ "$pair" == *=* && "$name" =~ ^[A-Z_][A-Z0-9_]*$ ]] || die "settings: not NAME=DEFAULT: $pair"
    [ -n "${!name:-}" ] || printf -v "$name" '%s' "${pair#*=}"
  done
}

# find_tool NAME [CANDIDATE...] -> the path of the first executable CANDIDATE (the project's cached
# builds), else NAME on PATH; nothing and status 1 when neither exists (then `need` says how to get it)
find_tool() {
  local name="$1" candidate
  shift
  for candidate in "$@"; do
    if [ -x "$candidate" ]; then echo "$candidate"; return 0; fi
  done
  command -v "$name"
}

# cluster_settings -> the pinned versions (scripts/cluster/versions.sh) and the kind cluster of the
# k8s tier: LKS_CLUSTER_NAME (default lks), LKS_KUBECONFIG (default
# $LKS_CACHE/cluster/<name>/kubeconfig), KIND and KUBECTL (the cached kind and kubectl builds, else
# the ones on PATH; empty when there is none)
cluster_settings() {
  # shellcheck source=scripts/cluster/versions.sh
  source "$REPO_ROOT/scripts/cluster/versions.sh"
  settings LKS_CLUSTER_NAME=lks
  settings "LKS_KUBECONFIG=$LKS_CACHE/cluster/$LKS_CLUSTER_NAME/kubeconfig" \
    "KIND=$(find_tool kind "$LKS_CACHE/go-tools/kind-$KIND_VERSION/kind" || true)" \
    "KUBECTL=$(find_tool kubectl "$LKS_CACHE/k8s/$K8S_VERSION/bin/kubectl" || true)"
}

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# build_lock NAME -> holds $LKS_CACHE/locks/NAME.lock (fd 9) until build_unlock or exit, so two
# processes that need the same cached build (.ci/run's background scripts/prebuild.sh and the step
# that needs the program) compile it once: the second one waits, then finds it in the cache
build_lock() {
  mkdir -p "$LKS_CACHE/locks"
  exec 9>"$LKS_CACHE/locks/$1.lock"
  if ! flock -n 9; then
    log "waiting for $1: another process is building it ($LKS_CACHE/locks/$1.lock)"
    flock 9
  fi
}
build_unlock() { exec 9>&-; }

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

# debian_mirror [APT_DIR] -> the Debian archive this machine's apt uses (first `deb` source of a
# Debian suite in APT_DIR/sources.list, sources.list.d/*.list and deb822 *.sources; security
# archives skipped). DEBIAN_MIRROR overrides it. No host name is built in: behind a company
# mirror or a CI cache the images are bootstrapped from that mirror.
debian_mirror() {
  local dir="${1:-/etc/apt}" files=() f uri
  if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; return 0; fi
  [ -f "$dir/sources.list" ] && files+=("$dir/sources.list")
  for f in "$dir"/sources.list.d/*.list "$dir"/sources.list.d/*.sources; do
    [ -f "$f" ] && files+=("$f")
  done
  [ "${#files[@]}" -gt 0 ] && uri=$(awk '
    function debian(suite) { return suite ~ /^(buster|bullseye|bookworm|trixie|forky|duke|sid|oldstable|stable|testing|unstable)(-updates|-backports)?$/ }
    function found(uri) { print uri; done = 1; exit }
    function flush() {
      if (done) return
      if (types ~ /(^|[ \t])deb([ \t]|$)/ && enabled != "no") {
        n = split(suites, s, /[ \t]+/); m = split(uris, u, /[ \t]+/)
        for (i = 1; i <= n; i++) if (debian(s[i])) for (j = 1; j <= m; j++) if (u[j] != "") found(u[j])
      }
      types = uris = suites = enabled = ""
    }
    FNR == 1 { flush() }
    FILENAME ~ /\.sources$/ {
      if ($0 ~ /^[ \t]*$/) { flush(); next }
      if ($0 ~ /^#/) next
      key = tolower($1); sub(/:$/, "", key); val = $0; sub(/^[^:]*:[ \t]*/, "", val)
      if (key == "types") types = val; else if (key == "uris") uris = val
      else if (key == "suites") suites = val; else if (key == "enabled") enabled = tolower(val)
      next
    }
    $1 == "deb" {
      k = 2; if ($k ~ /^\[/) { while (k <= NF && $k !~ /\]$/) k++; k++ }
      if (debian($(k + 1))) found($k)
    }
    END { flush() }
  ' "${files[@]}")
  [ -n "${uri:-}" ] || die "no Debian archive in the apt sources of $dir (sources.list, sources.list.d/*.list, *.sources): set DEBIAN_MIRROR"
  echo "${uri%/}"
}

# registry_hosts -> the registry names the profile probes, space-separated: LKS_REGISTRY_HOSTS when
# set, else the host of the Docker engine's own default registry (`docker info`'s
# IndexServerAddress: no registry name is written here); nothing without an engine. The suite asks
# the same way: suite/registry.py.
registry_hosts() {
  if [ -n "${LKS_REGISTRY_HOSTS:-}" ]; then echo "$LKS_REGISTRY_HOSTS"; return 0; fi
  local address
  address=$(docker info --format '{{.IndexServerAddress}}' 2>/dev/null) || return 0
  address=${address#*://}
  echo "${address%%/*}"
}

# registry_reachable -> 0 when one of registry_hosts resolves (DNS only: no packet to the registry)
registry_reachable() { local h; for h in $(registry_hosts); do getent hosts "$h" >/dev/null 2>&1 && return 0; done; return 1; }

# wait_for SECONDS DESCRIPTION CMD... -> poll CMD until it succeeds or the deadline passes
wait_for() {
  local deadline=$(( $(date +%s) + $1 )) what="$2"; shift 2
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || die "timed out waiting for ${what}"
    sleep 1
  done
}
