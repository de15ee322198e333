"""Whether a container registry is reachable, decided as the scripts decide it: the names of
scripts/lib/common.sh `registry_reachable` (its LKS_REGISTRY_HOSTS default, or that variable
when set), resolved by DNS only (no packet is sent to the registry itself).
"""

from __future__ import annotations

import functools
import os
import re
import socket

from suite.project import ROOT

COMMON_SH = ROOT / "scripts" / "lib" / "common.sh"
_DEFAULT = re.compile(r"\$\{LKS_REGISTRY_HOSTS:-([^}]*)\}")


def registry_hosts() -> tuple[str, ...]:
    """The names `registry_reachable` probes (space-separated LKS_REGISTRY_HOSTS overrides them)."""
    if os.environ.get("LKS_REGISTRY_HOSTS"):
        return tuple(os.environ["LKS_REGISTRY_HOSTS"].split())
    match = _DEFAULT.search(COMMON_SH.read_text())
    if match is None:
        raise RuntimeError(f"{COMMON_SH}: no registry_reachable with ${{LKS_REGISTRY_HOSTS:-...}}")
    return tuple(match[1].split())


@functools.cache
def registry_reachable() -> bool:
    for host in registry_hosts():
        try:
            socket.getaddrinfo(host, 443, proto=socket.IPPROTO_TCP)
            return True
        except OSError:
            continue
    return False
