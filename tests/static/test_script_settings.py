"""The settings header every script shares (scripts/lib/common.sh): `settings NAME=DEFAULT` keeps
what the environment set and fills in the rest, `find_tool` prefers the project's cached build
to PATH, and `cluster_settings` gives up.sh and down.sh one cluster name and kubeconfig."""

from __future__ import annotations

import subprocess

import pytest

from tests.repo import ROOT

pytestmark = [pytest.mark.static, pytest.mark.criterion("ci-build")]

COMMON = ROOT / "scripts" / "lib" / "common.sh"


def bash(script: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-c", f'set -o errexit -o nounset -o pipefail; source "{COMMON}"; {script}'],
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": "/usr/bin:/bin", "LKS_CACHE": "/nonexistent-cache", **(env or {})},
    )


def test_settings_keep_the_environment_and_default_the_rest():
    proc = bash(
        'settings LKS_A=one LKS_B="two words" LKS_C= LKS_D=x=y; printf "%s|" "$LKS_A" "$LKS_B" "$LKS_C" "$LKS_D"',
        env={"LKS_A": "from-env", "LKS_C": ""},
    )
    assert proc.returncode == 0, proc.stderr
    # an empty value counts as unset, as with ${NAME:-DEFAULT}
    assert proc.stdout == "from-env|two words||x=y|"


def test_settings_refuse_a_pair_without_a_name_in_one_line():
    proc = bash("settings lower=case")
    assert proc.returncode != 0
    assert proc.stderr.strip().splitlines() == ["error: settings: not NAME=DEFAULT: lower=case"]
    assert (
        bash("settings NO_EQUALS_SIGN").stderr.strip() == "error: settings: not NAME=DEFAULT: NO_EQUALS_SIGN"
    )


def test_find_tool_prefers_the_cached_build_then_path_and_says_nothing_when_neither_exists(tmp_path):
    cached = tmp_path / "cache" / "tool"
    cached.parent.mkdir()
    cached.write_text("#!/bin/sh\n")
    cached.chmod(0o755)
    assert bash(f'find_tool bash "{tmp_path}/missing" "{cached}"').stdout.strip() == str(cached)
    assert bash(f'find_tool bash "{tmp_path}/missing"').stdout.strip() in ("/usr/bin/bash", "/bin/bash")
    missing = bash(f'find_tool no-such-tool-here "{tmp_path}/missing"')
    assert missing.returncode == 1
    assert missing.stdout == ""


def test_cluster_settings_name_the_kubeconfig_after_the_cluster():
    proc = bash(
        'cluster_settings; echo "$LKS_CLUSTER_NAME $LKS_KUBECONFIG $K8S_VERSION"',
        env={"LKS_CLUSTER_NAME": "lks-other"},
    )
    assert proc.returncode == 0, proc.stderr
    name, kubeconfig, version = proc.stdout.split()
    assert (name, kubeconfig) == ("lks-other", "/nonexistent-cache/cluster/lks-other/kubeconfig")
    assert version.startswith("v1.34.")


def test_a_second_build_of_the_same_program_waits_for_the_first_and_says_so(tmp_path):
    # .ci/run's background prebuild and the step that needs the program share one lock per build
    proc = bash(
        "build_lock weed-v1; (build_lock weed-v1; echo second-got-it) & sleep 1; echo first-done; "
        "build_unlock; wait",
        env={"LKS_CACHE": str(tmp_path)},
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["first-done", "second-got-it"]
    assert (
        f"waiting for weed-v1: another process is building it ({tmp_path}/locks/weed-v1.lock)" in proc.stderr
    )
    assert bash("build_lock weed-v1; echo alone", env={"LKS_CACHE": str(tmp_path)}).stderr == ""
