#!/usr/bin/env bash
# Demo 2, a zero-downtime rollout watched from outside (DEMO.md), on the local kind cluster:
#   scripts/demo/rollout.sh VERSION [--broken]        (make demo-rollout VERSION=2.0.0 [BROKEN=1])
#   1. builds the app images of VERSION (scripts/build-images.sh --version VERSION: the layer
#      cache makes it seconds, APP_VERSION=VERSION is baked in). --broken: the web image of
#      VERSION is the bare Debian base instead (no app in it, its pods never start), the other
#      images of the release are the running version's, so its migrations still run
#   2. starts a probe loop through the Ingress on 127.0.0.1 (curl -w @benchmarks/curl-format.txt,
#      one request every PROBE_INTERVAL s, at most PROBE_MAX_REQUESTS requests and
#      PROBE_MAX_SECONDS s)
#   3. deploys VERSION with scripts/deploy.sh, which loads the images into kind (kind load) and
#      rolls the web tier; a broken release is rolled back by deploy.sh (exit 3)
#   4. probes PROBE_TAIL s more, stops the loop and draws DEMO_OUT/rollout-VERSION.png
#      (requests/s, failures and latency over time, the rollout marked, the failed-request count
#      in the title; benchmarks/timeline.py) with its summary beside it (.json)
# The cluster must be up (make cluster, or make verify) and the app deployed; when it is not
# deployed, the app's current version (app/VERSION) is deployed first. Exit: 0 when the demo
# showed what it promises (the rollout served every probe; with --broken: rolled back, every
# probe served by the old version), 1 otherwise, with the reason.
# Settings (env):
#   VARIANT            fpm (default) or swoole (its image must exist: the online profile)
#   LKS_CLUSTER_NAME   the kind cluster (default lks; its kubeconfig LKS_KUBECONFIG)
#   PROBE_PATH         what the probe asks for (default /api/ping)
#   PROBE_INTERVAL     seconds between two probes (default 0.05: ~15 requests/s with curl's own time)
#   PROBE_MAX_SECONDS  bound of the probe loop (default 300)
#   PROBE_MAX_REQUESTS bound of the probe loop (default 6000)
#   PROBE_TAIL         seconds probed after the deploy returned (default 5)
#   LKS_ROLLOUT_TIMEOUT seconds before deploy.sh rolls back a rollout (default 90)
#   LKS_DB_STORAGE     deploy.sh's pvc or ephemeral (default: ephemeral when the default
#                      StorageClass is kind's legacy host-path one, which a non-root MariaDB cannot
#                      write, as on the offline node image; pvc otherwise: what the k8s tier does)
#   DEMO_OUT           where the PNG, its summary and the logs go (default artifacts/demo)
#   LKS_PYTHON         the suite's Python, for the timeline (default .venv/bin/python)
set -o errexit -o nounset -o pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

cluster_settings
settings VARIANT=fpm PROBE_PATH=/api/ping PROBE_INTERVAL=0.05 PROBE_MAX_SECONDS=300 PROBE_MAX_REQUESTS=6000
settings PROBE_TAIL=5 LKS_ROLLOUT_TIMEOUT=90 "DEMO_OUT=$REPO_ROOT/artifacts/demo" "LKS_PYTHON=$REPO_ROOT/.venv/bin/python"
CA="$LKS_CACHE/cluster/pki/ca.crt"
FORMAT="$REPO_ROOT/benchmarks/curl-format.txt"
NAMESPACE=laravel
WEB=laravel-app
PROBE_PID=""
WORK=""
IMAGES=()

