#!/usr/bin/env bash
# Install everything the suite needs on a fresh Debian machine; idempotent, prints progress.
#   LKS_SKIP_DOCKER=1   do not install/start the Docker engine (static tier only)
#   LKS_CACHE           cache for Go-built tools (default /var/cache/laravel-k8s-showcase as root,
#                       ${XDG_CACHE_HOME:-$HOME/.cache}/laravel-k8s-showcase otherwise)
# As a non-root user it needs sudo for the apt-get and dockerd steps only.
#   VENV                Python virtualenv (default .venv in the repo)
set -o errexit -o nounset -o pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

VENV="${VENV:-$REPO_ROOT/.venv}"
ACTIONLINT_VERSION=v1.7.12
KUSTOMIZE_VERSION=v5.7.1  # the version kubectl 1.34 embeds
TERRAFORM_VERSION=v1.11.4

debian_packages() {
  log "Debian packages"
  # composer: `composer validate --strict` in the static tier; docker-compose: the compose stack's
  # container test where the engine has no compose plugin (Debian's docker.io has none)
  apt_install ca-certificates curl git jq make python3-venv debootstrap composer docker-compose
  if ! command -v promtool >/dev/null 2>&1; then
    # prometheus ships promtool; keep its daemon from being started by the package scripts
    local policy=/usr/sbin/policy-rc.d created=false
    if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null; as_root chmod +x "$policy"; created=true; fi
    apt_install prometheus
    [ "$created" = false ] || as_root rm -f "$policy"
  fi
}

python_env() {
  local stamp="$VENV/.lks-deps" want
  want=$(sha256sum "$REPO_ROOT/pyproject.toml" | cut -c1-16)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    log "python venv up to date ($VENV)"; return 0
  fi
  log "python venv $VENV (pinned deps from pyproject.toml)"
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  # shellcheck disable=SC2046
  "$VENV/bin/python" -m pip install -q $("$VENV/bin/python" -c \
    'import tomllib,sys; print(" ".join(tomllib.load(open(sys.argv[1],"rb"))["project"]["dependencies"]))' \
    "$REPO_ROOT/pyproject.toml")
  echo "$want" >"$stamp"
}

# tool_venvs -> every [dependency-groups] GROUP of pyproject.toml in a venv of its own,
# $VENV/GROUP, its GROUP command linked into $VENV/bin (a tool whose pins conflict with the
# suite's: checkov); skipped when the group's pins are unchanged
tool_venvs() {
  local group venv stamp want
  for group in $("$VENV/bin/python" -c \
      'import tomllib,sys; print(" ".join(tomllib.load(open(sys.argv[1],"rb")).get("dependency-groups", {})))' \
      "$REPO_ROOT/pyproject.toml"); do
    venv="$VENV/$group" stamp="$VENV/$group/.lks-deps"
    want=$("$VENV/bin/python" -c 'import tomllib,sys; print(" ".join(tomllib.load(open(sys.argv[1],"rb"))["dependency-groups"][sys.argv[2]]))' \
      "$REPO_ROOT/pyproject.toml" "$group")
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
      log "$group venv up to date ($venv)"
    else
      log "$group venv $venv ($want: pins of its own, see pyproject.toml)"
      [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
      "$venv/bin/python" -m pip install -q --upgrade pip
      # shellcheck disable=SC2086
      "$venv/bin/python" -m pip install -q $want
      echo "$want" >"$stamp"
    fi
    ln -sfn "$venv/bin/$group" "$VENV/bin/$group"
  done
}

# go_tool NAME MODULE@VERSION -> $LKS_CACHE/bin/NAME, cached per version
go_tool() {
  local name="$1" spec="$2" dir="$LKS_CACHE/go-tools/${1}-${2##*@}"
  mkdir -p "$LKS_CACHE/bin"
  if [ ! -x "$dir/$name" ]; then
    need go "install Go >= 1.24 (Debian's golang-go or https://go.dev/dl)"
    log "go install $spec (cached afterwards)"
    GOBIN="$dir" CGO_ENABLED=0 go install -trimpath -ldflags '-s -w' "$spec"
  fi
  ln -sfn "$dir/$name" "$LKS_CACHE/bin/$name"
}

go_tools() {
  log "Go-built tools in $LKS_CACHE/bin"
  go_tool actionlint "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
  go_tool kustomize "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
  if ! command -v terraform >/dev/null 2>&1; then
    go_tool terraform "github.com/hashicorp/terraform@$TERRAFORM_VERSION"
  fi
  # Terraform providers for `terraform validate` offline (filesystem mirror, cached per version)
  "$REPO_ROOT/scripts/terraform-providers.sh" >/dev/null
}

main() {
  local start=$SECONDS
  [ "$(id -u)" -eq 0 ] || log "not root: sudo only for apt-get and the Docker engine; caches in $LKS_CACHE"
  debian_packages
  python_env
  tool_venvs
  go_tools
  if [ "${LKS_SKIP_DOCKER:-0}" != 1 ]; then
    "$REPO_ROOT/scripts/docker-up.sh"
  fi
  log "setup done in $((SECONDS - start)) s"
}

main "$@"
