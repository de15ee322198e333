"""The repository's own files, as the static tier sees them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from suite.project import ROOT

SAMPLES = ROOT / "tests" / "static" / "samples"


def repo_files() -> list[Path]:
    """Tracked and untracked-but-not-ignored files, samples of broken input excluded."""
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    files = [ROOT / p for p in out.split("\0") if p]
    return sorted(p for p in files if p.is_file() and SAMPLES not in p.parents)


def files_matching(*suffixes: str, names: tuple[str, ...] = ()) -> list[Path]:
    return [
        p for p in repo_files() if p.name.endswith(suffixes) or p.name in names or p.name.startswith(names)
    ]


def shell_scripts() -> list[Path]:
    """*.sh files and extension-less files with a bash/sh shebang."""
    result = []
    for p in repo_files():
        if p.suffix == ".sh":
            result.append(p)
        elif p.suffix == "" and p.stat().st_size < 1_000_000:
            with p.open("rb") as fh:
                head = fh.readline()
            if head.startswith(b"#!") and (b"bash" in head or head.rstrip().endswith(b"/sh")):
                result.append(p)
    return result


def rel(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(ROOT)) for p in paths]


def suite_pytest(
    *args: str, timeout: float = 120, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """This suite's pytest in a child process, rooted at the checkout (its pyproject.toml): how the
    static tier runs the suite's own plugins over sample tests and catalogs."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--rootdir", str(ROOT), "-c", str(ROOT / "pyproject.toml"), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