usage() { sed -n '2,/^set -o/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }

cleanup() {
  [ -z "$PROBE_PID" ] || kill "$PROBE_PID" 2>/dev/null || true
  [ -z "$WORK" ] || rm -rf "$WORK"
}

event() { printf '%s %s\n' "$(date +%s.%N)" "$*" >>"$EVENTS"; log "$*"; }

# probe_loop URL PORT -> one line per request on stdout: EPOCH + the fields of curl-format.txt
probe_loop() {
  local url="$1" port="$2" end=$((SECONDS + PROBE_MAX_SECONDS)) n=0
  while [ ! -e "$WORK/stop" ] && [ "$SECONDS" -lt "$end" ] && [ "$n" -lt "$PROBE_MAX_REQUESTS" ]; do
    printf '%s ' "$(date +%s.%N)"
    # curl prints the -w line on errors too (code=000, error=curl's exit code)
    curl -s -o /dev/null --max-time 5 --cacert "$CA" --resolve "localhost:$port:127.0.0.1" \
      -w "@$FORMAT" "$url" || true
    n=$((n + 1))
    sleep "$PROBE_INTERVAL"
  done
}

# https_port -> the 127.0.0.1 port kind maps to the control-plane node's 443 (Traefik's websecure)
https_port() {
  local mapped
  mapped=$(docker port "$LKS_CLUSTER_NAME-control-plane" 443/tcp 2>/dev/null | head -n1) \
    || die "no kind node $LKS_CLUSTER_NAME-control-plane: make cluster (or make verify) first"
  [ -n "$mapped" ] || die "$LKS_CLUSTER_NAME-control-plane maps no host port to 443"
  echo "${mapped##*:}"
}

# db_storage -> what LKS_DB_STORAGE deploy.sh gets (see the settings)
db_storage() {
  local provisioner
  provisioner=$("$KUBECTL" get storageclass -o \
    jsonpath='{range .items[?(@.metadata.annotations.storageclass\.kubernetes\.io/is-default-class=="true")]}{.provisioner}{end}')
  if [ "$provisioner" = kubernetes.io/host-path ]; then echo ephemeral; else echo pvc; fi
}

images_of() { # images_of VARIANT -> IMAGES: the app images a deploy of VARIANT runs
  if [ "$1" = fpm ]; then IMAGES=(fpm nginx worker); else IMAGES=(swoole worker); fi
}

# schedulable_nodes -> the nodes without a NoSchedule taint other than a cordon's, comma-separated
# (the app's pods land only there: kind's control-plane is tainted), so that an image is imported
# where it can run, a cordoned node included (it is schedulable again after its uncordon)
schedulable_nodes() {
  "$KUBECTL" get nodes -o json \
    | jq -r '[.items[] | select([(.spec.taints // [])[]
               | select(.effect == "NoSchedule" and .key != "node.kubernetes.io/unschedulable")] | length == 0)
             | .metadata.name] | join(",")'
}

deploy() { # deploy VERSION -> scripts/deploy.sh with the images loaded into kind; its exit code
  local rc=0 nodes
  nodes=$(schedulable_nodes)
  [ -n "$nodes" ] || die "no schedulable node in the cluster"
  LKS_LOAD_IMAGE="$KIND load docker-image --name $LKS_CLUSTER_NAME --nodes $nodes" KUBECTL="$KUBECTL" \
    LKS_ROLLOUT_TIMEOUT="$LKS_ROLLOUT_TIMEOUT" LKS_DB_STORAGE="$LKS_DB_STORAGE" \
    "$REPO_ROOT/scripts/deploy.sh" "$1" --variant "$VARIANT" >"$DEMO_OUT/deploy-$1.log" 2>&1 || rc=$?
  return "$rc"
}

# timings_events T0 LOG -> the rollout's milestones from deploy.sh's deploy-timings line as events
timings_events() {
  local t0="$1" line prepare migrate rollout rollback result start
  line=$(grep '^deploy-timings:' "$2" | tail -n1) || return 0
  for pair in $line; do
    case "$pair" in
      prepare=*) prepare=${pair#*=} ;; migrate=*) migrate=${pair#*=} ;;
      rollout=*) rollout=${pair#*=} ;; rollback=*) rollback=${pair#*=} ;; result=*) result=${pair#*=} ;;
    esac
  done
  start=$(awk -v a="$t0" -v b="$prepare" -v c="$migrate" 'BEGIN { printf "%.3f", a + b + c }')
  printf '%s %s\n' "$start" "web rollout to $VERSION" >>"$EVENTS"
  if [ "$result" = deployed ]; then
    awk -v a="$start" -v b="$rollout" 'BEGIN { printf "%.3f rollout complete\n", a + b }' >>"$EVENTS"
  else
    awk -v a="$start" -v b="$rollout" 'BEGIN { printf "%.3f failure detected: rollout undo\n", a + b }' >>"$EVENTS"
    awk -v a="$start" -v b="$rollout" -v c="$rollback" 'BEGIN { printf "%.3f rolled back\n", a + b + c }' >>"$EVENTS"
  fi
}

