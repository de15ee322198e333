#!/usr/bin/env bash
# Build the Kubernetes binaries (kubeadm, kubelet, kubectl, kube-apiserver,
# kube-controller-manager, kube-scheduler, kube-proxy) from the Go module proxy.
# k8s.io/kubernetes is not meant to be required as a module: a wrapper module
# requires it and replaces every k8s.io/* staging module with its v0.X release.
# Output is cached outside the repo, keyed by version.
# Online (LKS_PROFILE=online) the released binaries are downloaded and checked against their
# published SHA-256 instead: nothing is compiled.
#   K8S_VERSION   Kubernetes version (default v1.34.4)
#   LKS_PROFILE   online = released binaries; anything else = go build (default)
#   LKS_CACHE     cache root (default: scripts/lib/common.sh)
#   GO_NICE       niceness of the compiler (default 10: the machine is shared)
# Prints the bin directory on stdout.
set -o errexit -o nounset -o pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

K8S_VERSION="${K8S_VERSION:-v1.34.4}"
GO_NICE="${GO_NICE:-10}"
BINARIES=(kubeadm kubelet kubectl kube-apiserver kube-controller-manager kube-scheduler kube-proxy)

main() {
  local out="$LKS_CACHE/k8s/$K8S_VERSION/bin" src="$LKS_CACHE/go-src/k8s-$K8S_VERSION" b missing=()
  for b in "${BINARIES[@]}"; do [ -x "$out/$b" ] || missing+=("$b"); done
  if [ "${#missing[@]}" -eq 0 ]; then
    log "kubernetes $K8S_VERSION binaries cached in $out"; echo "$out"; return 0
  fi
  build_lock "k8s-$K8S_VERSION"
  missing=()
  for b in "${BINARIES[@]}"; do [ -x "$out/$b" ] || missing+=("$b"); done
  if [ "${#missing[@]}" -eq 0 ]; then
    log "kubernetes $K8S_VERSION binaries cached in $out (built meanwhile)"; echo "$out"; return 0
  fi
  if [ "${LKS_PROFILE:-offline}" = online ]; then
    local url="https://dl.k8s.io/release/$K8S_VERSION/bin/linux/amd64"
    for b in "${missing[@]}"; do
      "$(dirname "${BASH_SOURCE[0]}")/release-binary.sh" "$url/$b" "$url/$b.sha256" "$out/$b"
    done
    echo "$out"; return 0
  fi
  need go "install Go >= 1.24 (https://go.dev/dl) or Debian's golang-go"
  mkdir -p "$out" "$src"
  local staging minor="${K8S_VERSION#v1.}"; minor="v0.${minor}"
  staging=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | jq -r .GoMod \
    | xargs grep -E '=> \./staging' | awk '{print $1}')
  {
    echo "module lks.local/k8s-build"
    echo
    echo "go 1.24"
    echo
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo
    for m in $staging; do echo "replace $m => $m $minor"; done
  } >"$src/go.mod"
  local major=1 minor_num ldflags
  minor_num=$(echo "$K8S_VERSION" | cut -d. -f2)
  ldflags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor_num"
    ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z -X $pkg.gitCommit=0000000000000000000000000000000000000000"
  done
  cd "$src"
  for b in "${missing[@]}"; do
    log "go build $b $K8S_VERSION (cold: several minutes each on 2 cores)"
    CGO_ENABLED=0 GOFLAGS=-mod=mod nice -n "$GO_NICE" \
      go build -trimpath -ldflags "$ldflags" -o "$out/$b.tmp" "k8s.io/kubernetes/cmd/$b"
    mv "$out/$b.tmp" "$out/$b"
  done
  "$out/kubeadm" version -o short >&2
  echo "$out"
}

main "$@"
