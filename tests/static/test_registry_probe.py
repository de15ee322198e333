"""The build profile's online/offline decision: the scripts (scripts/lib/common.sh
`registry_reachable`, used by build-images.sh and the cluster scripts) and the suite
(suite/registry.py) probe the same registry names, taken from the Docker engine's own default
registry, never written in the code; run here against a fake `docker` that prints an index
address and a fake `getent` that records what it is asked."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from suite.project import ROOT
from suite.registry import COMMON_SH, index_host, registry_hosts

pytestmark = [pytest.mark.static, pytest.mark.criterion("ci-build")]

FAKE_INDEX = "https://index.registry.example/v1/"


def fake_tools(tmp_path: Path, resolves: str = "", index: str | None = FAKE_INDEX) -> Path:
    """A bin dir with a getent that resolves only `resolves` and logs the names it is asked, and a
    docker whose `info` prints `index` (None: the engine does not answer)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    getent = bin_dir / "getent"
    getent.write_text(f'#!/bin/sh\necho "$2" >> {tmp_path / "asked"}\n[ "$2" = "{resolves}" ]\n')
    docker = bin_dir / "docker"
    docker.write_text("#!/bin/sh\nexit 1\n" if index is None else f'#!/bin/sh\necho "{index}"\n')
    for tool in (getent, docker):
        tool.chmod(0o755)
    return bin_dir


def probed(tmp_path: Path, bin_dir: Path, **env: str) -> tuple[int, list[str]]:
    """`registry_reachable` of common.sh with the fake tools first on PATH: (exit code, names asked)."""
    environ = {k: v for k, v in os.environ.items() if k != "LKS_REGISTRY_HOSTS"}
    proc = subprocess.run(
        ["bash", "-c", f'source "{COMMON_SH}"; registry_reachable'],
        env=environ | {"PATH": f"{bin_dir}:{os.environ['PATH']}"} | env,
        capture_output=True,
        timeout=30,
    )
    log = tmp_path / "asked"
    return proc.returncode, log.read_text().split() if log.exists() else []


@pytest.fixture
def fake_path(tmp_path, monkeypatch):
    """The fake tools first on PATH for the suite's side too."""
    monkeypatch.delenv("LKS_REGISTRY_HOSTS", raising=False)

    def use(**kwargs) -> Path:
        bin_dir = fake_tools(tmp_path, **kwargs)
        monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
        return bin_dir

    return use


def test_the_scripts_and_the_suite_probe_the_engine_s_own_default_registry(tmp_path, fake_path):
    bin_dir = fake_path()
    code, asked = probed(tmp_path, bin_dir)
    assert code == 1, "no name resolves: offline"
    assert asked == ["index.registry.example"]
    assert registry_hosts() == ("index.registry.example",)


def test_the_default_registry_resolving_makes_the_profile_online(tmp_path, fake_path):
    bin_dir = fake_path(resolves="index.registry.example")
    code, _ = probed(tmp_path, bin_dir)
    assert code == 0


def test_without_an_answering_engine_nothing_is_probed_and_the_profile_is_offline(tmp_path, fake_path):
    bin_dir = fake_path(index=None)
    code, asked = probed(tmp_path, bin_dir)
    assert (code, asked) == (1, [])
    assert registry_hosts() == ()


def test_lks_registry_hosts_overrides_the_names_on_both_sides(tmp_path, fake_path, monkeypatch):
    bin_dir = fake_path()
    monkeypatch.setenv("LKS_REGISTRY_HOSTS", "mirror-a.test mirror-b.test")
    code, asked = probed(tmp_path, bin_dir, LKS_REGISTRY_HOSTS="mirror-a.test mirror-b.test")
    assert (code, asked) == (1, ["mirror-a.test", "mirror-b.test"])
    assert registry_hosts() == ("mirror-a.test", "mirror-b.test")


@pytest.mark.parametrize(
    ("address", "host"),
    [(FAKE_INDEX, "index.registry.example"), ("registry.example:5000", "registry.example"), ("", None)],
)
def test_the_index_address_gives_its_host(address, host):
    assert index_host(address) == host


# a host name of a public registry: the probe, the profile and the scripts name none
REGISTRY_NAME = re.compile(r"\bregistry-1\.docker\.io\b|\bindex\.docker\.io\b")


def test_no_script_or_suite_module_names_a_registry_host():
    sources = [
        *(ROOT / "scripts").rglob("*.sh"),
        *(ROOT / "suite").glob("*.py"),
        *(ROOT / "plugins").glob("*.py"),
    ]
    named = [str(p.relative_to(ROOT)) for p in sources if REGISTRY_NAME.search(p.read_text())]
    assert named == []
