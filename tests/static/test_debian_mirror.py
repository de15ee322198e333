"""The offline images are bootstrapped from the Debian archive of the machine's own apt sources
(scripts/lib/common.sh `debian_mirror`), so a company mirror or a CI cache works; no Debian host
name is built into the scripts."""

from __future__ import annotations

import subprocess
import textwrap

import pytest

from tests.repo import ROOT, shell_scripts

pytestmark = [pytest.mark.static, pytest.mark.criterion("ci-build")]

COMMON = ROOT / "scripts" / "lib" / "common.sh"
MIRROR = "http://apt-cache.corp.example:3142/debian"


def mirror_of(apt_dir, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-c", f'source "{COMMON}"; debian_mirror "$1"', "debian_mirror", str(apt_dir)],
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": "/usr/bin:/bin", **(env or {})},
    )


def apt_tree(tmp_path, sources_list: str = "", **parts: str):
    (tmp_path / "sources.list.d").mkdir(parents=True, exist_ok=True)
    if sources_list:
        (tmp_path / "sources.list").write_text(textwrap.dedent(sources_list))
    for name, text in parts.items():
        (tmp_path / "sources.list.d" / name.replace("_", ".")).write_text(textwrap.dedent(text))
    return tmp_path


def test_the_mirror_comes_from_deb822_sources_skipping_security_and_third_party_archives(tmp_path):
    apt = apt_tree(
        tmp_path,
        nodesource_sources="""\
            Types: deb
            URIs: https://deb.nodesource.example/node_20.x
            Suites: nodistro
            Components: main
            """,
        debian_sources=f"""\
            Types: deb
            URIs: {MIRROR}-security
            Suites: trixie-security
            Components: main

            Types: deb-src
            URIs: http://src.example/debian
            Suites: trixie
            Components: main

            # the archive itself
            Types: deb
            URIs: {MIRROR}/
            Suites: trixie trixie-updates
            Components: main
            """,
    )
    proc = mirror_of(apt)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == MIRROR


def test_the_mirror_comes_from_a_classic_sources_list_with_options(tmp_path):
    apt = apt_tree(
        tmp_path,
        sources_list=f"""\
        # deb http://old.example/debian bookworm main
        deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] {MIRROR} bookworm main
        deb {MIRROR}-security bookworm-security main
        """,
    )
    proc = mirror_of(apt)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == MIRROR


def test_debian_mirror_overrides_the_apt_sources(tmp_path):
    apt = apt_tree(tmp_path, sources_list=f"deb {MIRROR} trixie main\n")
    proc = mirror_of(apt, {"DEBIAN_MIRROR": "http://other.example/debian"})
    assert proc.stdout.strip() == "http://other.example/debian"


def test_sources_without_a_debian_archive_fail_with_one_line_saying_what_to_set(tmp_path):
    apt = apt_tree(
        tmp_path,
        vendor_list="deb https://packages.vendor.example/apt cloud-sdk main\n",
        disabled_sources=f"Types: deb\nURIs: {MIRROR}\nSuites: trixie\nEnabled: no\n",
    )
    proc = mirror_of(apt)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [
        f"error: no Debian archive in the apt sources of {apt} (sources.list, sources.list.d/*.list, *.sources): "
        "set DEBIAN_MIRROR"
    ]


def test_no_script_builds_a_debian_host_name_in():
    hits = [str(p.relative_to(ROOT)) for p in shell_scripts() if "deb.debian.org" in p.read_text()]
    assert hits == [], (
        f"take the mirror from the machine's apt sources (debian_mirror), not a fixed host: {hits}"
    )
