"""The acceptance catalog is complete and every criterion mark in the suite is valid."""

from __future__ import annotations

import json
import os
import re
import textwrap
from pathlib import Path

import pytest

from plugins.acceptance import catalog_errors, load_catalog
from tests.repo import ROOT, suite_pytest

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
    poc = {c["id"] for c in load_catalog() if c.get("origin") != "project"}
    assert poc == checklist_ids(SHARED_CHECKLIST.read_text())


def test_the_project_s_own_criteria_are_apart_from_the_checklist_in_a_group_of_their_own():
    own = [c for c in load_catalog() if "origin" in c]
    assert own, "no criteria of the project's own (issue 17's reliability rows, issue 18's demos)"
    for c in own:
        assert c["origin"] == "project", c
        assert c["group"] in ("reliability", "demos"), c
    if SHARED_CHECKLIST.exists():
        assert not {c["id"] for c in own} & checklist_ids(SHARED_CHECKLIST.read_text())


def test_every_criterion_has_a_title_a_group_and_a_known_tier():
    for c in load_catalog():
        assert c["title"], c
        assert c["group"], c
        assert c["tier"] in ("static", "app", "container", "k8s"), c


def _sample(path: Path, source: str) -> Path:
    """Write a sample test file (dedented) for the suite's plugins to run over."""
    path.write_text(textwrap.dedent(source))
    return path


def test_an_unknown_criterion_id_fails_collection(tmp_path):
    _sample(
        (tmp_path / "test_typo.py"),
        """
            import pytest

            @pytest.mark.static
            @pytest.mark.criterion("no-such-criterion")
            def test_x():
                pass
            """,
    )
    proc = suite_pytest(
        "-p", "conftest", "--reports-dir", str(tmp_path / "r"), str(tmp_path / "test_typo.py")
    )
    assert proc.returncode == 4, proc.stdout + proc.stderr  # usage error
    assert "no-such-criterion" in proc.stdout + proc.stderr


EVERY_TIER = "static or app or container or k8s"  # the samples mark the tier their row needs


def _run(tmp_path, test_file, *extra) -> Path:
    """The suite's plugins over one test file; returns the acceptance.json it wrote."""
    proc = suite_pytest(
        "-p", "conftest", "--reports-dir", str(tmp_path / "r"), "-m", EVERY_TIER, *extra, str(test_file)
    )
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    return tmp_path / "r" / "acceptance.json"


def _run_suite(tmp_path, test_file, *extra) -> dict:
    return {c["id"]: c for c in json.loads(_run(tmp_path, test_file, *extra).read_text())["criteria"]}


