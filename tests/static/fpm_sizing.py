"""The FPM pool size, from its three sources: the formula in docs/APP.md, the entrypoint's own
`fpm_pool_sizing` (run with bash, no Docker: one implementation of the formula, never a Python
copy) and app/php-fpm.conf rendered with the environment the entrypoint execs php-fpm with.

`mismatches(...)` compares them for the memory limits of the docs' table; the static tests run it
on the repository's files and on broken variants of each.
"""

from __future__ import annotations

import ast
import os
import re
import stat
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from tests.repo import ROOT

ENTRYPOINT = ROOT / "app" / "docker" / "offline" / "entrypoint.sh"
POOL_CONFIG = ROOT / "app" / "php-fpm.conf"
DOC = ROOT / "docs" / "APP.md"
# doc name -> (pool config key, how the pool config writes it)
POOL_KEYS = {
    "max_children": ("pm.max_children", "{}"),
    "memory_limit_mb": ("php_admin_value[memory_limit]", "{}M"),
    "start_servers": ("pm.start_servers", "{}"),
    "min_spare_servers": ("pm.min_spare_servers", "{}"),
    "max_spare_servers": ("pm.max_spare_servers", "{}"),
}
# the entrypoint's fpm_* results, by doc name
ENTRYPOINT_KEYS = {
    "max_children": "max_children",
    "memory_limit_mb": "memory_limit",
    "start_servers": "start_servers",
    "min_spare_servers": "min_spare_servers",
    "max_spare_servers": "max_spare_servers",
}


class SizingError(ValueError):
    """A sizing source that cannot be read (no formula block, a bad expression, a failing script)."""


def _bash(script: str, *args: str, env: Mapping[str, str] | None = None, timeout: float = 30) -> str:
    # a clean environment: only what the test passes in, as in a container started with it
    proc = subprocess.run(
        ["bash", "-c", script, "fpm-sizing", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **(env or {})},
    )
    if proc.returncode != 0:
        raise SizingError(
            f"bash {args[0] if args else ''} failed ({proc.returncode}): {proc.stderr.strip()[-500:]}"
        )
    return proc.stdout


def entrypoint_sizing(
    memory_mb: int, env: Mapping[str, str] | None = None, entrypoint: Path = ENTRYPOINT
) -> dict[str, str]:
    """The entrypoint's `fpm_pool_sizing MEMORY_MB` under `env`: its fpm_* results without the prefix
    (memory_mb, child_mb, reserved_mb, max_children, memory_limit "48M", start_servers, ...)."""
    script = 'source "$1"; fpm_pool_sizing "$2"; for v in ${!fpm_@}; do printf "%s=%s\\n" "${v#fpm_}" "${!v}"; done'
    out = _bash(script, str(entrypoint), str(memory_mb), env=env)
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def entrypoint_fpm_env(
    memory_mb: int, env: Mapping[str, str] | None = None, entrypoint: Path = ENTRYPOINT
) -> dict[str, str]:
    """The environment the entrypoint's `main php-fpm ...` execs php-fpm with, in a container whose
    memory limit is MEMORY_MB: a stand-in php-fpm on PATH prints it (no config:cache, no Docker)."""
    with tempfile.TemporaryDirectory(prefix="lks-fpm-") as tmp:
        fake = Path(tmp) / "php-fpm"
        fake.write_text("#!/bin/sh\nexec env\n")
        fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
        script = 'source "$1"; limit=$2; memory_limit_mb() { echo "$limit"; }; main php-fpm --nodaemonize'
        base = {"CONFIG_CACHE_ON_START": "false", **(env or {})}
        out = _bash(
            script,
            str(entrypoint),
            str(memory_mb),
            env=base | {"PATH": f"{tmp}:{os.environ.get('PATH', '')}"},
        )
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


# --- the docs' formula ---------------------------------------------------------------------------
def doc_formula(text: str) -> list[tuple[str, ast.expr]]:
    """The `name = expression` lines between <!-- fpm-sizing:begin --> and <!-- fpm-sizing:end -->."""
    m = re.search(r"<!-- fpm-sizing:begin -->(.*?)<!-- fpm-sizing:end -->", text, re.DOTALL)
    if not m:
        raise SizingError("no <!-- fpm-sizing:begin --> ... <!-- fpm-sizing:end --> block in the docs")
    lines = []
    for raw in m.group(1).splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("```"):
            continue
        name, sep, expr = line.partition("=")
        if not sep or not name.strip().isidentifier():
            raise SizingError(f"not a `name = expression` line in the fpm-sizing block: {raw.strip()!r}")
        try:
            lines.append((name.strip(), ast.parse(expr.strip(), mode="eval").body))
        except SyntaxError as exc:
            raise SizingError(
                f"bad expression in the fpm-sizing block: {raw.strip()!r} ({exc.msg})"
            ) from None
    return lines


