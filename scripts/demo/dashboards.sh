#!/usr/bin/env bash
# The dashboards as pictures from the cluster's live Prometheus (make dashboards; DEMO.md): a
# port-forward of svc/prometheus to 127.0.0.1, then monitoring/grafana/render.py draws every panel
# of every dashboard of monitoring/grafana/dashboards over the last DASHBOARD_MINUTES minutes,
# one PNG per dashboard in DASHBOARD_OUT (Grafana is AGPL and not packaged here; online, Grafana
# itself can load the same JSON: docs/OBSERVABILITY.md).
# Settings (env):
#   LKS_CLUSTER_NAME   the kind cluster (default lks; its kubeconfig LKS_KUBECONFIG)
#   DASHBOARD_MINUTES  the time range drawn (default 15)
#   DASHBOARD_PORT     the 127.0.0.1 port of the port-forward (default 19090)
#   DASHBOARD_OUT      where the PNGs go (default artifacts/dashboards)
#   LKS_PYTHON         the suite's Python (default .venv/bin/python)
set -o errexit -o nounset -o pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

cluster_settings
settings DASHBOARD_MINUTES=15 DASHBOARD_PORT=19090 "DASHBOARD_OUT=$REPO_ROOT/artifacts/dashboards"
settings "LKS_PYTHON=$REPO_ROOT/.venv/bin/python"
FORWARD_PID=""

cleanup() { [ -z "$FORWARD_PID" ] || kill "$FORWARD_PID" 2>/dev/null || true; }

main() {
  [ -f "$LKS_KUBECONFIG" ] || die "no kubeconfig $LKS_KUBECONFIG: make cluster (or make verify) first"
  [ -n "$KUBECTL" ] || die "kubectl not built: make cluster first"
  [ -x "$LKS_PYTHON" ] || die "$LKS_PYTHON missing: make setup first"
  export KUBECONFIG="$LKS_KUBECONFIG"
  "$KUBECTL" -n monitoring get service prometheus >/dev/null 2>&1 \
    || die "no Prometheus in namespace monitoring: make verify (or kubectl apply -k k8s/monitoring) first"
  trap cleanup EXIT
  "$KUBECTL" -n monitoring port-forward --address 127.0.0.1 service/prometheus "$DASHBOARD_PORT:9090" >/dev/null &
  FORWARD_PID=$!
  local i
  for i in $(seq 1 30); do
    curl -fsS -o /dev/null "http://127.0.0.1:$DASHBOARD_PORT/-/ready" 2>/dev/null && break
    [ "$i" -lt 30 ] || die "Prometheus not ready on 127.0.0.1:$DASHBOARD_PORT after 30 s"
    sleep 1
  done
  log "rendering the dashboards of the last $DASHBOARD_MINUTES min into $DASHBOARD_OUT"
  "$LKS_PYTHON" -m monitoring.grafana.render --prometheus "http://127.0.0.1:$DASHBOARD_PORT" \
    --out "$DASHBOARD_OUT" --minutes "$DASHBOARD_MINUTES"
}

main "$@"
