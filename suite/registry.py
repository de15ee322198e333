"""Which registry names decide the build profile: LKS_REGISTRY_HOSTS (space-separated) when set,
else the host of the Docker engine's own default registry (`docker info`'s IndexServerAddress),
exactly as scripts/lib/common.sh `registry_hosts` asks, so the scripts and the suite probe the
same names and no registry name is written in the code. Resolving them (DNS only) is
plugins/capabilities.py's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from urllib.parse import urlsplit

from suite.project import ROOT

COMMON_SH = ROOT / "scripts" / "lib" / "common.sh"


def index_host(address: str) -> str | None:
    """The host of a registry address as `docker info` prints it (https://HOST/v1/), or None."""
    address = address.strip()
    if not address:
        return None
    return urlsplit(address if "://" in address else f"//{address}").hostname


def registry_hosts() -> tuple[str, ...]:
    """The names `registry_reachable` probes; none where no Docker engine answers."""
    if os.environ.get("LKS_REGISTRY_HOSTS"):
        return tuple(os.environ["LKS_REGISTRY_HOSTS"].split())
    docker = shutil.which("docker")
    if docker is None:
        return ()
    try:
        proc = subprocess.run(
            [docker, "info", "--format", "{{.IndexServerAddress}}"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ()
    host = index_host(proc.stdout) if proc.returncode == 0 else None
    return (host,) if host else ()
