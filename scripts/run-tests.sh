#!/usr/bin/env bash
# Run one tier expression of the acceptance suite and print the acceptance summary.
# Usage: scripts/run-tests.sh MARKEXPR [pytest args...]
# pytest's exit 5 (no test collected) counts as a failure: a tier that ran nothing is broken.
set -o errexit -o nounset -o pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

main() {
  [ $# -ge 1 ] || die "usage: scripts/run-tests.sh MARKEXPR [pytest args...]"
  local expr="$1"; shift
  local pytest="$REPO_ROOT/.venv/bin/pytest"
  [ -x "$pytest" ] || die "$pytest not found: run make setup"
  cd "$REPO_ROOT"
  export TESTCONTAINERS_RYUK_DISABLED="${TESTCONTAINERS_RYUK_DISABLED:-true}"
  local rc=0
  # the slowest tests at the end of every tier: where a run's time goes (issue: warm verify time)
  "$pytest" -m "$expr" --durations=20 --durations-min=5 "$@" || rc=$?
  if [ "$rc" -eq 5 ]; then
    die "pytest collected no test for -m '$expr'"
  fi
  return "$rc"
}

main "$@"
