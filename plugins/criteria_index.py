"""Criteria index: which tests prove each acceptance criterion, found by collection alone.

``pytest --criteria-index`` collects the whole suite (every tier, whatever ``-m`` says), writes
``<reports-dir>/criteria-index.md`` (or the path given: ``--criteria-index=PATH``) and runs no
test. One section per criterion of the catalog (``acceptance/criteria.yaml``, read through
``plugins.acceptance.load_catalog``; ``--criteria-catalog`` names another one): the tests whose
``@pytest.mark.criterion`` names it, with their tier and runtime, the project fixtures they
request (and, after "via", the project fixtures those pull in), and the repository paths their
code names where that is knowable from the code (the test's body, the module constants and
same-module helpers it uses, its parameters). A criterion no test names says "no test".
"""

from __future__ import annotations

import ast
import functools
import inspect
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from plugins.acceptance import CATALOG, TIERS, item_variant, load_catalog, source_commit
from suite.project import ROOT

NO_TEST = "no test"
FILE_NAME = "criteria-index.md"


@dataclass(frozen=True)
class Entry:
    """One collected test as the index shows it."""

    nodeid: str
    tier: str
    criteria: tuple[tuple[str, str | None], ...]  # (criterion id, runtime or None for any)
    fixtures: tuple[str, ...] = ()  # requested by the test: "name (defining file)"
    via: tuple[str, ...] = ()  # project fixtures those pull in
    reads: tuple[str, ...] = ()  # repository paths the test's code names


@dataclass
class Section:
    criterion: dict
    entries: list[tuple[Entry, str | None]] = field(default_factory=list)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("laravel-k8s-showcase")
    group.addoption(
        "--criteria-index",
        dest="criteria_index",
        nargs="?",
        const=FILE_NAME,
        default=None,
        metavar="PATH",
        help=f"collect every tier, write the criteria index (default <reports-dir>/{FILE_NAME}) "
        "and run no test",
    )
    group.addoption(
        "--criteria-catalog",
        dest="criteria_catalog",
        default=str(CATALOG),
        metavar="FILE",
        help="the catalog the criteria index lists (default: acceptance/criteria.yaml)",
    )


def output_path(config: pytest.Config) -> Path:
    value = config.getoption("criteria_index")
    if value == FILE_NAME:
        return Path(config.getoption("reports_dir", default="reports")) / FILE_NAME
    return Path(value)


# -- what a collected test is made of ---------------------------------------------------------
def _relative(path: Path | str) -> str | None:
    """`path` relative to the repository when it names something in it, else None."""
    path = Path(path)
    full = path if path.is_absolute() else ROOT / path
    try:
        rel = full.resolve().relative_to(ROOT)
    except (ValueError, OSError):
        return None
    if rel == Path(".") or not full.exists():
        return None
    return str(rel) + ("/" if full.is_dir() else "")


def _defined_in(fixturedef) -> str | None:
    """The project file defining a fixture; None for pytest's and other installed packages' own
    (the venv lies inside the checkout) and for parameters."""
    try:
        source = Path(inspect.getsourcefile(fixturedef.func) or "")
    except TypeError:
        return None
    if source.resolve().is_relative_to(Path(sys.prefix).resolve()):
        return None
    return _relative(source)


def fixtures_of(item: pytest.Item) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(requested, via): the project fixtures the test asks for, and those they pull in; what
    `pytest --fixtures-per-test` reads. Pytest's own fixtures and parameters are left out."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return (), ()
    where = {}
    for name in info.names_closure:
        defs = info.name2fixturedefs.get(name)
        if defs and (path := _defined_in(defs[-1])):
            where[name] = path
    requested = [n for n in info.argnames if n in where]
    via = sorted(n for n in where if n not in requested)
    return tuple(f"{n} ({where[n]})" for n in requested), tuple(via)


def _path_like(text: str) -> str | None:
    # a single word ("app", "static") names a folder by accident: only strings shaped like paths
    if not text or any(c.isspace() for c in text) or ("/" not in text and "." not in text[1:]):
        return None
    return _relative(text.strip("/"))


@functools.cache
def _module_tree(path: str) -> ast.Module | None:
    try:
        return ast.parse(Path(path).read_text())
    except (OSError, SyntaxError, ValueError):
        return None


def _function_node(tree: ast.Module, cls: str | None, name: str) -> ast.AST | None:
    scopes = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls] if cls else [tree]
    for scope in scopes:
        for node in scope.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
                return node
    return None