def test_the_report_merges_the_tiers_run_one_after_another_and_fresh_report_starts_over(tmp_path):
    first = tmp_path / "test_first.py"
    _sample(
        first,
        """
        import pytest

        @pytest.mark.app
        @pytest.mark.criterion("api-crud")
        def test_passes():
            pass
        """,
    )
    second = tmp_path / "test_second.py"
    _sample(
        second,
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
        """,
    )
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
    _sample(
        scoped,
        """
        import pytest

        @pytest.mark.static
        @pytest.mark.criterion("fpm-swoole-metrics")
        @pytest.mark.criterion("swoole-metrics", variant="swoole")
        def test_series(variant):
            if variant == "swoole":
                pytest.skip("no swoole here")
        """,
    )
    report = _run_suite(tmp_path, scoped, "--variant", "both", "--fresh-report")
    assert [t["nodeid"].split("[")[1] for t in report["swoole-metrics"]["tests"]] == ["swoole]"]
    assert report["swoole-metrics"]["status"] == "SKIP"
    assert report["fpm-swoole-metrics"]["status"] == "PARTIAL"


def test_a_criterion_of_both_runtimes_is_partial_when_one_runtime_was_skipped(tmp_path):
    test = tmp_path / "test_runtimes.py"
    _sample(
        test,
        """
        import pytest

        @pytest.mark.container
        @pytest.mark.criterion("graceful-shutdown", "opcache-config")
        def test_stop(variant):
            if variant == "swoole":
                pytest.skip("swoole: no image here")

        @pytest.mark.static
        @pytest.mark.criterion("pdb")
        def test_static_half():
            pass

        @pytest.mark.static
        @pytest.mark.criterion("terraform-infra")
        def test_validates():
            pass

        @pytest.mark.static
        @pytest.mark.criterion("terraform-infra")
        def test_applies_online():
            pytest.skip("needs an online registry")

        @pytest.mark.k8s
        @pytest.mark.criterion("pdb")
        def test_live_half(variant):
            pass
        """,
    )
    data = json.loads(_run(tmp_path, test, "--variant", "both", "--fresh-report").read_text())
    report = {c["id"]: c for c in data["criteria"]}
    shutdown = report["graceful-shutdown"]
    assert shutdown["status"] == "PARTIAL"
    assert shutdown["columns"] == {
        "fpm": {"status": "PASS", "note": ""},
        "swoole": {"status": "SKIP", "note": "swoole: no image here"},
    }
    assert shutdown["note"].startswith("fpm PASS · swoole SKIP: swoole: no image here")
    # an FPM-only criterion ignores the Swoole run; a static test is evidence for both runtimes
    assert report["opcache-config"]["status"] == "PASS"
    assert report["pdb"]["status"] == "PASS"
    assert data["summary"]["PARTIAL"] == 2
    # a runtime-independent row with a skipped part is PARTIAL too, with the reason
    assert report["terraform-infra"]["status"] == "PARTIAL"
    assert report["terraform-infra"]["note"] == "skipped: needs an online registry"
    # run with one runtime only: the other column is not covered, so nothing reads PASS
    only_fpm = json.loads(_run(tmp_path, test, "--variant", "fpm", "--fresh-report").read_text())
    pdb = {c["id"]: c for c in only_fpm["criteria"]}["pdb"]
    assert pdb["status"] == "PARTIAL", pdb
    assert pdb["columns"]["swoole"]["status"] == "NOT COVERED", (
        "the static half alone does not prove a runtime"
    )
    assert {c["id"]: c for c in only_fpm["criteria"]}["graceful-shutdown"]["columns"]["swoole"][
        "status"
    ] == "NOT COVERED"


def test_a_metric_row_compares_the_worst_measurement_with_its_target(tmp_path):
    test = tmp_path / "test_metrics.py"
    _sample(
        test,
        """
        import pytest

        @pytest.mark.k8s
        @pytest.mark.criterion("perf-fpm-p95")
        def test_fast(record_metric):
            record_metric("perf-fpm-p95", "p95 round 1", 46.7, "ms")
            record_metric("perf-fpm-p95", "p95 round 2", 52.0, "ms")
            record_metric("perf-fpm-p95", "rps per CPU", 601, "rps")

        @pytest.mark.k8s
        @pytest.mark.criterion("rollback-time")
        def test_slow(record_metric, variant):
            record_metric("rollback-time", "rollback", 75.0 if variant == "swoole" else 4.5, "s")

        @pytest.mark.k8s
        @pytest.mark.criterion("deploy-time")
        def test_unmeasured(variant):
            pass
        """,
    )
    report = {
        c["id"]: c
        for c in json.loads(_run(tmp_path, test, "--variant", "both", "--fresh-report").read_text())[
            "criteria"
        ]
    }
    fpm = report["perf-fpm-p95"]
    assert fpm["status"] == "PASS", fpm
    assert fpm["columns"]["fpm"]["note"] == "52 ms < 100 ms", "the worst round counts, in the target's unit"
    assert fpm["target"] == {"op": "<", "value": 100, "unit": "ms"}
    rollback = report["rollback-time"]
    assert rollback["status"] == "FAIL", "a missed target fails the row although the test passed"
    assert rollback["columns"]["fpm"] == {"status": "PASS", "note": "4.5 s < 60 s"}
    assert rollback["columns"]["swoole"] == {"status": "FAIL", "note": "75 s >= 60 s (target missed)"}
    deploy = report["deploy-time"]
    assert deploy["status"] == "FAIL"
    assert "no value in s was measured" in deploy["columns"]["fpm"]["note"]


def test_a_row_is_at_most_partial_when_only_checks_of_a_cheaper_tier_ran(tmp_path):
    """A k8s row whose k8s tests are stale (another commit) or were not run is not proven by the
    manifest rules that ran: each runtime reads PARTIAL with the reason, never PASS."""
    rules = tmp_path / "test_rules.py"
    _sample(
        rules,
        """
        import pytest

        @pytest.mark.static
        @pytest.mark.criterion("k8s-app-running")
        @pytest.mark.parametrize("overlay", ["fpm", "swoole"])
        def test_labels(overlay):
            pass

        @pytest.mark.static
        @pytest.mark.criterion("perf-fpm-p95")
        def test_benchmark_in_a_cheaper_tier(record_metric):
            record_metric("perf-fpm-p95", "p95", 80.0, "ms")

        @pytest.mark.static
        @pytest.mark.criterion("hpa-reaction")
        def test_reaction_in_a_cheaper_tier(record_metric, variant):
            record_metric("hpa-reaction", "decision", 45.0, "s")

        @pytest.mark.static
        @pytest.mark.criterion("alpine-images")
        def test_recipe(variant):
            pass

        @pytest.mark.container
        @pytest.mark.criterion("alpine-images")
        def test_image_size(variant):
            pytest.skip("no alpine image offline")
        """,
    )
    live = tmp_path / "test_live.py"
    _sample(
        live,
        """
        import pytest

        @pytest.mark.k8s
        @pytest.mark.criterion("k8s-app-running")
        def test_running(variant):
            pass

        @pytest.mark.k8s
        @pytest.mark.criterion("ingress-tls")
        def test_the_cluster_serves_https():
            pass

        @pytest.mark.k8s
        @pytest.mark.criterion("ingress-tls")
        def test_the_app_serves_its_certificate(variant):
            if variant == "swoole":
                pytest.skip("no swoole image here")
        """,
    )
    both = _run_suite(tmp_path, live, "--variant", "both", "--fresh-report")
    assert both["k8s-app-running"]["status"] == "PASS", both["k8s-app-running"]
    # a cluster test that is not per runtime does not prove the skipped Swoole deployment
    assert both["ingress-tls"]["columns"] == {
        "fpm": {"status": "PASS", "note": ""},
        "swoole": {"status": "SKIP", "note": "no swoole image here"},
    }
    # the live evidence is from an older commit; only the manifest rules run now
    js = tmp_path / "r" / "acceptance.json"
    data = json.loads(js.read_text())
    for c in data["criteria"]:
        for t in c["tests"]:
            t["commit"] = "0123456789ab"
    js.write_text(json.dumps(data))
    rows = _run_suite(tmp_path, rules, "--variant", "both")
    running = rows["k8s-app-running"]
    assert running["status"] == "PARTIAL", running
    assert running["columns"]["fpm"] == {
        "status": "PARTIAL",
        "note": "only static checks ran; no k8s test ran for fpm on this commit",
    }
    assert running["columns"]["swoole"]["status"] == "PARTIAL"
    assert "2 stale result(s)" in running["note"]
    # a metric met in a cheaper tier keeps its number but is not PASS; a missed one still fails
    perf = rows["perf-fpm-p95"]
    assert perf["status"] == "PARTIAL", perf
    assert perf["columns"]["fpm"]["note"].startswith("80 ms < 100 ms; only static checks ran")
    assert rows["hpa-reaction"]["status"] == "FAIL"
    assert rows["hpa-reaction"]["columns"]["fpm"]["note"] == "45 s >= 30 s (target missed)"
    # the row's own tier skipped, its static recipe checks passed: SKIP with the reason, not PARTIAL
    alpine = rows["alpine-images"]
    assert alpine["status"] == "SKIP", alpine
    assert alpine["columns"]["fpm"] == {"status": "SKIP", "note": "no alpine image offline"}


def test_merged_evidence_records_its_commit_and_tier_and_ages_out(tmp_path):
    test = tmp_path / "test_aging.py"
    _sample(
        test,
        """
        import pytest

        @pytest.mark.static
        @pytest.mark.criterion("gitops")
        def test_kept():
            pass

        @pytest.mark.static
        @pytest.mark.criterion("alerting")
        def test_renamed_later():
            pass
        """,
    )
    js = _run(tmp_path, test, "--fresh-report")
    first = {c["id"]: c for c in json.loads(js.read_text())["criteria"]}
    evidence = first["gitops"]["tests"][0]
    assert evidence["tier"] == "static"
    assert evidence["commit"] not in ("", "unknown")
    assert evidence["run"]
    # the second run collects another file: the first file's evidence is merged ...
    other = tmp_path / "test_other.py"
    other.write_text("import pytest\n\n@pytest.mark.static\ndef test_nothing():\n    pass\n")
    test.write_text(test.read_text().replace("test_renamed_later", "test_renamed_now"))
    merged = json.loads(_run(tmp_path, other).read_text())
    rows = {c["id"]: c for c in merged["criteria"]}
    assert rows["gitops"]["status"] == "PASS"
    # ... except the evidence of a test that no longer exists under that name
    assert rows["alerting"]["status"] == "NOT COVERED"
    assert merged["dropped"] == [f"{test}::test_renamed_later"]
    # evidence made at another commit is shown as stale and not counted
    data = json.loads(js.read_text())
    for c in data["criteria"]:
        for t in c["tests"]:
            t["commit"] = "0123456789ab"
    js.write_text(json.dumps(data))
    aged = {c["id"]: c for c in json.loads(_run(tmp_path, other).read_text())["criteria"]}
    assert aged["gitops"]["status"] == "NOT COVERED"
    assert aged["gitops"]["tests"][0]["stale"] is True
    assert "stale" in (tmp_path / "r" / "acceptance.md").read_text()


def test_the_real_catalog_is_well_formed_and_the_checker_rejects_broken_entries():
    assert catalog_errors(load_catalog()) == []
    broken = [
        {"id": "m1", "kind": "metric"},
        {"id": "m2", "kind": "metric", "target": {"op": "~", "value": 1, "unit": "s"}},
        {"id": "c1", "variants": ["fpm", "roadrunner"]},
        {"id": "c2", "target": {"op": "<", "value": 1, "unit": "s"}},
    ]
    errors = catalog_errors(broken)
    assert [e.split(":")[0] for e in errors] == ["m1", "m2", "c1", "c2"], errors


def test_every_criterion_proven_per_runtime_declares_its_runtimes(tmp_path):
    """A criterion with tests parametrized by `variant` must list its variants, or its Swoole half
    could never show up as missing."""
    plugin = tmp_path / "lks_dump_plugin.py"
    _sample(
        plugin,
        """
        import json, os

        def pytest_collection_modifyitems(items):
            seen = {}
            for item in items:
                spec = getattr(item, "callspec", None)
                per_runtime = bool(spec and "variant" in spec.params) or any(
                    m.kwargs.get("variant") for m in item.iter_markers("criterion"))
                for mark in item.iter_markers("criterion"):
                    for cid in mark.args:
                        seen[cid] = seen.get(cid, False) or per_runtime
            with open(os.environ["LKS_DUMP"], "w") as fh:
                json.dump(seen, fh)
        """,
    )
    dump = tmp_path / "criteria.json"
    proc = suite_pytest(
        "-p",
        "lks_dump_plugin",
        "--co",
        "-q",
        "--reports-dir",
        str(tmp_path / "r"),
        "-m",
        "static or app or container or k8s",
        "--variant",
        "both",
        timeout=300,
        env=os.environ | {"PYTHONPATH": str(tmp_path), "LKS_DUMP": str(dump)},
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    per_runtime = {cid for cid, flag in json.loads(dump.read_text()).items() if flag}
    undeclared = sorted(c["id"] for c in load_catalog() if c["id"] in per_runtime and not c.get("variants"))
    assert undeclared == [], f"proven per runtime but no variants in acceptance/criteria.yaml: {undeclared}"
