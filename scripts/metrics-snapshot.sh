#!/usr/bin/env bash
# Regenerate monitoring/exported-metrics.txt: every metric name the monitoring may use, taken
# from real scrapes, each with where it came from. tests/static/test_monitoring.py fails when a
# rule or a dashboard uses a name that is not in the file.
#   1. the app: its images run on a private Docker network with a real Redis and MariaDB
#      (migrations applied, the queue worker consuming: the suite's Docker stack,
#      `python -m suite.stack`, with the fpm overlay's environment), bounded traffic on 127.0.0.1 drives
#      every code path that records a series (routes, 404, validation, a job that succeeds
#      and one that fails for good), and the offline Prometheus image scrapes /metrics: the
#      names Prometheus stored are the exported set (`scrape-<variant>`). Names the exposition
#      declares (# TYPE) without a sample yet are listed as `declared-<variant>`.
#   2. Prometheus itself (the same container scrapes itself and evaluates the repository's
#      rules, which must load): `prometheus`.
#   3. the kubelet (cAdvisor, /metrics/resource, /metrics/probes) of a running cluster, read
#      through the API server: `kubelet`. Without a reachable cluster the kubelet section of the
#      existing file is kept; when there is none, the names are read from the Go sources of the
#      pinned Kubernetes and cAdvisor modules in the module cache (`kubelet-source`), and the
#      header says so.
# The Python steps are suite/metrics_snapshot.py; both need the suite's venv (make setup).
# Settings (env):
#   IMAGE_PREFIX       tag prefix of the app images (default laravel-k8s-showcase)
#   SNAPSHOT_VARIANTS  runtimes to scrape, comma-separated: fpm, swoole (default fpm,swoole;
#                      a variant whose image is missing is skipped with a note in the header)
#   PROMETHEUS_IMAGE   default laravel-k8s-showcase/prometheus:2.53 (built when missing)
#   SNAPSHOT_KUBECONFIG kubeconfig of a running cluster (default $LKS_CACHE/cluster/lks/kubeconfig)
#   OUT                output file (default monitoring/exported-metrics.txt)
#   KEEP               1 keeps the containers running for inspection (default 0)
#   LKS_PYTHON         the Python with the suite's packages (default .venv/bin/python)
set -o errexit -o nounset -o pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

settings SNAPSHOT_VARIANTS=fpm,swoole PROMETHEUS_IMAGE=laravel-k8s-showcase/prometheus:2.53 \
  SNAPSHOT_KUBECONFIG="$LKS_CACHE/cluster/lks/kubeconfig" OUT="$REPO_ROOT/monitoring/exported-metrics.txt" KEEP=0

STACK_NAME="lks-snapshot-$$"
PYTHON="${LKS_PYTHON:-$REPO_ROOT/.venv/bin/python}"
WORK=""
# the stack's network aliases of what Prometheus scrapes (suite/stack.py), with the pod label
declare -A TARGET=([fpm]="nginx-web:8080=fpm" [swoole]="swoole-web:8000=swoole")

suite() { (cd "$REPO_ROOT" && "$PYTHON" -m "$@"); }

