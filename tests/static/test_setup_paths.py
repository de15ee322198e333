"""`make setup` works without root: caches go to the user's XDG cache, and the shell scripts and
the Python fixtures agree on where that is (one default, read in both languages)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from suite import project
from tests.repo import ROOT, SAMPLES

pytestmark = [pytest.mark.static, pytest.mark.criterion("ci-build")]

COMMON = ROOT / "scripts" / "lib" / "common.sh"
NOBODY = 65534
BROKEN = SAMPLES / "setup" / "common-root-cache.sh"


def shell_default(uid: int, env: dict[str, str], common: Path = COMMON) -> str:
    """$LKS_CACHE as `common` (scripts/lib/common.sh) sets it for a caller with this uid (`id`
    answers for that uid)."""
    script = f'id() {{ echo {uid}; }}; source "{common}"; echo "$LKS_CACHE"'
    proc = subprocess.run(
        ["bash", "-c", script],
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": "/usr/bin:/bin", **env},
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


@pytest.mark.parametrize(
    ("uid", "env", "expected"),
    [
        (0, {"HOME": "/root"}, "/var/cache/laravel-k8s-showcase"),
        (NOBODY, {"HOME": "/tmp/lks-home"}, "/tmp/lks-home/.cache/laravel-k8s-showcase"),
        (NOBODY, {"HOME": "/tmp/lks-home", "XDG_CACHE_HOME": "/tmp/xdg"}, "/tmp/xdg/laravel-k8s-showcase"),
        (NOBODY, {"HOME": "/tmp/lks-home", "LKS_CACHE": "/srv/cache"}, "/srv/cache"),
    ],
    ids=["root", "user", "user-xdg", "explicit"],
)
def test_the_cache_default_is_the_same_for_the_scripts_and_the_fixtures(uid, env, expected, monkeypatch):
    for key in ("HOME", "XDG_CACHE_HOME", "LKS_CACHE"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(os, "geteuid", lambda: uid)
    assert (shell_default(uid, env), str(project.default_cache())) == (expected, expected)


def create_cache_as_nobody(common: Path) -> tuple[subprocess.CompletedProcess, Path]:
    """Source `common` as uid 65534 in a fresh home of its own and create a file in $LKS_CACHE,
    as a non-root `make setup` does (go_tool). Needs root (to switch uid) and setpriv."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("switching to another uid needs root and setpriv (util-linux)")
    tmp = Path(tempfile.mkdtemp(prefix="lks-home-"))  # pytest's tmp_path is private to root
    tmp.chmod(0o755)
    home = tmp / "home"
    home.mkdir()
    shutil.copy(common, home / "common.sh")  # the checkout itself may not be readable by uid 65534
    home.chmod(0o755)
    os.chown(home, NOBODY, NOBODY)
    script = (
        'source ./common.sh; mkdir -p "$LKS_CACHE/bin" && touch "$LKS_CACHE/bin/tool" && echo "$LKS_CACHE"'
    )
    proc = subprocess.run(
        ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "bash", "-c", script],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=home,
        env={"PATH": "/usr/bin:/bin", "HOME": str(home)},
    )
    return proc, home


def test_a_user_without_root_can_create_the_default_cache():
    """The cache a non-root `make setup` writes to is the user's own (the old default,
    /var/cache, was not writable without root)."""
    proc, home = create_cache_as_nobody(COMMON)
    try:
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip() == f"{home}/.cache/laravel-k8s-showcase"
        assert (home / ".cache" / "laravel-k8s-showcase" / "bin" / "tool").stat().st_uid == NOBODY
    finally:
        shutil.rmtree(home.parent)


def test_the_cache_checks_reject_the_old_default_under_var_cache_for_every_user():
    """Issue #11 item 1, its broken sample: one default for root and users, /var/cache."""
    assert shell_default(NOBODY, {"HOME": "/tmp/lks-home"}, BROKEN) == "/var/cache/laravel-k8s-showcase"
    proc, home = create_cache_as_nobody(BROKEN)
    try:
        assert proc.returncode != 0, f"uid {NOBODY} created {proc.stdout.strip()}: the check cannot fail"
        assert "Permission denied" in proc.stderr, proc.stderr
        assert not Path("/var/cache/laravel-k8s-showcase/bin/tool").exists()
    finally:
        shutil.rmtree(home.parent)
