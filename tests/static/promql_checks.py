"""Checkers of the PromQL of the rules and dashboards: every expression parses, every metric
name is exported by the app (monitoring/exported-metrics.txt, written by
scripts/metrics-snapshot.sh from real scrapes), and every kubelet series is kept by the scrape
job it names. Queries are (where, PromQL) pairs; each checker returns a list of problems."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import promql_parser
import yaml

from tests.static.alert_checks import rules

Queries = list[tuple[str, str]]


def rule_queries(files: list[Path]) -> Queries:
    return [(f"{f.name}: {r.get('alert') or r.get('record')}", r["expr"]) for f, r in rules(files)]


def recorded_names(files: list[Path]) -> set[str]:
    return {r["record"] for _, r in rules(files) if "record" in r}


def check_promql(queries: Queries) -> list[str]:
    problems = []
    for where, expr in queries:
        try:
            promql_parser.parse(expr)
        except ValueError as exc:
            problems.append(f"{where}: {exc}: {expr}")
    return problems


def selectors(expr: str) -> list[tuple[str, dict[str, str]]]:
    """(metric name, equality matchers) of every vector selector of an expression."""
    found = []

    def visit(node):
        if isinstance(node, promql_parser.VectorSelector):
            eq = {m.name: m.value for m in node.matchers.matchers if m.op == promql_parser.MatchOp.Equal}
            name = node.name or eq.get("__name__")
            if name:
                found.append((name, eq))

    promql_parser.walk(promql_parser.parse(expr), visit)
    return found


def parsed_selectors(queries: Queries) -> Iterator[tuple[str, str, dict[str, str]]]:
    """(where, metric name, equality matchers) of every selector of the queries that parse (the
    others are check_promql's to report)."""
    for where, expr in queries:
        try:
            found = selectors(expr)
        except ValueError:
            continue
        for name, eq in found:
            yield where, name, eq


def used_names(queries: Queries) -> dict[str, list[str]]:
    used: dict[str, list[str]] = {}
    for where, name, _ in parsed_selectors(queries):
        used.setdefault(name, []).append(where)
    return used


# --- the exported set -----------------------------------------------------------------------------
def exported(path: Path) -> tuple[dict[str, set[str]], dict[str, str]]:
    """name -> sources, and source id -> description, from a metrics snapshot file."""
    names: dict[str, set[str]] = {}
    sources: dict[str, str] = {}
    for line in path.read_text().splitlines():
        m = re.match(r"# source ([\w-]+): (.*)", line)
        if m:
            sources[m.group(1)] = m.group(2)
        elif line and not line.startswith("#"):
            name, srcs = line.split()
            names[name] = set(srcs.split(","))
    return names, sources


def check_names_exported(
    queries: Queries, recorded: set[str], snapshot: Path, skip_prefix: str | None = None
) -> list[str]:
    names, _ = exported(snapshot)
    problems = []
    for name, where in sorted(used_names(queries).items()):
        if name in recorded or name in names or (skip_prefix and name.startswith(skip_prefix)):
            continue
        problems.append(
            f"{name} is not exported (not in {snapshot.name}), used by {', '.join(sorted(set(where)))}"
        )
    return problems


def swoole_scraped(snapshot: Path) -> bool:
    return "scrape-swoole" in exported(snapshot)[1]


# --- kubelet series against the scrape configuration -------------------------------------------
def check_jobs_keep_names(queries: Queries, config: Path) -> list[str]:
    """A selector with job="X" needs a scrape job X whose metric_relabel keep rules let the name in."""
    jobs = {j["job_name"]: j for j in yaml.safe_load(config.read_text())["scrape_configs"]}
    problems = []
    for where, name, eq in parsed_selectors(queries):
        job = eq.get("job")
        if job is None:
            continue
        if job not in jobs:
            problems.append(f"{where}: job {job!r} is not a scrape job of {config.name}")
            continue
        for rc in jobs[job].get("metric_relabel_configs", []):
            keeps = rc.get("action") == "keep" and rc.get("source_labels") == ["__name__"]
            if keeps and not re.fullmatch(rc["regex"], name):
                problems.append(f"{where}: {name} is dropped by the keep rule of job {job!r}")
    return problems
