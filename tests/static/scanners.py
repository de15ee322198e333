"""The independent scanners of the static tier, run on what the project ships and parsed from
their JSON: checkov (its own venv, .venv/checkov: its pins conflict with the suite's), kube-score
and trivy config (Go programs built by scripts/cluster/build-tools.sh into $LKS_CACHE).

Accepted findings are recorded where the object is, each with its reason, and a finding that is
neither fixed nor excepted is a problem; so is an exception without a reason:
  checkov     `checkov.io/skip<N>: CKV_ID=<reason>` annotations (Kubernetes), `# checkov:skip=CKV_ID:
              <reason>` comments (Dockerfiles, Terraform, workflows)
  kube-score  `kube-score/ignore: <check>,...` with `laravel-k8s-showcase/kube-score-reasons`, one
              `<check>: <reason>` line per ignored check (kube-score has no reason field)
  trivy       `.trivyignore.yaml` entries (id, paths, statement = the reason)
The Kubernetes trees are scanned as `kustomize build` renders them (fixtures/manifests.py), one
file per tree, so that a scanner sees the objects the cluster gets.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import subprocess
import time
from pathlib import Path

import yaml

from fixtures import manifests
from fixtures.manifests import K8S, OVERLAYS
from plugins.capabilities import require_tool
from suite.project import CACHE, ROOT, tool_version

# every Kubernetes tree the project applies, by the name of its rendered file
TREES = {
    "overlays-fpm": OVERLAYS / "fpm",
    "overlays-swoole": OVERLAYS / "swoole",
    "overlays-comparison": OVERLAYS / "comparison",
    "monitoring": K8S / "monitoring",
    "telemetry": K8S / "telemetry",
    "cluster-addons": K8S / "cluster" / "addons",
    "cluster-test": K8S / "cluster" / "cluster-test",
}
# manifests applied as they are (kind applies the CNI from the node image: no kustomization)
PLAIN = {"cluster-cni": K8S / "cluster" / "cni" / "kube-router.yaml"}
TERRAFORM = ROOT / "terraform"
WORKFLOWS = ROOT / ".github" / "workflows"
# checkov's repository run (Dockerfiles, Terraform, workflows) leaves out, each for its reason:
CHECKOV_SKIP_PATHS = {
    "tests/static/samples": "broken on purpose: each check of the static tier must reject one",
    "tests/k8s/samples": "the k8s tier's probe app and its image, test fixtures that are not shipped",
    r"\.venv": "the Python environments of the suite (third-party packages)",
    "app/src/vendor": "Composer's vendor tree when installed locally (git-ignored)",
}
TRIVYIGNORE = ROOT / ".trivyignore.yaml"

KUBE_SCORE_IGNORE = "kube-score/ignore"
KUBE_SCORE_REASONS = "laravel-k8s-showcase/kube-score-reasons"
CHECKOV_SKIP = re.compile(r"^checkov\.io/skip\d+$")
# what checkov records for a skip comment or annotation that gives none
CHECKOV_NO_REASON = {"", "no comment provided"}
BUILD_TIMEOUT = 3600  # a cold compile on a loaded 2-core machine (docs/SECURITY.md has the numbers)


def render_trees(dest: Path) -> list[Path]:
    """Every tree of TREES rendered into dest/<name>.yaml, PLAIN copied; the paths written."""
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for name, directory in TREES.items():
        path = dest / f"{name}.yaml"
        path.write_text(yaml.safe_dump_all(manifests.render(directory), sort_keys=False))
        written.append(path)
    for name, source in PLAIN.items():
        path = dest / f"{name}.yaml"
        path.write_text(source.read_text())
        written.append(path)
    return written


def load_docs(paths: list[Path]) -> list[dict]:
    return [d for p in paths for d in yaml.safe_load_all(p.read_text()) if d]


def _run(argv: list[str], timeout: float = 600) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    return proc, time.monotonic() - started


def _json(proc: subprocess.CompletedProcess, what: str):
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise RuntimeError(
            f"{what} printed no JSON (exit {proc.returncode}): {proc.stderr.strip()[-1500:]}"
        ) from exc


# --- checkov --------------------------------------------------------------------------------------
def checkov(
    frameworks: str | list[str], *targets: Path, skip_paths: tuple[str, ...] = ()
) -> tuple[list[dict], float]:
    """checkov's reports on the targets (files, or one directory): one per framework it ran (none
    for a framework that found nothing to check). --skip-download: no call to Prisma Cloud (no
    guidelines, no custom policies), all offline. One directory per run: several -d print a report
    per directory and framework, repeated; its start-up is most of a run."""
    args = []
    for target in targets:
        args += ["-d" if target.is_dir() else "-f", str(target)]
    for path in skip_paths:
        args += ["--skip-path", path]
    frameworks = [frameworks] if isinstance(frameworks, str) else frameworks
    proc, seconds = _run(
        [require_tool("checkov"), *args, "--framework", *frameworks, "-o", "json", "--skip-download"]
    )
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"checkov failed (exit {proc.returncode}): {proc.stderr.strip()[-1500:]}")
    data = _json(proc, "checkov")
    return (data if isinstance(data, list) else [data]), seconds


def _where(check: dict) -> str:
    return f"{check.get('repo_file_path') or check.get('file_path')} {check.get('resource')}"


def checkov_problems(reports: list[dict]) -> list[str]:
    """Failed checks, parsing errors and skips without a reason, one line each."""
    bad = []
    for report in reports:
        results = report.get("results") or {}
        for check in results.get("failed_checks") or []:
            bad.append(f"{check['check_id']} {_where(check)}: {check['check_name']}")
        for check in results.get("skipped_checks") or []:
            reason = str((check.get("check_result") or {}).get("suppress_comment") or "").strip()
            if reason.lower() in CHECKOV_NO_REASON:
                bad.append(f"{check['check_id']} {_where(check)}: skipped without a reason")
        bad += [f"checkov could not parse {p}" for p in results.get("parsing_errors") or []]
    return bad


def checkov_counts(reports: list[dict]) -> dict[str, int]:
    summary = {"passed": 0, "failed": 0, "skipped": 0, "resource_count": 0}
    for report in reports:
        for key in summary:
            summary[key] += int((report.get("summary") or {}).get(key) or 0)
    return summary


def checkov_skips(reports: list[dict]) -> list[tuple[str, str, str]]:
    """(check id, where, reason) of every accepted finding."""
    return [
        (c["check_id"], _where(c), str(c["check_result"].get("suppress_comment", "")).strip())
        for r in reports
        for c in (r.get("results") or {}).get("skipped_checks") or []
    ]


# --- kube-score -----------------------------------------------------------------------------------
def go_tool(name: str, binary: str, version_var: str, build: bool = True) -> Path | None:
    """The cached build of a Go tool (scripts/cluster/build-tools.sh NAME); with `build`, built
    now when missing (or waited for, when scripts/prebuild.sh is compiling it)."""
    cached = CACHE / "go-tools" / f"{name}-{tool_version(version_var)}" / binary
    if cached.is_file() and os.access(cached, os.X_OK):
        return cached
    if not build:
        return None
    proc, _ = _run([str(ROOT / "scripts" / "cluster" / "build-tools.sh"), name], timeout=BUILD_TIMEOUT)
    if proc.returncode != 0:
        raise RuntimeError(f"scripts/cluster/build-tools.sh {name} failed: {proc.stderr.strip()[-1500:]}")
    return Path(proc.stdout.strip().splitlines()[-1]) / binary


def kube_score(files: list[Path]) -> tuple[list[dict], float]:
    """kube-score's scored objects (`-o json`) for the rendered files."""
    binary = go_tool("kube-score", "kube-score", "KUBE_SCORE_VERSION")
    proc, seconds = _run([str(binary), "score", "-o", "json", *map(str, files)])
    return _json(proc, "kube-score"), seconds