def _paths_in_value(value, depth: int = 0) -> set[str]:
    if isinstance(value, Path):
        return {p} if (p := _relative(value)) else set()
    if isinstance(value, str):
        return {p} if (p := _path_like(value)) else set()
    if isinstance(value, list | tuple | set | frozenset) and depth < 2:
        return set().union(*(_paths_in_value(v, depth + 1) for v in value)) if value else set()
    if isinstance(value, dict) and depth < 2:
        return _paths_in_value(list(value.keys()) + list(value.values()), depth + 1)
    return set()


def _division(node: ast.BinOp, names: dict) -> Path | None:
    """ROOT / "k8s" / "base" and the like, with the module's names for the left-hand side."""
    parts = []
    while isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        if not (isinstance(node.right, ast.Constant) and isinstance(node.right.value, str)):
            return None
        parts.insert(0, node.right.value)
        node = node.left
    base = names.get(node.id) if isinstance(node, ast.Name) else None
    return Path(base, *parts) if isinstance(base, Path) else None


def _project_function(value) -> tuple[ast.AST, dict] | None:
    """The syntax tree and globals of a function defined at the top of a project module."""
    if not inspect.isfunction(value):
        return None
    try:
        source = inspect.getsourcefile(value)
    except TypeError:
        return None
    if not source or Path(source).resolve().is_relative_to(Path(sys.prefix).resolve()):
        return None
    tree = _module_tree(source) if _relative(source) else None
    node = tree and _function_node(tree, None, value.__name__)
    return (node, value.__globals__) if node else None


HELPER_DEPTH = 2  # the test's helpers, and theirs


def reads_of(item: pytest.Item) -> tuple[str, ...]:
    """Repository paths the test's code names: string constants shaped like paths, `X / "a"`
    divisions, module-level names holding paths, and the same in the project functions it calls
    (two levels: its helpers and theirs, in any module of the repository); plus its parameters
    that are paths."""
    found: set[str] = set()
    for value in getattr(getattr(item, "callspec", None), "params", {}).values():
        found |= _paths_in_value(value)
    module = getattr(item, "module", None)
    path = str(getattr(item, "path", ""))
    tree = _module_tree(path) if path.endswith(".py") else None
    name = getattr(item, "originalname", None)
    node = tree and name and _function_node(tree, getattr(item.cls, "__name__", None), name)
    if module is None or not node:
        return tuple(sorted(found))
    todo, seen = [(node, vars(module), 0)], set()
    while todo:
        current, names, depth = todo.pop()
        for sub in ast.walk(current):
            if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                found |= _paths_in_value(sub.value)
            elif isinstance(sub, ast.BinOp) and (joined := _division(sub, names)) is not None:
                found |= _paths_in_value(joined)
            elif isinstance(sub, ast.Name) and sub.id in names and (id(names), sub.id) not in seen:
                seen.add((id(names), sub.id))
                value = names[sub.id]
                if (helper := _project_function(value)) is not None:
                    if depth < HELPER_DEPTH:
                        todo.append((*helper, depth + 1))
                else:
                    found |= _paths_in_value(value)
    return tuple(sorted(found))


def criteria_of(item: pytest.Item) -> tuple[tuple[str, str | None], ...]:
    """(id, runtime) of every criterion marker, scoped to the item's variant as plugins/acceptance
    counts it: criterion(id, variant=v) on a test parametrized by variant counts for v only."""
    param = item_variant(item)
    ids = []
    for mark in item.iter_markers("criterion"):
        scope = mark.kwargs.get("variant")
        if not param or scope in (None, param):
            ids += [(cid, param or scope) for cid in mark.args]
    return tuple(ids)


def entry_of(item: pytest.Item) -> Entry:
    requested, via = fixtures_of(item)
    tier = next((t for t in TIERS if item.get_closest_marker(t)), "")
    return Entry(item.nodeid, tier, criteria_of(item), requested, via, reads_of(item))


# -- the file ---------------------------------------------------------------------------------
def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _code(values) -> str:
    return ", ".join(f"`{_cell(v)}`" for v in values)


def sections(catalog: list[dict], entries: list[Entry]) -> dict[str, Section]:
    out = {c["id"]: Section(c) for c in catalog}
    for entry in entries:
        for cid, runtime in entry.criteria:
            out.setdefault(cid, Section({"id": cid, "title": "(not in the catalog)"}))
            out[cid].entries.append((entry, runtime))
    return out


