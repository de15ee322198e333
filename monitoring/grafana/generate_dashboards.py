"""Writes the three Grafana dashboards of monitoring/grafana/dashboards/ (committed JSON).

    .venv/bin/python -m monitoring.grafana.generate_dashboards          # rewrite the JSON files
    .venv/bin/python -m monitoring.grafana.generate_dashboards --check  # exit 1 when they differ

Each dashboard is one module (php_fpm, swoole, comparison) built from board.py; the rows the two
runtime dashboards share are in runtime_rows.py. tests/static/test_monitoring.py parses every
query and checks each metric name against monitoring/exported-metrics.txt.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

from monitoring.generated import write_or_check
from monitoring.grafana import comparison, php_fpm, swoole
from monitoring.grafana.panels import panels

OUT = Path(__file__).resolve().parent / "dashboards"
DASHBOARDS: dict[str, Callable[[], dict]] = {
    "php-fpm-dashboard.json": php_fpm.build,
    "swoole-dashboard.json": swoole.build,
    "comparison-dashboard.json": comparison.build,
}


def render(doc: dict) -> str:
    return json.dumps(doc, indent=2) + "\n"


def main(argv: list[str], out: Path = OUT) -> int:
    docs = {name: build() for name, build in DASHBOARDS.items()}
    status = write_or_check(
        {out / name: render(doc) for name, doc in docs.items()},
        "--check" in argv,
        "dashboards differ from the generator",
    )
    if "--check" not in argv:
        print(", ".join(f"{name}: {sum(1 for _ in panels(doc))} panels" for name, doc in docs.items()))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
