#!/usr/bin/env bash
# Build one Go program of the offline cluster from the Go module proxy, cached outside the
# repo keyed by name and version: $LKS_CACHE/go-tools/<name>-<version>/<binary>.
# A wrapper module requires the program's module and repeats its non-local replace and
# exclude directives (go install ignores them, go build in the wrapper honours them), so
# modules like Traefik and etcd build without checking out their repositories.
#   usage: build-tools.sh kind|etcd|coredns|metrics-server|kube-router|traefik|crictl|pause|seaweedfs|vegeta|victoria-logs|vlagent|jaeger|kube-score|trivy|all
#   LKS_CACHE   cache root (default: scripts/lib/common.sh)
#   GO_NICE     niceness of the compiler (default 10: the machine is shared)
#   GOEXPERIMENT  passed to go build (trivy sets jsonv2 itself: it needs encoding/json/v2)
#   LKS_PROFILE online = kind is the released binary (checked against its published SHA-256),
#               not compiled; the other tools only exist in the offline node image
# Prints the directory holding the binary on stdout.
set -o errexit -o nounset -o pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
# shellcheck source=scripts/cluster/versions.sh
source "$(dirname "${BASH_SOURCE[0]}")/versions.sh"

GO_NICE="${GO_NICE:-10}"

# wrapper_build NAME VERSION MODULE PACKAGE BINARY LDFLAGS -> builds into the cache
wrapper_build() {
  local name="$1" version="$2" module="$3" package="$4" binary="$5" ldflags="$6"
  local out="$LKS_CACHE/go-tools/$name-$version" src="$LKS_CACHE/go-src/$name-$version"
  if [ -x "$out/$binary" ]; then
    log "$name $version cached in $out"; echo "$out"; return 0
  fi
  build_lock "$name-$version"
  if [ -x "$out/$binary" ]; then
    build_unlock; log "$name $version cached in $out (built meanwhile)"; echo "$out"; return 0
  fi
  local started modjson gomod
  started=$(date +%s)
  mkdir -p "$out" "$src"
  modjson=$(go mod download -json "$module@$version") || die "go mod download $module@$version failed (Go module proxy reachable?)"
  gomod=$(jq -r .GoMod <<<"$modjson")
  {
    printf 'module lks.local/%s-build\n\ngo 1.24\n\nrequire %s %s\n' "$name" "$module" "$version"
    # non-local replace and exclude directives of the program's own go.mod
    go mod edit -json "$gomod" | jq -r '
      (.Replace // [])[] | select(.New.Version != null)
      | "replace \(.Old.Path)\(if .Old.Version then " " + .Old.Version else "" end) => \(.New.Path) \(.New.Version)"'
    go mod edit -json "$gomod" | jq -r '(.Exclude // [])[] | "exclude \(.Path) \(.Version)"'
  } >"$src/go.mod"
  log "go build $name $version ($package)"
  (
    cd "$src"
    CGO_ENABLED=0 GOFLAGS=-mod=mod GOEXPERIMENT="${GOEXPERIMENT:-}" nice -n "$GO_NICE" \
      go build -trimpath -ldflags "-s -w $ldflags" -o "$out/$binary.tmp" "$package"
  ) || die "go build of $name $version failed"
  mv "$out/$binary.tmp" "$out/$binary"
  build_unlock
  log "built $name $version in $(( $(date +%s) - started )) s"
  echo "$out"
}

build_pause() {
  # The pause container is C: compile the pause.c shipped in the k8s.io/kubernetes module.
  local out="$LKS_CACHE/go-tools/pause-$PAUSE_VERSION" dir
  if [ -x "$out/pause" ]; then log "pause $PAUSE_VERSION cached in $out"; echo "$out"; return 0; fi
  need gcc "apt-get install gcc libc6-dev"
  dir=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | jq -r .Dir)
  [ -f "$dir/build/pause/linux/pause.c" ] || die "pause.c not found in k8s.io/kubernetes@$K8S_VERSION"
  mkdir -p "$out"
  gcc -Os -Wall -Werror -static -DVERSION="v$PAUSE_VERSION" -o "$out/pause" "$dir/build/pause/linux/pause.c"
  strip "$out/pause"
  log "built pause $PAUSE_VERSION"
  echo "$out"
}

