"""Checkers of the Prometheus rule files and their promtool tests: the alerts' metadata and
runbook links, and promtool cases on both sides of every `for:`. Each returns a list of
problems (empty: the check passed); tests/static/test_monitoring.py runs them on the repository
and on the broken samples of tests/static/samples/monitoring/."""

from __future__ import annotations

import re
import subprocess
import tempfile
from datetime import timedelta
from pathlib import Path

import promql_parser
import yaml

from monitoring.runbook import BASE_URL, anchors, slug
from plugins.capabilities import require_tool

REQUIRED_ANNOTATIONS = ("summary", "description", "runbook_url")
SEVERITIES = ("critical", "warning", "info")


# --- loading ------------------------------------------------------------------------------------
def rule_files(root: Path) -> list[Path]:
    """YAML files under root that hold Prometheus rule groups (promtool tests excluded)."""
    found = []
    for p in sorted(root.rglob("*.yml")):
        if "tests" in p.relative_to(root).parts:
            continue
        doc = yaml.safe_load(p.read_text())
        if isinstance(doc, dict) and "groups" in doc:
            found.append(p)
    return found


def rules(files: list[Path]) -> list[tuple[Path, dict]]:
    return [(f, r) for f in files for g in yaml.safe_load(f.read_text())["groups"] for r in g["rules"]]


def alerts(files: list[Path]) -> list[tuple[Path, dict]]:
    return [(f, r) for f, r in rules(files) if "alert" in r]


def rule_tests(root: Path) -> list[Path]:
    return sorted((root / "tests").glob("*.yml"))


def seconds(duration: str) -> float:
    return promql_parser.parse_duration(duration).total_seconds()


# --- alert metadata -----------------------------------------------------------------------------
def check_alert_metadata(files: list[Path], runbook: Path, base: str = BASE_URL) -> list[str]:
    """Every alert: a severity, the required annotations, and runbook_url = <base>#<anchor> where
    the anchor is the alert's own section of the runbook (kubernetes-mixin's pattern)."""
    sections = anchors(runbook.read_text())
    link = re.compile(re.escape(base) + r"#([a-z0-9-]+)")
    problems = []
    for f, a in alerts(files):
        where = f"{f.name}: {a['alert']}"
        labels, annotations = a.get("labels") or {}, a.get("annotations") or {}
        if labels.get("severity") not in SEVERITIES:
            problems.append(f"{where}: severity label missing or not one of {SEVERITIES}")
        problems += [
            f"{where}: annotation {k} missing" for k in REQUIRED_ANNOTATIONS if not annotations.get(k)
        ]
        url = annotations.get("runbook_url", "")
        m = link.fullmatch(url)
        if url and not m:
            problems.append(f"{where}: runbook_url {url!r} is not {base}#<anchor>")
        elif m and m.group(1) not in sections:
            problems.append(f"{where}: runbook_url anchor #{m.group(1)} has no section in {runbook.name}")
        elif m and m.group(1) != slug(a["alert"]):
            problems.append(
                f"{where}: runbook_url anchor #{m.group(1)} is not its own section #{slug(a['alert'])}"
            )
    return problems


# --- promtool cases on both sides of every for: -------------------------------------------------
def alert_cases(test_files: list[Path]) -> dict[str, list[dict]]:
    """alertname -> [{file, test, interval, cases: {eval seconds: exp_alerts}}] per test group."""
    found: dict[str, list[dict]] = {}
    for tf in test_files:
        doc = yaml.safe_load(tf.read_text())
        interval = seconds(doc.get("evaluation_interval", "1m"))
        for group in doc.get("tests", []):
            per_alert: dict[str, dict[float, list]] = {}
            for case in group.get("alert_rule_test", []):
                per_alert.setdefault(case["alertname"], {})[seconds(case["eval_time"])] = (
                    case.get("exp_alerts") or []
                )
            for name, cases in per_alert.items():
                found.setdefault(name, []).append(
                    {"file": tf, "test": group.get("name", "?"), "interval": interval, "cases": cases}
                )
    return found


def paired_cases(alert: dict, groups: list[dict]) -> list[tuple[Path, float, float]]:
    """(test file, t0, t1) where the alert must not fire at t0 and fires, fully described, at
    t1 = t0 + one evaluation interval."""
    pairs = []
    for g in groups:
        for t1, expected in g["cases"].items():
            t0 = t1 - g["interval"]
            described = expected and all(
                (e.get("exp_labels") or {}).get("severity") == alert["labels"]["severity"]
                and all((e.get("exp_annotations") or {}).get(k) for k in REQUIRED_ANNOTATIONS)
                for e in expected
            )
            if described and t0 in g["cases"] and g["cases"][t0] == []:
                pairs.append((g["file"], t0, t1))
    return pairs


def check_for_coverage(files: list[Path], test_files: list[Path]) -> list[str]:
    cases = alert_cases(test_files)
    problems = []
    for f, a in alerts(files):
        name = a["alert"]
        if "for" not in a or seconds(a["for"]) < 60:
            problems.append(f"{f.name}: {name} has no `for:` of at least 1m, so it has no two sides to test")
            continue
        if not paired_cases(a, cases.get(name, [])):
            problems.append(
                f"{name}: no promtool case pair 'must not fire at T' / 'fires at T + evaluation_interval "
                "with severity and summary, description, runbook_url'"
            )
    return problems


def without_for(root: Path, files: list[Path], test_files: list[Path], into: Path) -> list[Path]:
    """Copy the rule and test files under `into` (same relative paths), every `for:` removed."""
    for f in files + test_files:
        target = into / f.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        doc = yaml.safe_load(f.read_text())
        if f in files:
            for group in doc["groups"]:
                for rule in group["rules"]:
                    rule.pop("for", None)
        target.write_text(yaml.safe_dump(doc, sort_keys=False))
    return [into / t.relative_to(root) for t in test_files]


def check_conditions_hold_before_for(root: Path, files: list[Path], test_files: list[Path]) -> list[str]:
    """With every `for:` removed, each 'must not fire yet' case of a pair must fail: proof that
    the condition already held there and only `for:` kept the alert pending."""
    cases = alert_cases(test_files)
    pairs = {
        (a["alert"], t0) for _, a in alerts(files) for _, t0, _ in paired_cases(a, cases.get(a["alert"], []))
    }
    if not pairs:
        return ["no paired promtool cases to mutate"]
    with tempfile.TemporaryDirectory() as tmp:
        copied = without_for(root, files, test_files, Path(tmp))
        proc = subprocess.run(
            [require_tool("promtool"), "test", "rules", *map(str, copied)],
            capture_output=True,
            text=True,
            timeout=120,
        )
    fired_early = {
        (m.group(1), seconds(m.group(2)))
        for m in re.finditer(
            r"alertname: (\w+), time: (\w+),\s*exp:\[\],\s*got:\[\s*0:", proc.stdout + proc.stderr
        )
    }
    return [
        f"{name}: without `for:` it still does not fire at {timedelta(seconds=t0)}: the 'not yet' case is not "
        "just before `for:` elapses (the condition does not hold there)"
        for name, t0 in sorted(pairs - fired_early)
    ]
