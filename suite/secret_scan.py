"""The secret scanner of the suite: detect-secrets (Yelp's, pinned in pyproject.toml) over files,
through its Python API, and the committed allowlist of what it finds that is not a secret.

Every plugin runs with the default filters; no finding is verified (verification calls the service
a secret belongs to: the Python API leaves it off, the CLI turns it on). A finding is a (file,
type, hash of the value) triple, so a line that moves keeps its entry and a new value on the same
line does not. The allowlist (.secrets-allowlist.yaml) gives each allowed finding its reason; the
static tier scans the repository (tests/static/test_security_scanners.py), the container tier the
files of the built images (tests/container/test_image_secrets.py), where the app's files under
/app are the repository's app/src and keep its entries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from suite.project import ROOT

ALLOWLIST = ROOT / ".secrets-allowlist.yaml"
# where the runtime images keep the repository's app/src (app/docker/offline/Dockerfile and the others)
IMAGE_APP_DIR = "app"


@dataclass(frozen=True, order=True)
class Finding:
    path: str  # relative to the scanned root (the repository, or the image's /)
    type: str  # the detect-secrets plugin's secret type, e.g. "Secret Keyword"
    hashed_secret: str  # SHA-1 of the value (what detect-secrets' baselines store)
    line: int = 0

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.path, self.type, self.hashed_secret)

    def __str__(self) -> str:
        return f"{self.path}:{self.line} {self.type} (hashed_secret {self.hashed_secret})"


def scan(files: list[Path], root: Path) -> list[Finding]:
    """Every potential secret detect-secrets finds in `files` (paths relative to `root` in the result)."""
    from detect_secrets import SecretsCollection
    from detect_secrets.settings import default_settings

    with default_settings():
        collection = SecretsCollection(root=str(root))
        collection.scan_files(*(str(f.relative_to(root)) for f in files))
    return sorted(
        Finding(filename, s.type, s.secret_hash, s.line_number or 0)
        for filename, secrets in collection.data.items()
        for s in secrets
    )


@dataclass(frozen=True)
class Allowed:
    reason: str
    repo: frozenset[tuple[str, str, str]]  # findings in the repository
    image: frozenset[tuple[str, str, str]]  # findings only in an image's own files (not app/src)


def load_allowlist(path: Path = ALLOWLIST) -> list[Allowed]:
    """The entries of the allowlist; ValueError on an entry without a reason or without findings."""
    doc = yaml.safe_load(path.read_text()) or {}
    entries = []
    for i, entry in enumerate(doc.get("allowed") or []):
        reason = str(entry.get("reason") or "").strip()
        if not reason:
            raise ValueError(f"{path.name}: entry {i + 1} has no reason")
        keys = {
            where: frozenset((f["file"], f["type"], f["hashed_secret"]) for f in entry.get(where) or [])
            for where in ("findings", "image_findings")
        }
        if not keys["findings"] and not keys["image_findings"]:
            raise ValueError(f"{path.name}: entry {i + 1} ({reason[:40]}...) lists no finding")
        entries.append(Allowed(reason, keys["findings"], keys["image_findings"]))
    return entries


def repo_key_of_image_file(key: tuple[str, str, str]) -> tuple[str, str, str]:
    """An image's /app/<path> is the repository's app/src/<path>: the same finding, the same entry."""
    path, kind, hashed = key
    if path.startswith(IMAGE_APP_DIR + "/"):
        return (f"app/src/{path.removeprefix(IMAGE_APP_DIR + '/')}", kind, hashed)
    return key


def _matches(key: tuple[str, str, str], patterns: set[tuple[str, str, str]]) -> bool:
    # image entries may name every finding of a generated file: type and hashed_secret "*"
    return key in patterns or any(
        key[0] == path and kind in ("*", key[1]) and hashed in ("*", key[2])
        for path, kind, hashed in patterns
    )


def unexpected(findings: list[Finding], allowed: list[Allowed], in_image: bool = False) -> list[str]:
    """The findings no entry allows, one line each."""
    keys = set().union(*(a.image if in_image else a.repo for a in allowed)) if allowed else set()
    repo_keys = set().union(*(a.repo for a in allowed)) if allowed else set()
    bad = []
    for f in findings:
        if _matches(f.key, keys) or (in_image and repo_key_of_image_file(f.key) in repo_keys):
            continue
        bad.append(str(f))
    return bad


def stale(findings: list[Finding], allowed: list[Allowed]) -> list[str]:
    """Repository entries that no longer match a finding (fixed, moved, or the value changed)."""
    found = {f.key for f in findings}
    return sorted(
        f"{path}: {kind} {hashed} ({a.reason[:60]}...)"
        for a in allowed
        for path, kind, hashed in a.repo
        if (path, kind, hashed) not in found
    )


# --- files an image must not carry at all, whatever their content -------------------------------
FORBIDDEN_NAMES = re.compile(
    r"(^|/)(\.env(\..+)?|\.git-credentials|\.netrc|\.npmrc|\.pypirc|auth\.json|credentials|"
    r"id_(rsa|dsa|ecdsa|ed25519)|\.docker/config\.json|[^/]+\.(pem|key|p12|pfx|jks|keystore))$"
)
# a PEM private key: the header and a base64 body (parsers carry the header alone as a constant)
PRIVATE_KEY = re.compile(rb"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----\r?\n(?:[A-Za-z0-9+/=]{40,}\r?\n)+")


def forbidden_file(path: str, head: bytes) -> str | None:
    """Why a file of an image is an .env file, a key or a credential store (None when it is not)."""
    if FORBIDDEN_NAMES.search(path):
        return f"{path}: an .env, key or credentials file"
    # text files only: a library carries its own self-test keys (GnuTLS' FIPS known-answer tests
    # in libgnutls.so), a key put into an image is a PEM file
    if b"\0" not in head and PRIVATE_KEY.search(head):
        return f"{path}: holds a private key"
    return None


# --- an image's filesystem ------------------------------------------------------------------------
# where an image holds what the project put into it (the app, its configuration and scripts) or a
# user's files could land; the rest is Debian's packages, checked for keys and .env files only
PROJECT_TREES = ("app/", "etc/", "usr/local/", "root/", "home/", "data/", "var/www/", "tmp/", "build/")
MAX_SCANNED_BYTES = 1 << 20  # larger files of those trees are binaries or data
HEAD_BYTES = 4 << 20  # how much of any file is searched for a private key


@dataclass
class ImageScan:
    files: int  # regular files in the image
    forbidden: list[str]  # .env files, keys, credential stores
    findings: list[Finding]  # detect-secrets on the project's trees


def scan_image(image: str, dest: Path) -> ImageScan:
    """Every regular file of `image` (docker export through the SDK): forbidden files anywhere,
    detect-secrets on the files of PROJECT_TREES (written under `dest` to be scanned)."""
    from suite.containers import exported_filesystem

    files, forbidden, written = 0, [], []
    with exported_filesystem(image) as archive:
        for member in archive:
            if not member.isreg():
                continue
            files += 1
            handle = archive.extractfile(member)
            head = handle.read(HEAD_BYTES) if handle else b""
            why = forbidden_file(member.name, head)
            if why:
                forbidden.append(why)
            if member.name.startswith(IMAGE_APP_DIR + "/"):
                source = ROOT / "app" / "src" / member.name.removeprefix(IMAGE_APP_DIR + "/")
                if source.is_file() and source.stat().st_size == member.size and source.read_bytes() == head:
                    continue  # the repository's own file: the static tier scanned it
            if (
                member.name.startswith(PROJECT_TREES)
                and member.size <= MAX_SCANNED_BYTES
                and b"\0" not in head
            ):
                target = dest / member.name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(head)
                written.append(target)
    return ImageScan(files, forbidden, scan(written, dest))
