#!/usr/bin/env bash
# Generate the CA the test suite trusts and the two server certificates it signs, once, outside
# the repo, so a client can tell which one it was served:
#   tls.crt      Traefik's default certificate (SANs localhost, *.localhost, 127.0.0.1): served
#                for every host no Ingress TLS secret covers
#   ingress.crt  the app Ingress's own certificate, its own key pair (SANs: the Ingress hosts of
#                k8s/base and k8s/overlays/comparison only, localhost, fpm.localhost, swoole.localhost):
#                scripts/deploy.sh puts it in the Ingress TLS secrets
# A certificate is regenerated when missing, expiring within 7 days, not signed by the CA or
# with other SANs; a new CA re-issues both. Nothing here is committed.
#   LKS_PKI_DIR   output directory (default $LKS_CACHE/cluster/pki)
# Files: ca.crt, ca.key, tls.crt, tls.key, ingress.crt, ingress.key. Prints the directory on stdout.
set -o errexit -o nounset -o pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

LKS_PKI_DIR="${LKS_PKI_DIR:-$LKS_CACHE/cluster/pki}"

valid() { [ -s "$1" ] && openssl x509 -in "$1" -noout -checkend $((7 * 24 * 3600)) >/dev/null 2>&1; }

TRAEFIK_SANS="DNS:localhost,DNS:*.localhost,IP:127.0.0.1"
INGRESS_SANS="DNS:localhost,DNS:fpm.localhost,DNS:swoole.localhost"

# sans CERT -> its subjectAltName as "DNS:a,DNS:b,IP:1.2.3.4"
sans() {
  openssl x509 -in "$1" -noout -ext subjectAltName 2>/dev/null | tail -n +2 | sed 's/IP Address:/IP:/g; s/[[:space:]]//g'
}

# leaf_valid NAME SANS -> NAME.crt is valid, signed by the CA, has these SANs, and NAME.key exists
leaf_valid() {
  valid "$LKS_PKI_DIR/$1.crt" && [ -s "$LKS_PKI_DIR/$1.key" ] && [ "$(sans "$LKS_PKI_DIR/$1.crt")" = "$2" ] \
    && openssl verify -CAfile "$LKS_PKI_DIR/ca.crt" "$LKS_PKI_DIR/$1.crt" >/dev/null 2>&1
}

# issue NAME CN SANS -> NAME.key (a new P-256 key pair) and NAME.crt signed by the CA
issue() {
  local d="$LKS_PKI_DIR" name="$1" cn="$2"
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj "/O=laravel-k8s-showcase/CN=$cn" -keyout "$d/$name.key" -out "$d/$name.csr" 2>/dev/null
  printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
    "extendedKeyUsage=serverAuth" "subjectAltName=$3" >"$d/$name.ext"
  # a random serial per certificate (no shared serial file): the two leaves never share one
  openssl x509 -req -in "$d/$name.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -set_serial "0x$(openssl rand -hex 16)" \
    -days 397 -extfile "$d/$name.ext" -out "$d/$name.crt" 2>/dev/null
  rm -f "$d/$name.csr" "$d/$name.ext"
  chmod 0644 "$d/$name.crt"
  openssl verify -CAfile "$d/ca.crt" "$d/$name.crt" >/dev/null || die "generated $name.crt does not verify against the CA"
}

main() {
  need openssl "apt-get install openssl"
  local d="$LKS_PKI_DIR" issued=""
  mkdir -p "$d"
  umask 077
  if ! valid "$d/ca.crt" || [ ! -s "$d/ca.key" ]; then
    log "generating the suite's CA in $d"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 825 \
      -subj "/O=laravel-k8s-showcase/CN=laravel-k8s-showcase test CA" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
      -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null
    chmod 0644 "$d/ca.crt"
    rm -f "$d/tls.crt" "$d/ingress.crt"
  fi
  # tls: Traefik's default certificate; ingress: the app Ingress's certificate
  leaf_valid tls "$TRAEFIK_SANS" || { issue tls "localhost (Traefik default)" "$TRAEFIK_SANS"; issued+=" tls"; }
  leaf_valid ingress "$INGRESS_SANS" || { issue ingress "localhost (laravel-app Ingress)" "$INGRESS_SANS"; issued+=" ingress"; }
  if [ -n "$issued" ]; then log "issued${issued} in $d"; else log "ingress CA and certificates cached in $d"; fi
  echo "$d"
}

main "$@"
