"""Files written by a generator of this folder and committed: write them, or check that the
committed ones are what the generator writes (the static tier runs the check)."""

from __future__ import annotations

import sys
from pathlib import Path


def write_or_check(files: dict[Path, str], check: bool, what: str) -> int:
    """Write each file's text, or with `check` list the files whose text differs: exit status 1
    when any does."""
    stale = [p for p, text in files.items() if not p.is_file() or p.read_text() != text]
    if not check:
        for p in stale:
            p.write_text(files[p])
        return 0
    if stale:
        print(f"{what}: " + ", ".join(p.name for p in stale), file=sys.stderr)
        return 1
    return 0
