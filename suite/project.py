"""Facts about this checkout, in one place: where it is, its version, its image names, the
pinned tool versions of scripts/cluster/versions.sh and the one Swoole skip reason.

Fixtures, plugins, tests, benchmarks and scripts (through `python -m suite.project`) read them
from here; nothing else re-states them.
"""

from __future__ import annotations

import functools
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERSIONS_SH = ROOT / "scripts" / "cluster" / "versions.sh"
IMAGE_PREFIX = os.environ.get("IMAGE_PREFIX", "laravel-k8s-showcase")
# images scripts/build-images.sh builds from app/ (redis and mariadb carry their upstream major)
APP_IMAGES = ("fpm", "nginx", "worker", "php-test", "redis", "mariadb")
FIXED_TAGS = {"redis": "7", "mariadb": "11"}
# images of Go programs (scripts/build-go-image.sh) -> the version variable of scripts/cluster/versions.sh
GO_IMAGES = {
    "seaweedfs": "SEAWEEDFS_VERSION",
    "victoria-logs": "VICTORIALOGS_VERSION",
    "vlagent": "VICTORIALOGS_VERSION",
    "jaeger": "JAEGER_VERSION",
}

# The one reason a Swoole test skips where its image does not exist. PHPUnit gets it through
# the LKS_SWOOLE_SKIP_REASON environment variable (fixtures/phpunit.py), build-images.sh through
# `python -m suite.project swoole-reason`.
SWOOLE_OFFLINE_REASON = (
    "swoole: extension not installable offline (no PECL/Packagist); run with --profile online"
)
# what runs the Swoole variant: its runtime image and, for the PHPUnit Swoole groups, a php-test
# image with ext-swoole and Octane (the online build makes both; a hand-built pair works as well)
SWOOLE_IMAGES = {"runtime": "swoole", "phpunit": "php-test-swoole"}


def default_cache() -> Path:
    """$LKS_CACHE, else the same default as scripts/lib/common.sh: /var/cache for root, the
    user's XDG cache otherwise."""
    if os.environ.get("LKS_CACHE"):
        return Path(os.environ["LKS_CACHE"])
    if os.geteuid() == 0:
        return Path("/var/cache/laravel-k8s-showcase")
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "laravel-k8s-showcase"


CACHE = default_cache()


def app_version() -> str:
    return (ROOT / "app" / "VERSION").read_text().strip()


def image(name: str) -> str:
    """The local tag of one of the project's images (IMAGE_PREFIX/name:version); the Go programs
    are tagged by their own versions, a pseudo-version by its date and commit
    (scripts/build-go-image.sh)."""
    if name in GO_IMAGES:
        v = tool_version(GO_IMAGES[name])
        if v.startswith("v0.0.0-"):
            v = v.removeprefix("v0.0.0-")
            v = f"{v[:8]}-{v.rsplit('-', 1)[-1]}"
        return f"{IMAGE_PREFIX}/{name}:{v}"
    return f"{IMAGE_PREFIX}/{name}:{FIXED_TAGS.get(name) or app_version()}"


_ASSIGNMENT = re.compile(r'^([A-Z][A-Z0-9_]*)="\$\{\1:-([^}]*)\}"$')


@functools.cache
def pinned_versions() -> dict[str, str]:
    """NAME -> version of scripts/cluster/versions.sh, with the same environment overrides."""
    versions = {}
    for line in VERSIONS_SH.read_text().splitlines():
        if match := _ASSIGNMENT.match(line.strip()):
            versions[match[1]] = os.environ.get(match[1]) or match[2]
    if not {"K8S_VERSION", "KIND_VERSION"} <= versions.keys():
        raise RuntimeError(
            f'{VERSIONS_SH}: no K8S_VERSION/KIND_VERSION assignment of the form NAME="${{NAME:-v}}"'
        )
    return versions


def tool_version(name: str) -> str:
    return pinned_versions()[name]


def main(argv: list[str]) -> int:
    commands = {
        "swoole-reason": lambda: SWOOLE_OFFLINE_REASON,
        "version": app_version,
        "image": lambda: image(argv[2]),
        "cache": lambda: str(CACHE),
    }
    if len(argv) < 2 or argv[1] not in commands or (argv[1] == "image" and len(argv) != 3):
        print(f"usage: python -m suite.project {{{'|'.join(commands)}}} [image-name]", file=sys.stderr)
        return 2
    print(commands[argv[1]]())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
