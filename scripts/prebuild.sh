#!/usr/bin/env bash
# Compile the slow Go programs a cold run needs later, ahead of time and at the lowest CPU
# priority: kube-score first (the static tier's manifest scanner, needed within minutes), the
# uploads' store (`weed`) and the benchmark's vegeta (both needed by the container
# tier), then, offline, the Kubernetes binaries and the cluster's tools (needed by `make
# cluster`), last the log store, its collector and the trace store (needed by the k8s tier's
# telemetry fixture, k8s/telemetry). .ci/run starts it in the
# background before `make test`, so the compiles use the CPU the tests leave idle instead of
# adding their minutes one after the other. Whoever needs one of these programs meanwhile waits
# for it (build_lock in scripts/lib/common.sh) rather than compiling it a second time; a program
# already cached costs nothing. Needs Go and jq (scripts/setup.sh installs them).
#   PREBUILD_NICE  niceness of the compiles (default 19: the tests' containers keep the CPU)
#   LKS_PROFILE    online | offline (default: as scripts/cluster/up.sh decides: online when a
#                  registry name resolves); online all but the cluster's binaries (downloaded)
#   LKS_CACHE      cache root (default: scripts/lib/common.sh)
set -o errexit -o nounset -o pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

settings PREBUILD_NICE=19

# step NAME CMD... -> runs one build, logs its time; a failure is logged and the next one runs
# (the step that needs the program builds it again and reports the error where it matters)
step() {
  local name="$1" started=$SECONDS
  shift
  if "$@" >/dev/null; then
    log "prebuild: $name ready after $((SECONDS - started)) s"
  else
    log "prebuild: $name failed after $((SECONDS - started)) s (its consumer will build it)"
  fi
}

main() {
  need go "install Go >= 1.24 (scripts/setup.sh)"
  need flock "apt-get install util-linux"
  export GO_NICE="$PREBUILD_NICE"
  local cluster="$REPO_ROOT/scripts/cluster" started=$SECONDS profile="${LKS_PROFILE:-auto}"
  if [ "$profile" = auto ]; then
    if registry_reachable; then profile=online; else profile=offline; fi
  fi
  # trivy is not here: its cold compile (2.7 GB of modules, docs/SECURITY.md) would
  # outlast the run; `make scan` builds it (docs/SECURITY.md)
  step kube-score "$cluster/build-tools.sh" kube-score
  step weed "$cluster/build-tools.sh" seaweedfs
  step vegeta "$cluster/build-tools.sh" vegeta
  if [ "$profile" != online ]; then
    # in the order `make cluster` asks for them: kind, the Kubernetes binaries, then the add-ons
    step kind "$cluster/build-tools.sh" kind
    step kubernetes "$cluster/build-k8s.sh"
    step "cluster tools" "$cluster/build-tools.sh" all
  fi
  # one module for the first two: the second one mostly links
  step victoria-logs "$cluster/build-tools.sh" victoria-logs
  step vlagent "$cluster/build-tools.sh" vlagent
  step jaeger "$cluster/build-tools.sh" jaeger
  log "prebuild done in $((SECONDS - started)) s"
}

main "$@"
