"""Which registry names decide the build profile: the ones scripts/lib/common.sh
`registry_reachable` resolves (its LKS_REGISTRY_HOSTS default, or that variable when set), so the
scripts and the suite probe the same names. Resolving them (DNS only) is plugins/capabilities.py's.
"""

from __future__ import annotations

import os
import re

from suite.project import ROOT

COMMON_SH = ROOT / "scripts" / "lib" / "common.sh"
_DEFAULT = re.compile(r"\$\{LKS_REGISTRY_HOSTS:-([^}]*)\}")


def registry_hosts(common_sh: str | None = None) -> tuple[str, ...]:
    """The names `registry_reachable` probes (a space-separated LKS_REGISTRY_HOSTS overrides them)."""
    if os.environ.get("LKS_REGISTRY_HOSTS"):
        return tuple(os.environ["LKS_REGISTRY_HOSTS"].split())
    match = _DEFAULT.search(common_sh if common_sh is not None else COMMON_SH.read_text())
    if match is None or not match[1].split():
        raise RuntimeError(
            f"{COMMON_SH}: registry_reachable has no ${{LKS_REGISTRY_HOSTS:-NAME ...}} default"
        )
    return tuple(match[1].split())
