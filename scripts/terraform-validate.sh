#!/usr/bin/env bash
# `terraform fmt -check`, `terraform init -backend=false` and `terraform validate` for the
# root module, every module and every example under terraform/ (or the directories given).
# Providers come from the filesystem mirror of scripts/terraform-providers.sh (the registry is
# not reachable offline); TF_PROVIDERS=registry uses your own CLI configuration instead.
# Each directory is checked in a scratch copy, so no .terraform/ or lock file lands in the
# repository (see docs/TERRAFORM.md for why .terraform.lock.hcl is not committed).
#   TERRAFORM      terraform binary (default: terraform on PATH, else $LKS_CACHE/bin/terraform)
#   TF_PROVIDERS   mirror (default) | registry
#   LKS_CACHE      cache root (default: scripts/lib/common.sh)
# Usage: terraform-validate.sh [DIR...]   prints "ok DIR" per directory; exit 1 if any failed.
set -o errexit -o nounset -o pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

TF_PROVIDERS="${TF_PROVIDERS:-mirror}"
SCRATCH=""

cleanup() { [ -z "$SCRATCH" ] || rm -rf "$SCRATCH"; }

find_terraform() {
  if [ -n "${TERRAFORM:-}" ]; then
    [ -x "$TERRAFORM" ] || die "TERRAFORM=$TERRAFORM is not executable"
  elif command -v terraform >/dev/null 2>&1; then
    TERRAFORM=$(command -v terraform)
  elif [ -x "$LKS_CACHE/bin/terraform" ]; then
    TERRAFORM="$LKS_CACHE/bin/terraform"
  else
    die "terraform not found: make setup (go install github.com/hashicorp/terraform@v1.11.4)"
  fi
}

default_dirs() {
  local d
  echo "$REPO_ROOT/terraform"
  for d in "$REPO_ROOT"/terraform/modules/*/ "$REPO_ROOT"/terraform/examples/*/; do
    [ -d "$d" ] && echo "${d%/}"
  done
}

# scratch_dir DIR -> the copy of DIR to run terraform in. A directory of terraform/ is checked
# inside a copy of the whole tree (modules and examples refer to each other by relative path)
# next to links to monitoring/ and k8s/, which the root module reads.
scratch_dir() {
  local dir="$1"
  case "$dir/" in
    "$REPO_ROOT/terraform/"*)
      if [ ! -d "$SCRATCH/repo/terraform" ]; then
        mkdir -p "$SCRATCH/repo"
        tar -C "$REPO_ROOT" --exclude=.terraform --exclude='.terraform.lock.hcl' --exclude='*.tfstate*' \
          -cf - terraform | tar -C "$SCRATCH/repo" -xf -
        ln -s "$REPO_ROOT/monitoring" "$SCRATCH/repo/monitoring"
        ln -s "$REPO_ROOT/k8s" "$SCRATCH/repo/k8s"
      fi
      echo "$SCRATCH/repo/${dir#"$REPO_ROOT/"}"
      ;;
    *)
      local copy
      copy="$SCRATCH/other/$(printf '%s' "$dir" | sha256sum | cut -c1-12)"
      mkdir -p "$copy"
      cp -R "$dir/." "$copy/"
      echo "$copy"
      ;;
  esac
}

# check DIR -> 0 when fmt, init and validate pass; prints terraform's own errors otherwise
check() {
  local dir="$1" work out name
  name="${dir#"$REPO_ROOT/"}"
  work=$(scratch_dir "$dir")
  if ! out=$("$TERRAFORM" -chdir="$work" fmt -check -diff -no-color 2>&1); then
    printf 'FAIL %s: terraform fmt -check\n%s\n' "$name" "$out"; return 1
  fi
  if ! out=$(TF_DATA_DIR="$work/.terraform" "$TERRAFORM" -chdir="$work" init -backend=false -input=false -no-color 2>&1); then
    printf 'FAIL %s: terraform init -backend=false\n%s\n' "$name" "$out"; return 1
  fi
  if ! out=$("$TERRAFORM" -chdir="$work" validate -no-color 2>&1); then
    printf 'FAIL %s: terraform validate\n%s\n' "$name" "$out"; return 1
  fi
  printf 'ok %s\n' "$name"
}

main() {
  find_terraform
  case "$TF_PROVIDERS" in
    mirror)
      TF_CLI_CONFIG_FILE=$("$REPO_ROOT/scripts/terraform-providers.sh" --check) || exit 1
      export TF_CLI_CONFIG_FILE
      ;;
    registry) ;;
    *) die "TF_PROVIDERS must be mirror or registry, not $TF_PROVIDERS" ;;
  esac
  export TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
  local dirs=() d failed=0
  if [ "$#" -gt 0 ]; then
    for d in "$@"; do
      [ -d "$d" ] || die "not a directory: $d"
      dirs+=("$(cd "$d" && pwd)")
    done
  else
    mapfile -t dirs < <(default_dirs)
  fi
  SCRATCH=$(mktemp -d)
  trap cleanup EXIT
  for d in "${dirs[@]}"; do
    check "$d" || failed=1
  done
  return "$failed"
}

main "$@"
