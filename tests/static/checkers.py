"""One function per static checker. Each runs the real tool on given files and returns
(ok, output); the tests run it on the repository's files and on a broken sample that it
must reject, so no check can pass vacuously."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

from fixtures.manifests import kustomize_build as kustomize_build  # shared with the container tier
from plugins.capabilities import require_tool
from tests.repo import ROOT

K8S_SCHEMA_VERSION = "1.34.0"


def _run(cmd: list[str], cwd: Path = ROOT, timeout: int = 120, env: dict | None = None) -> tuple[bool, str]:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)
    return proc.returncode == 0, (proc.stdout + proc.stderr).strip()


def yamllint(paths: list[Path]) -> tuple[bool, str]:
    return _run([require_tool("yamllint"), "--strict", "-c", str(ROOT / ".yamllint"), *map(str, paths)])


def shellcheck(paths: list[Path]) -> tuple[bool, str]:
    return _run([require_tool("shellcheck"), "--external-sources", "--severity=style", *map(str, paths)])


def hadolint(paths: list[Path]) -> tuple[bool, str]:
    return _run([require_tool("hadolint"), "--config", str(ROOT / ".hadolint.yaml"), *map(str, paths)])


def actionlint(paths: list[Path]) -> tuple[bool, str]:
    shellcheck_bin = require_tool("shellcheck")
    return _run([require_tool("actionlint"), "-shellcheck", shellcheck_bin, *map(str, paths)])


def ruff(paths: list[Path]) -> tuple[bool, str]:
    return _run([require_tool("ruff"), "check", "--no-cache", *map(str, paths)])


def ruff_format(paths: list[Path]) -> tuple[bool, str]:
    """`ruff format --check`: one layout for all the suite's Python (pyproject.toml's settings)."""
    return _run([require_tool("ruff"), "format", "--check", "--no-cache", *map(str, paths)])


def json_valid(paths: list[Path]) -> tuple[bool, str]:
    errors = []
    for p in paths:
        try:
            json.loads(p.read_text())
        except ValueError as exc:
            errors.append(f"{p}: {exc}")
    return not errors, "\n".join(errors)


def kube_validate(manifests: str) -> tuple[bool, str]:
    """Schema validation of a rendered manifest stream against a pinned Kubernetes version."""
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as fh:
        fh.write(manifests)
    try:
        return _run([require_tool("kubernetes-validate"), "--strict", "-k", K8S_SCHEMA_VERSION, fh.name])
    finally:
        os.unlink(fh.name)


def promtool_check_rules(paths: list[Path]) -> tuple[bool, str]:
    return _run([require_tool("promtool"), "check", "rules", *map(str, paths)])


def promtool_test_rules(paths: list[Path]) -> tuple[bool, str]:
    return _run([require_tool("promtool"), "test", "rules", *map(str, paths)])


def terraform_fmt(directory: Path) -> tuple[bool, str]:
    return _run([require_tool("terraform"), "fmt", "-check", "-recursive", "-diff", str(directory)])
