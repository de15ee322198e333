"""The build profile's online/offline decision: the scripts (scripts/lib/common.sh
`registry_reachable`, used by build-images.sh) and the suite (suite/registry.py) probe the same
registry names, run here against a fake `getent` that records what it is asked."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from suite.registry import COMMON_SH, registry_hosts

pytestmark = [pytest.mark.static, pytest.mark.criterion("ci-build")]


def probed(tmp_path: Path, resolves: str = "", **env: str) -> tuple[int, list[str]]:
    """`registry_reachable` with a getent that resolves only `resolves`: (exit code, names asked)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    log = tmp_path / "asked"
    getent = bin_dir / "getent"
    getent.write_text(f'#!/bin/sh\necho "$2" >> {log}\n[ "$2" = "{resolves}" ]\n')
    getent.chmod(0o755)
    environ = {k: v for k, v in os.environ.items() if k != "LKS_REGISTRY_HOSTS"}
    proc = subprocess.run(
        ["bash", "-c", f'source "{COMMON_SH}"; registry_reachable'],
        env=environ | {"PATH": f"{bin_dir}:{os.environ['PATH']}"} | env,
        capture_output=True,
        timeout=30,
    )
    return proc.returncode, log.read_text().split() if log.exists() else []


def test_the_scripts_and_the_suite_probe_the_same_registry_names(tmp_path, monkeypatch):
    monkeypatch.delenv("LKS_REGISTRY_HOSTS", raising=False)
    code, asked = probed(tmp_path)
    assert code == 1, "no name resolves: offline"
    assert tuple(asked) == registry_hosts()


def test_one_name_that_resolves_makes_the_profile_online(tmp_path, monkeypatch):
    monkeypatch.delenv("LKS_REGISTRY_HOSTS", raising=False)
    code, _ = probed(tmp_path, resolves=registry_hosts()[-1])
    assert code == 0


def test_lks_registry_hosts_overrides_the_names_on_both_sides(tmp_path, monkeypatch):
    monkeypatch.setenv("LKS_REGISTRY_HOSTS", "mirror-a.test mirror-b.test")
    code, asked = probed(tmp_path, LKS_REGISTRY_HOSTS="mirror-a.test mirror-b.test")
    assert (code, asked) == (1, ["mirror-a.test", "mirror-b.test"])
    assert registry_hosts() == ("mirror-a.test", "mirror-b.test")


def test_a_common_sh_without_the_default_names_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("LKS_REGISTRY_HOSTS", raising=False)
    with pytest.raises(RuntimeError, match=re.escape("no ${LKS_REGISTRY_HOSTS:-NAME ...} default")):
        registry_hosts("registry_reachable() { getent hosts example.test; }")
