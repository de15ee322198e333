#!/usr/bin/env bash
# Build the Terraform providers the terraform/ tree uses from the Go module proxy into a
# filesystem mirror, so `terraform init` works without the provider registry, and write the
# CLI config that points Terraform at it. Cached: a provider already in the mirror is not
# rebuilt (the cache key is the provider version and the Go module version it is built from).
#   LKS_CACHE            cache root (default: scripts/lib/common.sh)
#   TF_PROVIDER_MIRROR   mirror directory (default $LKS_CACHE/terraform-providers)
#   TF_PROVIDERS_NICE    nice level of the builds (default 15; the machine's 2 cores are shared)
# Layout: $TF_PROVIDER_MIRROR/registry.terraform.io/<ns>/<name>/<version>/linux_amd64/
#         terraform-provider-<name>_v<version>  (Terraform's "unpacked" mirror layout)
# Prints the CLI config file to export as TF_CLI_CONFIG_FILE on stdout.
# Usage: terraform-providers.sh [--check]
#   --check   build nothing: one line and exit 1 when a provider is not in the mirror yet
#
# The proxy serves the two providers only as pseudo-versions of their default branch (their
# v2+/v3 tags lack a /vN module path); each pin below names the release it follows.
# Cold: ~10 min on 2 shared cores (kubernetes ~5 min, helm ~5 min); warm: < 1 s.
set -o errexit -o nounset -o pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

TF_PROVIDER_MIRROR="${TF_PROVIDER_MIRROR:-$LKS_CACHE/terraform-providers}"
TF_PROVIDERS_NICE="${TF_PROVIDERS_NICE:-15}"

# namespace/name  version-in-the-mirror  Go module@version it is built from
#   kubernetes: default branch of 2026-08-21, after the 3.2.1 release (CHANGELOG top: 3.2.1)
#   helm:       default branch of 2026-06-29, after the 3.2.0 release (CHANGELOG top: 3.2.0)
PROVIDERS=(
  "hashicorp/kubernetes 3.2.1 github.com/hashicorp/terraform-provider-kubernetes@v1.13.4-0.20260821094251-3a33fb6cc605"
  "hashicorp/helm 3.2.0 github.com/hashicorp/terraform-provider-helm@v1.3.3-0.20260629194918-a4f1c1d8b008"
)

CHECK_ONLY=0
WORK=""
cleanup() { [ -z "$WORK" ] || rm -rf "$WORK"; }

platform() {
  case "$(uname -m)" in
    x86_64) echo linux_amd64 ;;
    aarch64|arm64) echo linux_arm64 ;;
    *) die "unsupported architecture $(uname -m) for the provider mirror" ;;
  esac
}

# build_provider NS/NAME VERSION MODULE@GOVERSION
build_provider() {
  local source="$1" version="$2" spec="$3" name dir bin stamp
  name="${source#*/}"
  dir="$TF_PROVIDER_MIRROR/registry.terraform.io/$source/$version/$(platform)"
  bin="$dir/terraform-provider-${name}_v${version}"
  # the stamp lives outside the package directory: Terraform hashes everything inside it
  stamp="$TF_PROVIDER_MIRROR/.source-${name}-${version}"
  if [ -x "$bin" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$spec" ]; then
    [ "$CHECK_ONLY" = 1 ] || log "provider $source $version cached ($bin)"
    return 0
  fi
  if [ "$CHECK_ONLY" = 1 ]; then
    die "terraform provider $source $version not built yet: run scripts/terraform-providers.sh (cold build ~10 min, cached afterwards)"
  fi
  need go "install Go >= 1.26 (https://go.dev/dl); the providers are built from the Go module proxy"
  log "building provider $source $version from $spec (cold: several minutes on 2 cores)"
  local start=$SECONDS
  WORK=$(mktemp -d)
  # go install MODULE@VERSION honours the module's own go.mod; neither provider has replace
  # directives, so no wrapper module is needed.
  local buildlog="$TF_PROVIDER_MIRROR/build-$name.log"
  if ! GOBIN="$WORK" CGO_ENABLED=0 nice -n "$TF_PROVIDERS_NICE" \
      go install -trimpath -ldflags "-s -w -X main.Version=$version" "$spec" >"$buildlog" 2>&1; then
    die "go install $spec failed: $(tail -n 1 "$buildlog") (full log: $buildlog)"
  fi
  rm -f "$buildlog"
  mkdir -p "$dir"
  install -m 0755 "$WORK/terraform-provider-$name" "$bin"
  echo "$spec" >"$stamp"
  rm -rf "$WORK"; WORK=""
  log "provider $source $version built in $((SECONDS - start)) s"
}

write_cli_config() {
  local config="$TF_PROVIDER_MIRROR/terraformrc" tmp
  # a temporary file of its own: parallel callers (pytest-xdist workers) each write one
  tmp=$(mktemp "$config.XXXXXX")
  cat >"$tmp" <<EOF
# Written by scripts/terraform-providers.sh: providers come from the local filesystem mirror
# only (the provider registry is not reachable offline).
provider_installation {
  filesystem_mirror {
    path    = "$TF_PROVIDER_MIRROR"
    include = ["registry.terraform.io/*/*"]
  }
  direct {
    exclude = ["registry.terraform.io/*/*"]
  }
}
EOF
  chmod 0644 "$tmp"
  mv -f "$tmp" "$config"
  echo "$config"
}

main() {
  case "${1:-}" in
    --check) CHECK_ONLY=1 ;;
    "") ;;
    *) die "usage: terraform-providers.sh [--check]" ;;
  esac
  trap cleanup EXIT
  mkdir -p "$TF_PROVIDER_MIRROR"
  local entry source version spec
  for entry in "${PROVIDERS[@]}"; do
    read -r source version spec <<<"$entry"
    build_provider "$source" "$version" "$spec"
  done
  write_cli_config
}

main "$@"
