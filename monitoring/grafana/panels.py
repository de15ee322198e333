"""Reading a Grafana dashboard back: its panels, their queries, and the queries as Grafana sends
them once its variables are replaced. The one walker of dashboards/*.json, used by the generator
and by every tier's dashboard tests (static, container, k8s).

    from monitoring.grafana.panels import load, panels, substitute
    for panel in panels(load(path)):
        for target in panel["targets"]:
            substitute(target["expr"], {"namespace": "laravel", "pod": ".*"})
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

# $name, ${name}, ${name:format} and the deprecated [[name]]: the variable syntaxes of Grafana
VARIABLE = re.compile(r"\$\{(\w+)(?::[^}]*)?\}|\$(\w+)|\[\[(\w+)\]\]")


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def panels(dashboard: dict, rows: bool = False) -> Iterator[dict]:
    """Every panel of a dashboard, depth first, the panels of collapsed rows included; the rows
    themselves only when `rows`."""

    def walk(items: list[dict]) -> Iterator[dict]:
        for p in items:
            if rows or p.get("type") != "row":
                yield p
            yield from walk(p.get("panels", []))

    return walk(dashboard.get("panels", []))


def variable_names(expr: str) -> list[str]:
    """The variables an expression refers to, in order."""
    return [next(g for g in m.groups() if g) for m in VARIABLE.finditer(expr)]


def substitute(expr: str, values: dict[str, str], default: str | None = None) -> str:
    """The expression with each variable of `values` replaced; any other variable by `default`,
    or left as it is when there is none."""

    def value(m: re.Match) -> str:
        name = next(g for g in m.groups() if g)
        return values.get(name, m.group(0) if default is None else default)

    return VARIABLE.sub(value, expr)


def runtimes(panel: dict) -> set[str]:
    """The runtimes whose series a panel needs: "swoole" for swoole_* or runtime="swoole", "fpm"
    for php_fpm_pool_* or runtime="fpm" (both for the "Swoole / FPM throughput" ratio); empty
    for a panel that either runtime feeds."""
    text = " ".join(t.get("expr", "") for t in panel.get("targets", []))
    needed = set()
    if 'runtime="swoole"' in text or "swoole_" in text:
        needed.add("swoole")
    if 'runtime="fpm"' in text or "php_fpm_pool" in text:
        needed.add("fpm")
    return needed
