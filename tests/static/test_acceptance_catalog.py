"""The acceptance catalog is complete and every criterion mark in the suite is valid."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap

import pytest

from fixtures.acceptance import load_catalog
from tests.repo import ROOT

pytestmark = pytest.mark.static

SHARED_CHECKLIST = ROOT.parent / "shared" / "ACCEPTANCE.md"


def checklist_ids(text: str) -> set[str]:
    ids = set()
    for line in text.splitlines():
        m = re.match(r"^\| ([a-z0-9][a-z0-9 /()-]*?) \|", line)
        if m and m.group(1) != "ID":
            ids.update(part.replace("(bonus)", "").strip() for part in m.group(1).split(" / "))
    return ids


def test_the_catalog_lists_every_criterion_of_the_checklist_once():
    if not SHARED_CHECKLIST.exists():
        pytest.skip(f"{SHARED_CHECKLIST} is not beside this checkout")
    catalog = [c["id"] for c in load_catalog()]
    assert len(catalog) == len(set(catalog)), "duplicate IDs in acceptance/criteria.yaml"
    assert set(catalog) == checklist_ids(SHARED_CHECKLIST.read_text())


def test_every_criterion_has_a_title_a_group_and_a_known_tier():
    for c in load_catalog():
        assert c["title"], c
        assert c["group"], c
        assert c["tier"] in ("static", "app", "container", "k8s"), c


def test_an_unknown_criterion_id_fails_collection(tmp_path):
    (tmp_path / "test_typo.py").write_text(
        textwrap.dedent(
            """
            import pytest

            @pytest.mark.static
            @pytest.mark.criterion("no-such-criterion")
            def test_x():
                pass
            """
        )
    )
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "conftest", "--rootdir", str(ROOT), "-c",
         str(ROOT / "pyproject.toml"), "--reports-dir", str(tmp_path / "r"), str(tmp_path / "test_typo.py")],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 4, proc.stdout + proc.stderr  # usage error
    assert "no-such-criterion" in proc.stdout + proc.stderr


def _run_suite(tmp_path, test_file, *extra) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "conftest", "--rootdir", str(ROOT), "-c", str(ROOT / "pyproject.toml"),
         "--reports-dir", str(tmp_path / "r"), "-m", "static", *extra, str(test_file)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    return {c["id"]: c for c in json.loads((tmp_path / "r" / "acceptance.json").read_text())["criteria"]}


def test_the_report_merges_the_tiers_run_one_after_another_and_fresh_report_starts_over(tmp_path):
    first = tmp_path / "test_first.py"
    first.write_text(textwrap.dedent(
        """
        import pytest

        @pytest.mark.static
        @pytest.mark.criterion("api-crud")
        def test_passes():
            pass
        """
    ))
    second = tmp_path / "test_second.py"
    second.write_text(textwrap.dedent(
        """
        import pytest

        @pytest.mark.static
        @pytest.mark.criterion("pdb")
        def test_fails():
            assert False

        @pytest.mark.static
        @pytest.mark.criterion("rollback")
        def test_skips():
            pytest.skip("no cluster here")
        """
    ))
    assert _run_suite(tmp_path, first)["api-crud"]["status"] == "PASS"
    merged = _run_suite(tmp_path, second)
    assert merged["api-crud"]["status"] == "PASS", "the first run's evidence was dropped"
    assert merged["pdb"]["status"] == "FAIL"
    assert merged["rollback"]["status"] == "SKIP"
    assert "no cluster here" in merged["rollback"]["note"]
    assert merged["hpa-scale-out"]["status"] == "NOT COVERED"
    fresh = _run_suite(tmp_path, second, "--fresh-report")
    assert fresh["api-crud"]["status"] == "NOT COVERED"


def test_a_criterion_scoped_to_one_variant_counts_only_for_that_variant(tmp_path):
    scoped = tmp_path / "test_scoped.py"
    scoped.write_text(textwrap.dedent(
        """
        import pytest

        @pytest.mark.static
        @pytest.mark.criterion("fpm-swoole-metrics")
        @pytest.mark.criterion("swoole-metrics", variant="swoole")
        def test_series(variant):
            if variant == "swoole":
                pytest.skip("no swoole here")
        """
    ))
    report = _run_suite(tmp_path, scoped, "--variant", "both", "--fresh-report")
    assert [t["nodeid"].split("[")[1] for t in report["swoole-metrics"]["tests"]] == ["swoole]"]
    assert report["swoole-metrics"]["status"] == "SKIP"
    assert report["fpm-swoole-metrics"]["status"] == "PASS"
