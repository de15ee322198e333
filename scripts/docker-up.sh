#!/usr/bin/env bash
# Make a Docker engine available: install Debian's docker.io when missing, start
# dockerd when it is not running (PID 1 here is not systemd), and wait for its socket.
# On hosts whose capability bounding set lacks CAP_SYS_RESOURCE it registers
# scripts/docker/runc-wrapper as the default runtime so privileged containers (kind) work.
#   DOCKER_HOST_SOCK   socket path (default /var/run/docker.sock)
#   DOCKERD_LOG        where dockerd logs go (default /var/log/lks-dockerd.log)
set -o errexit -o nounset -o pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

DOCKER_HOST_SOCK="${DOCKER_HOST_SOCK:-/var/run/docker.sock}"
DOCKERD_LOG="${DOCKERD_LOG:-/var/log/lks-dockerd.log}"

lacks_sys_resource() {
  local bnd
  bnd=$(awk '/^CapBnd/ {print $2}' /proc/self/status)
  # CAP_SYS_RESOURCE is capability 24
  (( (0x$bnd >> 24 & 1) == 0 ))
}

configure_runtime() {
  local wrapper=/usr/local/libexec/lks/runc-wrapper want
  as_root install -D -m 0755 "$REPO_ROOT/scripts/docker/runc-wrapper" "$wrapper"
  want=$(jq -n --arg p "$wrapper" '{"runtimes": {"lks-runc": {"path": $p}}, "default-runtime": "lks-runc"}')
  if [ ! -f /etc/docker/daemon.json ] || ! jq -e --argjson w "$want" 'contains($w)' /etc/docker/daemon.json >/dev/null 2>&1; then
    as_root mkdir -p /etc/docker
    if [ -f /etc/docker/daemon.json ]; then
      jq --argjson w "$want" '. * $w' /etc/docker/daemon.json | as_root tee /etc/docker/daemon.json.new >/dev/null
      as_root mv /etc/docker/daemon.json.new /etc/docker/daemon.json
    else
      printf '%s\n' "$want" | as_root tee /etc/docker/daemon.json >/dev/null
    fi
    return 0   # config changed
  fi
  return 1
}

engine_up() { docker info >/dev/null 2>&1; }

main() {
  command -v dockerd >/dev/null 2>&1 || apt_install docker.io
  apt_install jq iptables
  local changed=false
  if lacks_sys_resource && configure_runtime; then changed=true; fi
  if engine_up && [ "$changed" = false ]; then
    log "docker engine already running"
    return 0
  fi
  if engine_up && [ "$changed" = true ]; then
    log "restarting dockerd to pick up the runc wrapper"
    as_root pkill -x dockerd || true
    wait_for 30 "dockerd to stop" bash -c '! pgrep -x dockerd'
  fi
  [ -S "$DOCKER_HOST_SOCK" ] && ! engine_up && as_root rm -f "$DOCKER_HOST_SOCK"
  log "starting dockerd (log: $DOCKERD_LOG)"
  as_root bash -c "nohup dockerd --host unix://$DOCKER_HOST_SOCK >>'$DOCKERD_LOG' 2>&1 </dev/null &"
  wait_for 60 "the docker socket (see $DOCKERD_LOG)" docker info
  log "docker engine ready: $(docker version --format '{{.Server.Version}}')"
}

main "$@"