main() {
  local broken=0 arg port current rc=0 t0 title summary failed
  VERSION=""
  for arg in "$@"; do
    case "$arg" in
      --broken) broken=1 ;;
      -h | --help) usage; exit 0 ;;
      -*) die "unknown option $arg (scripts/demo/rollout.sh VERSION [--broken])" ;;
      *) [ -z "$VERSION" ] || die "one VERSION only"; VERSION="${arg#v}" ;;
    esac
  done
  [ -n "$VERSION" ] || die "usage: scripts/demo/rollout.sh VERSION [--broken] (e.g. 2.0.0)"
  [[ "$VERSION" =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$ ]] || die "VERSION $VERSION is not an image tag"
  [ -f "$LKS_KUBECONFIG" ] || die "no kubeconfig $LKS_KUBECONFIG: make cluster (or make verify) first"
  [ -n "$KIND" ] && [ -n "$KUBECTL" ] || die "kind or kubectl not built: make cluster first"
  [ -x "$LKS_PYTHON" ] || die "$LKS_PYTHON missing: make setup first"
  export KUBECONFIG="$LKS_KUBECONFIG"
  mkdir -p "$DEMO_OUT"
  WORK=$(mktemp -d)
  trap cleanup EXIT
  EVENTS="$WORK/events" PROBES="$DEMO_OUT/rollout-$VERSION.probes"
  : >"$EVENTS"
  port=$(https_port)
  images_of "$VARIANT"
  [ -n "${LKS_DB_STORAGE:-}" ] || LKS_DB_STORAGE=$(db_storage)
  current=$(cat "$REPO_ROOT/app/VERSION")

  if ! "$KUBECTL" -n "$NAMESPACE" get deployment "$WEB" >/dev/null 2>&1; then
    log "the app is not deployed: deploying $current first"
    "$REPO_ROOT/scripts/build-images.sh" --version "$current" "${IMAGES[@]}" >&2
    deploy "$current" || die "deploying $current failed: $DEMO_OUT/deploy-$current.log"
  fi
  current=$("$KUBECTL" -n "$NAMESPACE" get deployment "$WEB" -o jsonpath='{.spec.template.metadata.labels.app\.kubernetes\.io/version}')
  [ "$current" != "$VERSION" ] || die "$VERSION is already deployed: pick another VERSION"

  log "1. the release $VERSION$([ "$broken" = 0 ] || echo ' (broken: its web image has no app)')"
  if [ "$broken" = 0 ]; then
    "$REPO_ROOT/scripts/build-images.sh" --version "$VERSION" "${IMAGES[@]}" >&2
  else
    local base name
    base=$(docker images --format '{{.Repository}}:{{.Tag}}' | grep -m1 -E '^(lks/debian-base|debian):' || true)
    [ -n "$base" ] || die "no Debian base image to make a broken release of (scripts/base-image.sh builds it)"
    for name in "${IMAGES[@]}"; do
      if [ "$name" = "$VARIANT" ]; then
        docker tag "$base" "laravel-k8s-showcase/$name:$VERSION"
      else
        docker tag "laravel-k8s-showcase/$name:$current" "laravel-k8s-showcase/$name:$VERSION" \
          || die "laravel-k8s-showcase/$name:$current missing: make build first"
      fi
    done
  fi

  log "2. probing https://localhost:$port$PROBE_PATH (127.0.0.1) every ${PROBE_INTERVAL}s: $PROBES"
  probe_loop "https://localhost:$port$PROBE_PATH" "$port" >"$PROBES" &
  PROBE_PID=$!
  sleep 3
  [ -s "$PROBES" ] || die "the probe loop got no line in 3 s: is curl installed?"

  log "3. scripts/deploy.sh $VERSION --variant $VARIANT (log: $DEMO_OUT/deploy-$VERSION.log)"
  t0=$(date +%s.%N)
  event "deploy.sh $VERSION"
  deploy "$VERSION" || rc=$?
  timings_events "$t0" "$DEMO_OUT/deploy-$VERSION.log"
  event "deploy.sh exit $rc"
  sleep "$PROBE_TAIL"
  touch "$WORK/stop"
  wait "$PROBE_PID" || true
  PROBE_PID=""
  cp "$EVENTS" "$DEMO_OUT/rollout-$VERSION.events"

  log "4. the timeline: $DEMO_OUT/rollout-$VERSION.png"
  title="$VARIANT: rollout $current -> $VERSION"
  [ "$broken" = 0 ] || title="$VARIANT: broken release $VERSION, automatic rollback"
  summary=$("$LKS_PYTHON" -m benchmarks.timeline "$PROBES" "$DEMO_OUT/rollout-$VERSION.events" \
    "$DEMO_OUT/rollout-$VERSION.png" --title "$title") || die "could not draw the timeline"
  failed=$(printf '%s' "$summary" | "$LKS_PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["failed"])')
  log "$summary"
  if [ "$broken" = 1 ]; then
    [ "$rc" = 3 ] || die "the broken release was not rolled back (deploy.sh exit $rc, expected 3): $DEMO_OUT/deploy-$VERSION.log"
    log "rolled back to $current; $failed probe(s) failed"
  else
    [ "$rc" = 0 ] || die "deploy.sh $VERSION exited $rc: $DEMO_OUT/deploy-$VERSION.log"
    log "deployed $VERSION; $failed probe(s) failed"
  fi
  [ "$failed" = 0 ] || die "$failed probe(s) failed during the rollout (the timeline shows when)"
}

main "$@"