def _object(scored: dict) -> str:
    meta, kind = scored.get("object_meta") or {}, (scored.get("type_meta") or {}).get("kind")
    return f"{kind}/{meta.get('namespace') or '-'}/{meta.get('name')}"


def kube_score_findings(scored: list[dict]) -> list[tuple[str, str, str]]:
    """(check id, object, summary) of every check below OK (grade 10) that was not ignored."""
    found = []
    for obj in scored:
        for check in obj.get("checks") or []:
            if check.get("skipped") or check.get("grade", 10) >= 10:
                continue
            summary = "; ".join(c.get("summary", "") for c in check.get("comments") or [])
            found.append((check["check"]["id"], _object(obj), summary))
    return found


def kube_score_reasons(doc: dict) -> dict[str, str]:
    """The `<check>: <reason>` entries of an object's kube-score-reasons annotation."""
    text = ((doc.get("metadata") or {}).get("annotations") or {}).get(KUBE_SCORE_REASONS, "")
    reasons = {}
    for entry in re.split(r"\n(?=\S)", text.strip()):
        check, _, reason = entry.partition(":")
        if check.strip():
            reasons[check.strip()] = " ".join(reason.split())
    return reasons


def kube_score_exception_problems(docs: list[dict]) -> list[str]:
    """Every check of a kube-score/ignore annotation has its reason, and every reason its check."""
    bad = []
    for doc in docs:
        annotations = (doc.get("metadata") or {}).get("annotations") or {}
        ignored = {c.strip() for c in annotations.get(KUBE_SCORE_IGNORE, "").split(",") if c.strip()}
        reasons = kube_score_reasons(doc)
        where = f"{doc['kind']}/{doc['metadata'].get('namespace', '-')}/{doc['metadata']['name']}"
        bad += [
            f"{where}: kube-score ignores {c} without a reason" for c in sorted(ignored) if not reasons.get(c)
        ]
        bad += [
            f"{where}: a reason for {c}, which kube-score does not ignore"
            for c in sorted(set(reasons) - ignored)
        ]
        for key, value in annotations.items():
            if CHECKOV_SKIP.match(key):
                check, _, reason = str(value).partition("=")
                if not reason.strip():
                    bad.append(f"{where}: {key} skips {check.strip()} without a reason")
    return bad