cleanup() {
  local rc=$?
  if [ "$KEEP" != 1 ]; then suite suite.stack down "$STACK_NAME" || true
  else log "KEEP=1: the containers of stack $STACK_NAME left running (python -m suite.stack down $STACK_NAME)"; fi
  [ -z "$WORK" ] || rm -rf "$WORK"
  exit "$rc"
}

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# drive every code path that records a series; bounded: a fixed number of requests, 5 s each.
# The task and job routes need a session and, for writes, its CSRF token (docs/APP.md, "Access
# matrix"): a fresh user is registered first and its cookie jar and token are sent along.
drive_traffic() { # BASE_URL
  local base="$1" jar token
  jar=$(mktemp /tmp/lks-snapshot-cookies.XXXXXX)
  c() { curl -s -o /dev/null --max-time 5 -b "$jar" -c "$jar" "$@" || true; }
  token=$(curl -s --max-time 5 -b "$jar" -c "$jar" -X POST -H 'Accept: application/json' -H 'Content-Type: application/json' \
    -d "{\"name\":\"Snapshot\",\"email\":\"snapshot-$$-$RANDOM@example.test\",\"password\":\"correct horse battery\"}" \
    "$base/api/auth/register" | jq -r '.meta.csrf_token // empty' || true)
  [ -n "$token" ] || log "registering the snapshot user failed: the task and job series will be missing"
  local json=(-H 'Accept: application/json' -H 'Content-Type: application/json' -H "X-CSRF-TOKEN: $token")
  for _ in $(seq 1 20); do c "$base/api/ping"; done
  c "$base/health"; c "$base/ready"; c -H 'Accept: application/json' "$base/api/tasks"
  c -H 'Accept: application/json' "$base/api/tasks/999999"; c "$base/no-such-page"
  c -X POST "${json[@]}" -d '{}' "$base/api/tasks"
  local task file
  task=$(curl -s --max-time 5 -b "$jar" -c "$jar" -X POST "${json[@]}" -d '{"title":"snapshot","description":"metrics snapshot"}' \
    "$base/api/tasks" | jq -r '.data.id // empty' || true)
  # an upload (the stack has no object store: refused as not_configured, the series exist)
  file=$(mktemp /tmp/lks-snapshot-upload.XXXXXX)
  echo "metrics snapshot" >"$file"
  [ -z "$task" ] || c -X POST -H 'Accept: application/json' -H 'X-Requested-With: XMLHttpRequest' -H "X-CSRF-TOKEN: $token" -F "file=@$file;type=text/plain" \
    "$base/api/tasks/$task/attachments"
  [ -n "$task" ] || log "creating the snapshot task failed: the upload series will be missing"
  rm -f "$file"
  # a failed login goes through the rate limiter: cache misses
  c -X POST -H 'Accept: application/json' -H 'Content-Type: application/json' \
    -d '{"email":"nobody@example.com","password":"wrong-password"}' "$base/api/auth/login"
  c -X POST "${json[@]}" -d '{"numbers":[1,2,3]}' "$base/api/jobs"
  c -X POST "${json[@]}" -d '{"numbers":[1],"fail_attempts":10}' "$base/api/jobs"
  c "$base/api/stress?iterations=1000"
  c "$base/api/ping"
  rm -f "$jar"
}

