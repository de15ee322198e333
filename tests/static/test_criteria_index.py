"""The criteria index (plugins/criteria_index.py, `make criteria-index`): one section per criterion
of the catalog, every collected criterion marker under its criterion, "no test" where none."""

from __future__ import annotations

import json
import os
import re
import textwrap
from pathlib import Path

import pytest

from plugins.acceptance import load_catalog
from tests.repo import ROOT, suite_pytest

pytestmark = pytest.mark.static

# an independent record of the collection: every criterion marker of every collected test
MARKER_DUMP = """
import json, os
import pytest

@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    marks = []
    for item in items:
        spec = getattr(item, "callspec", None)
        param = spec.params.get("variant") if spec else None
        for mark in item.iter_markers("criterion"):
            scope = mark.kwargs.get("variant")
            if not param or scope in (None, param):  # a mark scoped to another runtime does not count
                marks += [[cid, item.nodeid] for cid in mark.args]
    with open(os.environ["LKS_MARKER_DUMP"], "w") as out:
        json.dump(marks, out)
"""


def index_run(tmp_path: Path, *args: str) -> tuple[str, set[tuple[str, str]]]:
    """`pytest --criteria-index` with the suite's conftest (`-p conftest` in `args` for files outside
    the checkout); the index and the markers the collection held (recorded by a plugin of this
    test, not by the index)."""
    (tmp_path / "lks_marker_dump.py").write_text(MARKER_DUMP)
    index, dump = tmp_path / "index.md", tmp_path / "markers.json"
    proc = suite_pytest(
        "-p",
        "lks_marker_dump",
        f"--criteria-index={index}",
        f"--reports-dir={tmp_path / 'reports'}",
        "-q",
        *args,
        timeout=300,
        env=os.environ | {"PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}", "LKS_MARKER_DUMP": str(dump)},
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert not (tmp_path / "reports" / "acceptance.json").exists(), "an index run wrote the acceptance report"
    return index.read_text(), {(cid, nodeid) for cid, nodeid in json.loads(dump.read_text())}


def index_sections(markdown: str) -> dict[str, list[str]]:
    """criterion id -> the lines of its `## id` section."""
    sections: dict[str, list[str]] = {}
    current = None
    for line in markdown.splitlines():
        if line.startswith("## "):
            current = line[3:].strip()
            sections[current] = []
        elif current is not None:
            sections[current].append(line)
    return sections


def listed_tests(lines: list[str]) -> set[str]:
    return {m[1].replace("\\|", "|") for line in lines if (m := re.match(r"^\| `(.+?)` \|", line))}


def index_problems(markdown: str, criteria: list[str], marks: set[tuple[str, str]]) -> list[str]:
    """What the index gets wrong about the catalog's criteria and the collected markers."""
    sections = index_sections(markdown)
    summary = {m[1] for m in re.finditer(r"^\| \[([^\]]+)\]\(#\1\) \|", markdown, flags=re.MULTILINE)}
    problems = [f"{cid}: no section" for cid in criteria if cid not in sections]
    problems += [f"{cid}: no row in the summary table" for cid in criteria if cid not in summary]
    for cid, lines in sections.items():
        expected = {nodeid for c, nodeid in marks if c == cid}
        listed = listed_tests(lines)
        no_test = "**no test**" in lines
        if not expected and not no_test:
            problems.append(f"{cid}: no test carries it, and the index does not say 'no test'")
        if expected and no_test:
            problems.append(f"{cid}: says 'no test' but {len(expected)} tests carry it")
        problems += [f"{cid}: {nodeid} carries it but is not listed" for nodeid in sorted(expected - listed)]
        problems += [
            f"{cid}: {nodeid} is listed but does not carry it" for nodeid in sorted(listed - expected)
        ]
    problems += [
        f"{cid}: marked by a test, not in the catalog" for cid in {c for c, _ in marks} - set(criteria)
    ]
    return problems


@pytest.mark.slow
def test_the_index_lists_every_criterion_of_the_catalog_and_every_collected_criterion_marker(tmp_path):
    markdown, marks = index_run(tmp_path)

    criteria = [c["id"] for c in load_catalog()]
    assert len(marks) > 100, f"the collection held only {len(marks)} criterion markers"
    assert index_problems(markdown, criteria, marks) == []
    # every tier is indexed, not only what `-m` would select by default
    tiers = {
        line.split(" | ")[1]
        for lines in index_sections(markdown).values()
        for line in lines
        if line.startswith("| `")
    }
    assert tiers == {"static", "app", "container", "k8s"}


SAMPLE = """
import pytest

@pytest.mark.static
@pytest.mark.criterion("sample-tested")
def test_reads_a_doc(capabilities):
    assert (capabilities, "docs/APP.md", "no/such/file.txt") and False  # never runs: an index runs no test

@pytest.mark.static
@pytest.mark.criterion("sample-swoole-only", variant="swoole")
def test_per_runtime(variant):  # the suite parametrizes variant: fpm and swoole
    pass
"""

SAMPLE_CATALOG = """
criteria:
  - {id: sample-tested, group: g, tier: static, title: Tested by one test}
  - {id: sample-swoole-only, group: g, tier: static, title: Tested on one runtime, variants: [swoole]}
  - {id: sample-untested, group: g, tier: static, title: Tested by nothing}
"""


def test_a_criterion_without_a_test_is_listed_as_no_test_and_the_check_catches_a_wrong_index(tmp_path):
    (tmp_path / "catalog.yaml").write_text(SAMPLE_CATALOG)
    (tmp_path / "test_sample.py").write_text(textwrap.dedent(SAMPLE))
    markdown, marks = index_run(
        tmp_path,
        "-p",
        "conftest",
        f"--criteria-catalog={tmp_path / 'catalog.yaml'}",
        str(tmp_path / "test_sample.py"),
    )

    criteria = [c["id"] for c in load_catalog(tmp_path / "catalog.yaml")]
    sections = index_sections(markdown)
    assert index_problems(markdown, criteria, marks) == []
    assert "**no test**" in sections["sample-untested"]
    assert [n.split("::")[1] for n in listed_tests(sections["sample-swoole-only"])] == [
        "test_per_runtime[swoole]"
    ]
    (row,) = [line for line in sections["sample-tested"] if line.startswith("| `")]
    assert "`capabilities (plugins/capabilities.py)`" in row, row
    assert "`docs/APP.md`" in row, row
    assert "no/such/file.txt" not in row, row

    # the check fails on an index that drops a test, a section, or says "no test" wrongly
    dropped_row = markdown.replace(row + "\n", "")
    assert index_problems(dropped_row, criteria, marks) == [
        f"sample-tested: {n} carries it but is not listed" for c, n in sorted(marks) if c == "sample-tested"
    ]
    no_section = re.sub(r"## sample-untested\n(.|\n)*", "", markdown)
    assert "sample-untested: no section" in index_problems(no_section, criteria, marks)
    assert "sample-untested: no test carries it, and the index does not say 'no test'" in index_problems(
        markdown.replace("**no test**", ""), criteria, marks
    )
    assert "sample-other: no section" in index_problems(markdown, [*criteria, "sample-other"], marks)