def render(catalog: list[dict], entries: list[Entry], catalog_name: str, commit: str) -> str:
    by_id = sections(catalog, entries)
    tested = [e for e in entries if e.criteria]
    untested = [cid for cid, s in by_id.items() if not s.entries]
    lines = [
        "# Criteria index",
        "",
        f"Which tests prove each criterion of `{catalog_name}`, found by collecting the suite: no test",
        "ran. Written by `make criteria-index` (`pytest --criteria-index`, plugins/criteria_index.py)",
        f"at commit {commit}. {len(by_id)} criteria, {len(tested)} tests with a criterion marker,",
        f"{len(untested)} criteria with no test. Fixtures: the project fixtures a test requests (where",
        "each is defined) and, after *via*, the project fixtures those pull in. Reads: the repository",
        "paths the test's code names (its body, the module constants and helpers it uses, its",
        "parameters): a hint where a check looks, not a trace of what it opens.",
        "",
        "| criterion | title | tier | runtimes | tests | files |",
        "|---|---|---|---|---|---|",
    ]
    for cid, s in by_id.items():
        files = sorted({e.nodeid.split("::", 1)[0] for e, _ in s.entries})
        count = str(len(s.entries)) if s.entries else f"**{NO_TEST}**"
        lines.append(
            f"| [{cid}](#{cid}) | {_cell(s.criterion.get('title', ''))} | {s.criterion.get('tier', '')} "
            f"| {', '.join(s.criterion.get('variants', [])) or 'any'} | {count} | {_code(files)} |"
        )
    for cid, s in by_id.items():
        c = s.criterion
        facts = [f"group {c['group']}" if "group" in c else "", f"tier {c.get('tier', '?')}"]
        facts.append("runtimes " + (", ".join(c.get("variants", [])) or "any"))
        lines += [
            "",
            f"## {cid}",
            "",
            f"{_cell(c.get('title', ''))} · " + " · ".join(f for f in facts if f),
            "",
        ]
        if not s.entries:
            lines.append(f"**{NO_TEST}**")
            continue
        lines += ["| test | tier | runtime | fixtures | reads |", "|---|---|---|---|---|"]
        listed = c.get("variants", [])
        for entry, runtime in s.entries:
            if runtime and listed and runtime not in listed:
                runtime += f" (not counted: the criterion is stated for {', '.join(listed)})"
            fixtures = _code(entry.fixtures) + (f"; *via* {_code(entry.via)}" if entry.via else "")
            lines.append(
                f"| `{_cell(entry.nodeid)}` | {entry.tier} | {runtime or 'any'} | {fixtures} "
                f"| {_code(entry.reads)} |"
            )
    return "\n".join(lines) + "\n"


# -- the hooks --------------------------------------------------------------------------------
@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("criteria_index") is None:
        return
    if config.getoption("dist", "no") != "no":
        raise pytest.UsageError("--criteria-index collects in this process: leave out -n/--dist")
    # an index run is no test run: the acceptance report stays as the last run left it (the
    # acceptance plugin's configure, which registers the criterion marker, has run before this)
    acceptance = config.pluginmanager.get_plugin("plugins.acceptance")
    if acceptance is not None:
        config.pluginmanager.unregister(acceptance)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # first: every collected item, before -m and the opt-in tiers deselect any
    if config.getoption("criteria_index") is None:
        return
    catalog_file = Path(config.getoption("criteria_catalog"))
    try:
        catalog = load_catalog(catalog_file)
        ids = [c["id"] for c in catalog]
    except (OSError, KeyError, TypeError, yaml.YAMLError) as exc:
        raise pytest.UsageError(f"--criteria-catalog {catalog_file}: not a readable catalog ({exc})") from exc
    if len(set(ids)) != len(ids):
        raise pytest.UsageError(f"--criteria-catalog {catalog_file}: a criterion id appears twice")
    name = _relative(catalog_file) or str(catalog_file)
    source = source_commit()
    commit = source["commit"] + (" (with uncommitted changes)" if source["dirty"] else "")
    out = output_path(config)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(catalog, [entry_of(i) for i in items], name, commit))
    config.stash[_WRITTEN] = out


_WRITTEN = pytest.StashKey[Path]()


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> bool | None:
    # the index is written: collected, no test runs (also under xdist, whose loop comes later)
    return True if session.config.getoption("criteria_index") is not None else None


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if (out := config.stash.get(_WRITTEN, None)) is not None:
        terminalreporter.write_line(f"criteria index: {out} (no test ran)")