def doc_examples(text: str) -> list[dict[str, int]]:
    """The table rows between <!-- fpm-sizing:end --> and <!-- fpm-sizing-examples:end -->."""
    m = re.search(r"<!-- fpm-sizing:end -->(.*?)<!-- fpm-sizing-examples:end -->", text, re.DOTALL)
    rows = [
        [c.strip() for c in line.strip().strip("|").split("|")]
        for line in (m.group(1) if m else "").splitlines()
        if line.strip().startswith("|")
    ]
    if len(rows) < 3:
        raise SizingError("no example table (header, separator, rows) after the fpm-sizing block")
    header, body = rows[0], rows[2:]
    return [dict(zip(header, map(int, row), strict=True)) for row in body]


def evaluate(
    formula: list[tuple[str, ast.expr]], limit_mb: int, env: Mapping[str, str] | None = None
) -> dict[str, int]:
    """Evaluate the doc's lines in order for one memory limit: integers, + - * //, min, max, clamp, env."""
    env = env or {}
    values: dict[str, int] = {"limit_mb": limit_mb}
    ops = {
        ast.Add: lambda a, b: a + b,
        ast.Sub: lambda a, b: a - b,
        ast.Mult: lambda a, b: a * b,
        ast.FloorDiv: lambda a, b: a // b,
    }
    functions = {"min": min, "max": max, "clamp": lambda x, lo, hi: min(max(x, lo), hi)}

    def ev(node: ast.expr) -> int:
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, ast.Name):
            if node.id not in values:
                raise SizingError(f"the fpm-sizing block uses {node.id} before defining it")
            return values[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in ops:
            return ops[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "env" and len(node.args) == 2 and isinstance(node.args[0], ast.Name):
                name = node.args[0].id
                return int(env[name]) if env.get(name) else ev(node.args[1])
            if node.func.id in functions:
                return functions[node.func.id](*map(ev, node.args))
        raise SizingError(f"unsupported expression in the fpm-sizing block: {ast.unparse(node)}")

    for name, expr in formula:
        values[name] = ev(expr)
    return values


# --- the pool config -----------------------------------------------------------------------------
def pool_values(conf: str, env: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """The [www] pool's settings with ${VAR} replaced from `env` (as php-fpm does), and the
    variables the config uses that `env` does not set."""
    code = "\n".join(raw.split(";", 1)[0].strip() for raw in conf.splitlines())
    unset = sorted({v for v in re.findall(r"\$\{(\w+)\}", code) if v not in env})
    rendered = re.sub(r"\$\{(\w+)\}", lambda m: env.get(m.group(1), ""), code)
    values, section = {}, None
    for line in rendered.splitlines():
        if re.fullmatch(r"\[[^\]]+\]", line):
            section = line[1:-1]
        elif section == "www" and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values, unset


def mismatches(
    doc: Path = DOC,
    entrypoint: Path = ENTRYPOINT,
    pool_config: Path = POOL_CONFIG,
    env: Mapping[str, str] | None = None,
) -> list[str]:
    """Every number on which the docs' formula, its example table (default settings), the entrypoint
    and the rendered pool config (under `env`) disagree, for each memory limit of the table."""
    text = doc.read_text()
    formula, examples = doc_formula(text), doc_examples(text)
    conf = pool_config.read_text()
    bad = []
    for row in examples:
        limit = row["limit_mb"]
        defaults = evaluate(formula, limit)
        for key, value in row.items():
            if key != "limit_mb" and defaults.get(key) != value:
                bad.append(
                    f"{limit} MB: the docs' table says {key} {value}, their formula {defaults.get(key)}"
                )
        expected = evaluate(formula, limit, env)
        got = entrypoint_sizing(limit, env, entrypoint)
        for key, name in ENTRYPOINT_KEYS.items():
            if got.get(name, "").removesuffix("M") != str(expected[key]):
                bad.append(
                    f"{limit} MB: the entrypoint computes {name} {got.get(name)!r}, the docs {expected[key]}"
                )
        pool, unset = pool_values(conf, entrypoint_fpm_env(limit, env, entrypoint))
        bad += [
            f"{limit} MB: the pool config uses ${{{v}}}, which the entrypoint does not set" for v in unset
        ]
        for key, (setting, spelling) in POOL_KEYS.items():
            if pool.get(setting) != spelling.format(expected[key]):
                bad.append(
                    f"{limit} MB: the pool config gets {setting} = {pool.get(setting)!r}, the docs {spelling.format(expected[key])}"
                )
    return bad
