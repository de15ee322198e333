#!/usr/bin/env bash
# Online profile: download one released binary and check it against the SHA-256 its project
# publishes next to it, instead of compiling it from the Go module proxy (the offline path).
#   usage: release-binary.sh URL SHA256_URL DEST
# The first field of the checksum file is the digest (kind's "<hex>  <name>" and Kubernetes'
# bare "<hex>" both work). DEST is written atomically and made executable.
set -o errexit -o nounset -o pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

main() {
  [ "$#" -eq 3 ] || die "usage: $0 URL SHA256_URL DEST"
  local url="$1" sum_url="$2" dest="$3" want got
  need curl "apt-get install curl"
  mkdir -p "$(dirname "$dest")"
  want=$(curl -fsSL --retry 3 "$sum_url" | awk '{print $1; exit}') || die "could not fetch $sum_url"
  [[ "$want" =~ ^[0-9a-f]{64}$ ]] || die "no SHA-256 in $sum_url"
  curl -fsSL --retry 3 -o "$dest.tmp" "$url" || die "could not download $url"
  got=$(sha256sum "$dest.tmp" | awk '{print $1}')
  [ "$got" = "$want" ] || { rm -f "$dest.tmp"; die "checksum mismatch for $url: $got, published $want"; }
  chmod 0755 "$dest.tmp"
  mv "$dest.tmp" "$dest"
  log "downloaded $(basename "$dest") from its release ($url)"
}

main "$@"