build_one() {
  case "$1" in
    kind)
      if [ "${LKS_PROFILE:-offline}" = online ]; then
        local out="$LKS_CACHE/go-tools/kind-$KIND_VERSION"
        local url="https://github.com/kubernetes-sigs/kind/releases/download/$KIND_VERSION/kind-linux-amd64"
        [ -x "$out/kind" ] || "$(dirname "${BASH_SOURCE[0]}")/release-binary.sh" "$url" "$url.sha256sum" "$out/kind"
        echo "$out"; return 0
      fi
      wrapper_build kind "$KIND_VERSION" sigs.k8s.io/kind sigs.k8s.io/kind kind "" ;;
    etcd)
      wrapper_build etcd "$ETCD_VERSION" go.etcd.io/etcd/server/v3 go.etcd.io/etcd/server/v3 etcd "" ;;
    coredns)
      wrapper_build coredns "$COREDNS_VERSION" github.com/coredns/coredns github.com/coredns/coredns coredns "" ;;
    metrics-server)
      # no component-base version ldflag: metrics-server would then emulate "Kubernetes 0.8" and
      # leave metrics.k8s.io/v1beta1 unserved (404)
      wrapper_build metrics-server "$METRICS_SERVER_VERSION" sigs.k8s.io/metrics-server \
        sigs.k8s.io/metrics-server/cmd/metrics-server metrics-server "" ;;
    kube-router)
      wrapper_build kube-router "$KUBE_ROUTER_VERSION" github.com/cloudnativelabs/kube-router/v2 \
        github.com/cloudnativelabs/kube-router/v2/cmd/kube-router kube-router \
        "-X github.com/cloudnativelabs/kube-router/v2/pkg/version.Version=$KUBE_ROUTER_VERSION" ;;
    traefik)
      wrapper_build traefik "$TRAEFIK_VERSION" github.com/traefik/traefik/v3 \
        github.com/traefik/traefik/v3/cmd/traefik traefik \
        "-X github.com/traefik/traefik/v3/pkg/version.Version=$TRAEFIK_VERSION" ;;
    crictl)
      wrapper_build crictl "$CRICTL_VERSION" sigs.k8s.io/cri-tools sigs.k8s.io/cri-tools/cmd/crictl crictl \
        "-X sigs.k8s.io/cri-tools/pkg/version.Version=$CRICTL_VERSION" ;;
    pause) build_pause ;;
    seaweedfs)
      # the uploads' object store (scripts/build-go-image.sh); not part of `all`
      wrapper_build seaweedfs "$SEAWEEDFS_VERSION" github.com/seaweedfs/seaweedfs \
        github.com/seaweedfs/seaweedfs/weed weed "" ;;
    vegeta)
      # the benchmark's load generator (benchmarks/bench.py); not part of `all`
      wrapper_build vegeta "$VEGETA_VERSION" github.com/tsenart/vegeta/v12 github.com/tsenart/vegeta/v12 vegeta \
        "-X main.Version=$VEGETA_VERSION" ;;
    victoria-logs|vlagent)
      # the log store and its collector DaemonSet (scripts/build-go-image.sh, k8s/telemetry); one
      # module: the second one reuses the first one's compiled packages
      wrapper_build "$1" "$VICTORIALOGS_VERSION" github.com/VictoriaMetrics/VictoriaLogs \
        "github.com/VictoriaMetrics/VictoriaLogs/app/$1" "$1" \
        "-X github.com/VictoriaMetrics/VictoriaMetrics/lib/buildinfo.Version=$1-$VICTORIALOGS_VERSION" ;;
    jaeger)
      # the trace store: Jaeger v1's all-in-one (collector with OTLP receivers, query API and UI,
      # in-memory storage) (scripts/build-go-image.sh, k8s/telemetry)
      wrapper_build jaeger "$JAEGER_VERSION" github.com/jaegertracing/jaeger \
        github.com/jaegertracing/jaeger/cmd/all-in-one jaeger-all-in-one \
        "-X github.com/jaegertracing/jaeger/internal/version.latestVersion=$JAEGER_VERSION" ;;
    kube-score)
      # the static tier's manifest scanner (tests/static/test_security_scanners.py); not part of `all`
      wrapper_build kube-score "$KUBE_SCORE_VERSION" github.com/zegl/kube-score \
        github.com/zegl/kube-score/cmd/kube-score kube-score "-X main.version=${KUBE_SCORE_VERSION#v}" ;;
    trivy)
      # `trivy config` with its embedded checks (make scan, the security workflow); not part of
      # `all`, not in scripts/prebuild.sh: its cold build is too slow for a cold .ci/run (docs/SECURITY.md)
      GOEXPERIMENT=jsonv2 wrapper_build trivy "$TRIVY_VERSION" github.com/aquasecurity/trivy \
        github.com/aquasecurity/trivy/cmd/trivy trivy \
        "-X github.com/aquasecurity/trivy/pkg/version/app.ver=${TRIVY_VERSION#v}" ;;
    *) die "unknown tool '$1' (kind|etcd|coredns|metrics-server|kube-router|traefik|crictl|pause|seaweedfs|vegeta|victoria-logs|vlagent|jaeger|kube-score|trivy|all)" ;;
  esac
}

main() {
  [ "$#" -eq 1 ] || die "usage: $0 kind|etcd|coredns|metrics-server|kube-router|traefik|crictl|pause|seaweedfs|vegeta|victoria-logs|vlagent|jaeger|kube-score|trivy|all"
  if [ "$1" = kind ] && [ "${LKS_PROFILE:-offline}" = online ]; then build_one kind; return; fi
  need go "install Go >= 1.24 (https://go.dev/dl) or Debian's golang-go"
  need jq "apt-get install jq"
  if [ "$1" = all ]; then
    local t
    for t in kind pause crictl etcd coredns metrics-server kube-router traefik; do build_one "$t" >/dev/null; done
  else
    build_one "$1"
  fi
}

main "$@"
