"""The alerts' runbook links: one base URL, one anchor per alert (kubernetes-mixin's
runbookURLPattern).

BASE_URL is the one place the runbook's address is written. Every alert of
monitoring/alerts/*.yml, and every alert a promtool test of monitoring/tests/*.yml expects,
carries `runbook_url: <BASE_URL>#<anchor>`: the anchor GitHub gives the alert's section of
docs/runbook.md (`## <AlertName>`), an address that opens from Alertmanager and Grafana. The
`runbook_url:` lines are written from BASE_URL by this module, so changing the base is one edit
and one run:

    .venv/bin/python -m monitoring.runbook          # rewrite every runbook_url line from BASE_URL
    .venv/bin/python -m monitoring.runbook --check  # exit 1 when a line differs

tests/static/test_monitoring.py checks every alert against the pattern and every anchor against
the headings of docs/runbook.md.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from monitoring.generated import write_or_check

BASE_URL = "https://github.com/laravel-k8s-showcase/laravel-k8s-showcase/blob/main/docs/runbook.md"
MONITORING = Path(__file__).resolve().parent
FILES = ("alerts/*.yml", "tests/*.yml")

_NAME = re.compile(r"^\s*(?:- )?(?:alert|alertname): (\w+)\s*$")
_LINK = re.compile(r"^(\s*runbook_url: ).*$")


def slug(heading: str) -> str:
    """The anchor GitHub generates for a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(markdown: str) -> set[str]:
    """The anchors of the headings of a Markdown document."""
    return {slug(m.group(1)) for m in re.finditer(r"^#{1,6}\s+(.*)$", markdown, re.M)}


def url(alert: str, base: str = BASE_URL) -> str:
    """The runbook link of an alert: its section of the runbook."""
    return f"{base}#{slug(alert)}"


def stamp(text: str, base: str = BASE_URL) -> str:
    """A rule or promtool test file with each `runbook_url:` line set to the link of the alert
    named last above it (`- alert:` of a rule, `alertname:` of a test case)."""
    name, out = None, []
    for line in text.splitlines(keepends=True):
        if m := _NAME.match(line):
            name = m.group(1)
        elif (m := _LINK.match(line)) and name:
            line = m.group(1) + url(name, base) + "\n"
        out.append(line)
    return "".join(out)


def files(root: Path = MONITORING) -> list[Path]:
    return sorted(p for pattern in FILES for p in root.glob(pattern))


def main(argv: list[str], root: Path = MONITORING) -> int:
    return write_or_check(
        {p: stamp(p.read_text()) for p in files(root)},
        "--check" in argv,
        "runbook_url lines differ from BASE_URL",
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