def kube_score_exceptions(docs: list[dict]) -> list[tuple[str, str, str]]:
    return [
        (check, f"{d['kind']}/{d['metadata'].get('namespace', '-')}/{d['metadata']['name']}", reason)
        for d in docs
        for check, reason in kube_score_reasons(d).items()
    ]


# --- trivy ----------------------------------------------------------------------------------------
def trivy() -> Path | None:
    """The cached trivy build, never compiled here (a cold compile takes most of an hour on this
    machine: `make scan` builds it, docs/SECURITY.md)."""
    return go_tool("trivy", "trivy", "TRIVY_VERSION", build=False)


def trivy_config(binary: Path, target: Path, cache_dir: Path) -> tuple[dict, float]:
    """`trivy config` with its embedded checks and nothing fetched: no check bundle update, no
    version check, no telemetry; every severity, every finding (the ignore file is applied here,
    trivy_unexcepted, so that an entry that matches nothing is seen too)."""
    proc, seconds = _run(
        [
            str(binary),
            "config",
            "--quiet",
            "--format",
            "json",
            "--skip-check-update",
            "--skip-version-check",
            "--disable-telemetry",
            "--cache-dir",
            str(cache_dir),
            "--exit-code",
            "0",
            str(target),
        ]
    )
    if proc.returncode != 0:
        raise RuntimeError(f"trivy config failed (exit {proc.returncode}): {proc.stderr.strip()[-1500:]}")
    return _json(proc, "trivy"), seconds


def trivy_findings(report: dict) -> list[tuple[str, str, str]]:
    """(check id, file, message) of every failed misconfiguration check."""
    return [
        (m.get("ID") or m.get("AVDID"), r.get("Target", "?"), m.get("Message") or m.get("Title", ""))
        for r in report.get("Results") or []
        for m in r.get("Misconfigurations") or []
        if m.get("Status") == "FAIL"
    ]


def trivyignore(path: Path = TRIVYIGNORE) -> list[dict]:
    return list((yaml.safe_load(path.read_text()) or {}).get("misconfigurations") or [])


def _ignored(entry: dict, cid: str, where: str) -> bool:
    return entry.get("id") == cid and any(fnmatch.fnmatch(where, p) for p in entry.get("paths") or ["*"])


def trivy_unexcepted(findings: list[tuple[str, str, str]], entries: list[dict]) -> list[str]:
    """The findings no entry of the ignore file accepts (what `trivy config --ignorefile` reports)."""
    return [
        f"{cid} {where}: {msg}"
        for cid, where, msg in findings
        if not any(_ignored(e, cid, where) for e in entries)
    ]


def trivy_stale(findings: list[tuple[str, str, str]], entries: list[dict]) -> list[str]:
    """Entries (id, path) that accept no finding any more: fixed, or the path moved."""
    return [
        f"{e.get('id')} {path}"
        for e in entries
        for path in e.get("paths") or ["*"]
        if not any(_ignored({"id": e.get("id"), "paths": [path]}, cid, where) for cid, where, _ in findings)
    ]


def trivyignore_problems(entries: list[dict] | None = None) -> list[str]:
    """Every entry of the ignore file names the check, the paths and its reason (statement)."""
    bad = []
    for entry in trivyignore() if entries is None else entries:
        if not str(entry.get("statement") or "").strip():
            bad.append(f"{TRIVYIGNORE.name}: {entry.get('id')} without a statement (its reason)")
        if not entry.get("paths"):
            bad.append(
                f"{TRIVYIGNORE.name}: {entry.get('id')} for every file (no paths): name where it applies"
            )
    return bad