start_prometheus() {
  image_exists "$PROMETHEUS_IMAGE" || "$REPO_ROOT/scripts/build-images.sh" prometheus
  {
    # the repository's rules too: they must load in 2.53, and rule evaluation has its own series
    printf 'global:\n  scrape_interval: 2s\n  scrape_timeout: 2s\n  evaluation_interval: 2s\n'
    printf 'rule_files: ["/etc/prometheus/rules/*.yml"]\nscrape_configs:\n'
    printf '  - job_name: prometheus\n    static_configs:\n      - targets: ["localhost:9090"]\n'
    printf '  - job_name: laravel-app\n    static_configs:\n'
    local t
    for t in "${TARGETS[@]}"; do
      printf '      - targets: ["%s"]\n        labels: {namespace: snapshot, pod: %s}\n' "${t%%=*}" "${t##*=}"
    done
  } >"$WORK/prometheus.yml"
  mkdir -p "$WORK/rules"
  cp "$REPO_ROOT/monitoring/prometheus/rules.yml" "$WORK/rules/recording-http.yml"
  cp "$REPO_ROOT/monitoring/prometheus/php-rules.yml" "$WORK/rules/recording-php.yml"
  local f
  for f in "$REPO_ROOT"/monitoring/alerts/*.yml; do cp "$f" "$WORK/rules/alerts-$(basename "$f")"; done
  chmod -R a+rX "$WORK"
  # on the stack's network, labelled with it: `suite.stack down` removes it with the rest
  local name="$STACK_NAME-prometheus" deadline=$(( $(date +%s) + 60 ))
  docker run -d --name "$name" --network "$(suite suite.stack network "$STACK_NAME")" --network-alias prometheus \
    --label "lks.stack=$STACK_NAME" -v "$WORK/prometheus.yml:/etc/prometheus/snapshot.yml:ro" \
    -v "$WORK/rules:/etc/prometheus/rules:ro" -p 127.0.0.1::9090 "$PROMETHEUS_IMAGE" \
    --config.file=/etc/prometheus/snapshot.yml --storage.tsdb.path=/prometheus >/dev/null
  until [ "$(docker inspect -f '{{.State.Health.Status}}' "$name")" = healthy ]; do
    [ "$(date +%s)" -lt "$deadline" ] || { docker logs --tail 30 "$name" >&2; die "Prometheus not healthy within 60 s"; }
    sleep 1
  done
  PROM_URL="http://$(docker port "$name" 9090/tcp | head -1)"
}

# names Prometheus stored for a series selector, one per line
stored_names() { suite suite.metrics_snapshot stored "$PROM_URL" "$1"; }

# metric names of an exposition read on stdin: sample names, or (--declared) the # TYPE
# families expanded to the series names Prometheus would store
exposition_names() { suite suite.metrics_snapshot exposition "$@"; }

# kubectl on PATH, or the one scripts/cluster builds for the pinned Kubernetes version
kubectl_bin() {
  local version candidate
  command -v kubectl 2>/dev/null && return 0
  version=$(source "$REPO_ROOT/scripts/cluster/versions.sh" && echo "$K8S_VERSION")
  for candidate in "$LKS_CACHE/bin/kubectl" "$LKS_CACHE/k8s/$version/bin/kubectl"; do
    [ -x "$candidate" ] && { echo "$candidate"; return 0; }
  done
  return 1
}

# kubelet names from a running cluster -> $WORK/kubelet.names; returns 1 when none is reachable
kubelet_from_cluster() {
  local kubectl node ep
  kubectl=$(kubectl_bin) || return 1
  [ -f "$SNAPSHOT_KUBECONFIG" ] || return 1
  node=$("$kubectl" --kubeconfig "$SNAPSHOT_KUBECONFIG" --request-timeout=10s get nodes -o name 2>/dev/null | head -1) || return 1
  [ -n "$node" ] || return 1
  : >"$WORK/kubelet.raw"
  for ep in cadvisor resource probes; do
    "$kubectl" --kubeconfig "$SNAPSHOT_KUBECONFIG" --request-timeout=20s get --raw "/api/v1/nodes/${node#node/}/proxy/metrics/$ep" \
      >>"$WORK/kubelet.raw" || return 1
  done
  exposition_names <"$WORK/kubelet.raw" >"$WORK/kubelet.names"
  KUBELET_NOTE="kubelet of node ${node#node/} (/metrics/cadvisor, /metrics/resource, /metrics/probes) read through the API server"
}

# kubelet names from the Go sources of the pinned modules -> $WORK/kubelet.names
kubelet_from_sources() {
  local modcache k8s_version k8s cadvisor_version cadvisor
  modcache=$(go env GOMODCACHE 2>/dev/null) || return 1
  # shellcheck source=scripts/cluster/versions.sh
  k8s_version=$(source "$REPO_ROOT/scripts/cluster/versions.sh" && echo "$K8S_VERSION")
  k8s="$modcache/k8s.io/kubernetes@${k8s_version}"
  [ -n "$k8s_version" ] && [ -f "$k8s/go.mod" ] || return 1
  cadvisor_version=$(awk '$1 == "github.com/google/cadvisor" { print $2; exit }' "$k8s/go.mod")
  cadvisor="$modcache/github.com/google/cadvisor@$cadvisor_version"
  [ -f "$cadvisor/metrics/prometheus.go" ] || return 1
  {
    grep -oP '(name:\s+|NewDesc\()"\Kcontainer_[a-z0-9_]+' "$cadvisor/metrics/prometheus.go"
    grep -oP 'NewDesc\("\K[a-z0-9_]+' "$k8s/pkg/kubelet/metrics/collectors/resource_metrics.go"
    awk '/Subsystem:/ { gsub(/[",]/, "", $2); sub_ = $2 } /Name:/ && sub_ != "" { gsub(/[",]/, "", $2); print sub_ "_" $2; sub_ = "" }' \
      "$k8s/pkg/kubelet/prober/prober_manager.go"
  } | sort -u >"$WORK/kubelet.names"
  KUBELET_NOTE="NOT a scrape (no cluster reachable): names defined in k8s.io/kubernetes@$k8s_version (pkg/kubelet/metrics/collectors/resource_metrics.go, pkg/kubelet/prober/prober_manager.go) and github.com/google/cadvisor@$cadvisor_version (metrics/prometheus.go), the versions the kubelet of the kind cluster is built from"
}

write_output() {
  local args=() s n
  for s in "${SOURCES[@]}"; do args+=(--source "$s"); done
  for n in "${NOTES[@]}"; do args+=(--note "$n"); done
  suite suite.metrics_snapshot write "$OUT" "$WORK" "$(date -u +%Y-%m-%dT%H:%MZ)" ${args[@]+"${args[@]}"}
}

main() {
  need docker "run scripts/docker-up.sh first"
  need curl "apt-get install curl"
  [ -x "$PYTHON" ] || die "$PYTHON not found: run make setup (the suite's venv runs the Docker stack)"
  trap cleanup EXIT
  WORK=$(mktemp -d /tmp/lks-snapshot.XXXXXX)
  NOTES=() TARGETS=() SOURCES=()

  local variants=() v tag
  IFS=, read -r -a variants <<<"$SNAPSHOT_VARIANTS"
  local available=()
  for v in "${variants[@]}"; do
    tag=$(suite suite.project image "$v")
    if image_exists "$tag"; then available+=("$v")
    else NOTES+=("variant $v not scraped: image $tag does not exist here"); fi
  done
  [ "${#available[@]}" -gt 0 ] || die "no app image to scrape (build them with scripts/build-images.sh)"
  for v in fpm nginx worker redis mariadb; do
    image_exists "$(suite suite.project image "$v")" || die "$(suite suite.project image "$v") is needed (scripts/build-images.sh)"
  done

  log "starting Redis, MariaDB, the migrations, the queue worker and ${available[*]} (suite.stack $STACK_NAME)"
  # the failing job fails for good at once: one try, no backoff
  suite suite.stack up "$STACK_NAME" "${available[@]}" --worker --env QUEUE_TRIES=1 --env QUEUE_BACKOFF=0 >/dev/null \
    || die "the Docker stack did not come up (suite.stack above)"
  declare -A endpoints=()
  for v in "${available[@]}"; do
    endpoints[$v]=$(suite suite.stack url "$STACK_NAME" "$v")
    endpoints[$v]=${endpoints[$v]#http://}
    TARGETS+=("${TARGET[$v]}")
  done
  start_prometheus
  for v in "${available[@]}"; do
    log "driving bounded traffic through $v at ${endpoints[$v]}"
    drive_traffic "http://${endpoints[$v]}"
  done
  # the failing job has QUEUE_TRIES=1: give the worker a few seconds, then two scrape intervals
  sleep 8
  for v in "${available[@]}"; do
    curl -sf --max-time 10 "http://${endpoints[$v]}/metrics" >"$WORK/$v.metrics" || die "GET /metrics of $v failed"
    # the app's own series: without up and scrape_*, which Prometheus adds to every target,
    # and without what the rules wrote (level:metric:operation names, ALERTS*)
    stored_names "{job=\"laravel-app\", pod=\"$v\"}" | grep -vE '^(up|scrape_[a-z_]+|ALERTS.*|.*:.*)$' \
      >"$WORK/scrape-$v.names" || true
    [ -s "$WORK/scrape-$v.names" ] || die "Prometheus stored no series of $v (see KEEP=1)"
    LC_ALL=C sort -u -o "$WORK/scrape-$v.names" "$WORK/scrape-$v.names"
    exposition_names --declared <"$WORK/$v.metrics" | LC_ALL=C sort -u \
      | LC_ALL=C comm -23 - "$WORK/scrape-$v.names" >"$WORK/declared-$v.names"
    local via=""
    [ "$v" != fpm ] || via=" through $(suite suite.project image nginx)"
    SOURCES+=("scrape-$v=Prometheus 2.53 scraped /metrics of $(suite suite.project image "$v")$via (real Redis, MariaDB, queue worker) after bounded traffic; names it stored")
    if [ -s "$WORK/declared-$v.names" ]; then
      SOURCES+=("declared-$v=declared by a # TYPE line of the same /metrics response, no sample yet in this scrape")
    fi
  done
  stored_names '{job="prometheus"}' | grep -vE '^(ALERTS.*|.*:.*)$' >"$WORK/prometheus.names"
  stored_names '{job="laravel-app"}' | grep -E '^(up|scrape_[a-z_]+)$' >>"$WORK/prometheus.names" || true
  SOURCES+=("prometheus=Prometheus 2.53 scraping itself, plus the series it synthesizes per target (up, scrape_*)")

  if kubelet_from_cluster; then
    SOURCES+=("kubelet=$KUBELET_NOTE")
  elif [ -f "$OUT" ] && grep -qE '^# source kubelet: ' "$OUT"; then
    grep -E '^[a-zA-Z0-9_:]+ ([a-z-]+,)*kubelet(,|$)' "$OUT" | cut -d' ' -f1 >"$WORK/kubelet.names"
    SOURCES+=("kubelet=$(grep -E '^# source kubelet: ' "$OUT" | cut -d' ' -f4-) (kept from the previous snapshot: no cluster reachable now)")
  elif kubelet_from_sources; then
    cp "$WORK/kubelet.names" "$WORK/kubelet-source.names"
    SOURCES+=("kubelet-source=$KUBELET_NOTE")
  else
    NOTES+=("no kubelet names: no cluster reachable and no pinned module sources in the Go module cache")
  fi
  write_output
  log "wrote ${OUT#"$REPO_ROOT/"}"
}

main "$@"
