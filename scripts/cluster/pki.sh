#!/usr/bin/env bash
# Generate the CA the test suite trusts and the ingress certificate it signs (SANs localhost,
# *.localhost, 127.0.0.1), once, outside the repo. Regenerated when missing or expiring
# within 7 days. Nothing here is committed.
#   LKS_PKI_DIR   output directory (default $LKS_CACHE/cluster/pki)
# Files: ca.crt, ca.key, tls.crt, tls.key. Prints the directory on stdout.
set -o errexit -o nounset -o pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

LKS_PKI_DIR="${LKS_PKI_DIR:-$LKS_CACHE/cluster/pki}"

valid() { [ -s "$1" ] && openssl x509 -in "$1" -noout -checkend $((7 * 24 * 3600)) >/dev/null 2>&1; }

main() {
  need openssl "apt-get install openssl"
  local d="$LKS_PKI_DIR"
  mkdir -p "$d"
  if valid "$d/ca.crt" && valid "$d/tls.crt" && [ -s "$d/tls.key" ] \
    && openssl verify -CAfile "$d/ca.crt" "$d/tls.crt" >/dev/null 2>&1; then
    log "ingress CA and certificate cached in $d"; echo "$d"; return 0
  fi
  log "generating the ingress CA and certificate in $d"
  umask 077
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 825 \
    -subj "/O=laravel-k8s-showcase/CN=laravel-k8s-showcase test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj "/O=laravel-k8s-showcase/CN=localhost" -keyout "$d/tls.key" -out "$d/tls.csr" 2>/dev/null
  printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
    "extendedKeyUsage=serverAuth" "subjectAltName=DNS:localhost,DNS:*.localhost,IP:127.0.0.1" >"$d/tls.ext"
  openssl x509 -req -in "$d/tls.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -days 397 \
    -extfile "$d/tls.ext" -out "$d/tls.crt" 2>/dev/null
  rm -f "$d/tls.csr" "$d/tls.ext" "$d/ca.srl"
  chmod 0644 "$d/ca.crt" "$d/tls.crt"
  openssl verify -CAfile "$d/ca.crt" "$d/tls.crt" >/dev/null || die "generated certificate does not verify against the CA"
  echo "$d"
}

main "$@"
