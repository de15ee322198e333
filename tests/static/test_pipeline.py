"""The pipeline tests what it builds and deploys what it pushed (issue #11, items 7 and 8).

ci.yml: every job that runs images needs the build job that produced them and loads exactly its
artifacts before its make target; caches are keyed by the files that pin versions; the online
cluster binaries are released ones (running the scripts with a `go` that fails proves nothing is
compiled); the composer job's lock-drift step is run here against a fake composer.
cd.yml: gated on ci's success, pushes every image the rendered overlays reference, deploys
through scripts/deploy.sh without a second rollback, with the environment's secrets, and no job
holds a write scope it does not use. Each rule is a function that returns the offenders, and each
is shown rejecting a broken sample.
"""

from __future__ import annotations

import ast
import fnmatch
import hashlib
import itertools
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from fixtures.manifests import OVERLAYS, render
from tests.repo import ROOT, SAMPLES

pytestmark = pytest.mark.static

WORKFLOWS = ROOT / ".github" / "workflows"
# make targets whose tests run the app's images (fixtures/docker.py, fixtures/k8s_app.py, benchmarks/bench.py)
IMAGE_TARGETS = ("make test-app", "make test-container", "make test-k8s", "make bench")
VERSION_FILES = ("scripts/setup.sh", "scripts/cluster/versions.sh")
DEPLOYABLE = ("fpm", "swoole")  # the overlays scripts/deploy.sh --variant renders


def load(name: str) -> dict:
    doc = yaml.safe_load((WORKFLOWS / name).read_text())
    doc["on"] = doc.pop(True, doc.get("on"))  # YAML 1.1 reads the key `on` as True
    return doc


def steps(job: dict) -> list[dict]:
    return job.get("steps", [])


def needs(job: dict) -> list[str]:
    value = job.get("needs", [])
    return [value] if isinstance(value, str) else list(value)


def combos(job: dict) -> list[dict]:
    """Every combination of the job's matrix (one empty combination without a matrix)."""
    matrix = {k: v for k, v in job.get("strategy", {}).get("matrix", {}).items() if isinstance(v, list)}
    return [dict(zip(matrix, values, strict=False)) for values in itertools.product(*matrix.values())] or [{}]


def subst(template: str, combo: dict) -> str:
    return re.sub(
        r"\$\{\{\s*matrix\.(\w+)\s*\}\}", lambda m: str(combo.get(m.group(1), m.group(0))), template
    )


def expand(template: str, job: dict) -> set[str]:
    """A name with ${{ matrix.X }} expanded over the job's matrix values."""
    return {subst(template, c) for c in combos(job)}


def code(shell: str) -> str:
    """A run: script without its comments."""
    return "\n".join(re.sub(r"(^|\s)#.*$", "", line) for line in shell.splitlines())


def uploaded_images(job: dict) -> set[str]:
    """Artifact names of the job's `docker save`d images (an upload after a docker save step)."""
    saved = False
    names: set[str] = set()
    for step in steps(job):
        if "docker save" in step.get("run", ""):
            saved = True
        if saved and step.get("uses", "").startswith("actions/upload-artifact@"):
            names |= expand(step["with"]["name"], job)
    return names


# --- ci.yml: every test job loads the images its build job produced ---------------------------
def image_handoff_problems(workflow: dict) -> list[str]:
    jobs = workflow["jobs"]
    producers = {name: uploaded_images(job) for name, job in jobs.items()}
    workflow_env = workflow.get("env", {})
    problems = []
    for name, job in jobs.items():
        run_index = [i for i, s in enumerate(steps(job)) if any(t in s.get("run", "") for t in IMAGE_TARGETS)]
        if not run_index:
            continue
        built = set().union(*(producers.get(n, set()) for n in needs(job)))
        if not built:
            problems.append(f"{name}: needs no job that saves images ({needs(job)})")
            continue
        loaded_at = None
        for combo in combos(job):
            downloaded: set[str] = set()
            for i, step in enumerate(steps(job)):
                if step.get("uses", "").startswith("actions/download-artifact@"):
                    with_ = step.get("with", {})
                    pattern = subst(str(with_.get("pattern") or with_.get("name") or "*"), combo)
                    downloaded |= {a for a in built if fnmatch.fnmatch(a, pattern)}
                if downloaded and "docker load" in code(step.get("run", "")) and loaded_at is None:
                    loaded_at = i
            if downloaded != built:
                where = f" ({combo})" if combo else ""
                problems.append(
                    f"{name}{where}: downloads {sorted(downloaded)}, its build job saved {sorted(built)}"
                )
        if loaded_at is None or loaded_at > run_index[0]:
            problems.append(f"{name}: does not `docker load` the images before its make target")
        if str({**workflow_env, **job.get("env", {})}.get("LKS_SKIP_IMAGE_BUILD")) != "1":
            problems.append(
                f"{name}: LKS_SKIP_IMAGE_BUILD is not 1, the fixtures rebuild instead of using the loaded images"
            )
    return problems


def _build_job(name="build") -> dict:
    return {
        "strategy": {"matrix": {"variant": ["fpm", "swoole"]}},
        "steps": [
            {"run": "make build PROFILE=online VARIANT=${{ matrix.variant }}"},
            {"run": "docker save x | gzip > images.tar.gz"},
            {"uses": "actions/upload-artifact@" + "0" * 40, "with": {"name": "images-${{ matrix.variant }}"}},
        ],
    }


def _test_job(*, needs_=("build",), pattern="images-*", load=True, skip="1") -> dict:
    job = {
        "needs": list(needs_),
        "env": {"LKS_SKIP_IMAGE_BUILD": skip},
        "strategy": {"matrix": {"variant": ["fpm", "swoole"]}},
        "steps": [{"uses": "actions/download-artifact@" + "0" * 40, "with": {"pattern": pattern}}],
    }
    if load:
        job["steps"].append({"run": "gunzip -c a | docker load"})
    job["steps"].append({"run": "make test-container VARIANT=${{ matrix.variant }}"})
    return job


@pytest.mark.criterion("ci-build", "ci-integration-tests", "ci-performance-tests")
def test_every_job_that_runs_images_needs_the_build_job_and_loads_exactly_its_images():
    assert image_handoff_problems(load("ci.yml")) == []


@pytest.mark.criterion("ci-build", "ci-integration-tests")
def test_the_image_handoff_check_rejects_jobs_that_would_test_something_else():
    good = {"jobs": {"build": _build_job(), "t": _test_job()}}
    assert image_handoff_problems(good) == []
    cases = {
        "no needs": _test_job(needs_=()),
        "needs a job that saves nothing": _test_job(needs_=("static",)),
        "only its own variant's artifact (swoole lacks worker/redis/mariadb)": _test_job(
            pattern="images-${{ matrix.variant }}"
        ),
        "downloads but never loads": _test_job(load=False),
        "the fixtures rebuild anyway": _test_job(skip="0"),
    }
    for label, job in cases.items():
        sample = {
            "jobs": {"build": _build_job(), "static": {"steps": [{"run": "make test-static"}]}, "t": job}
        }
        assert image_handoff_problems(sample), f"accepted: {label}"
    late = _test_job()
    late["steps"].reverse()  # make before download/load
    assert any(
        "before its make target" in p
        for p in image_handoff_problems({"jobs": {"build": _build_job(), "t": late}})
    )


@pytest.mark.criterion("ci-build")
def test_the_build_job_saves_what_make_build_builds_for_each_variant_with_the_online_profile():
    build = load("ci.yml")["jobs"]["build"]
    assert build["strategy"]["matrix"]["variant"] == ["fpm", "swoole"], (
        "the Swoole variant must be built online"
    )
    runs = "\n".join(s.get("run", "") for s in steps(build))
    assert "make build PROFILE=online VARIANT=${{ matrix.variant }}" in runs
    assert uploaded_images(build) == {"images-fpm", "images-swoole"}
    # the save step derives the names from `make -n build`: it must print the build command
    for variant in ("fpm", "swoole"):
        assert variant in built_names_for(variant)


# --- the fixtures build with the run's profile ---------------------------------------------------
def _mentions_build_script(node: ast.AST) -> bool:
    return any(
        isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value.endswith("build-images.sh")
        for n in ast.walk(node)
    )


def forced_profiles(path: Path) -> list[str]:
    """Calls in a Python file that build images with a fixed profile instead of the run's
    (capabilities.profile, from --profile / LKS_PROFILE): build_images("offline", ...), or an
    argument list of scripts/build-images.sh with a literal --profile value."""
    problems = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if name == "build_images" and node.args and isinstance(node.args[0], ast.Constant):
            problems.append(f"{path.name}:{node.lineno}: build_images({node.args[0].value!r}, ...)")
        for arg in node.args:
            if not isinstance(arg, ast.List | ast.Tuple) or not _mentions_build_script(arg):
                continue
            values = [e.value if isinstance(e, ast.Constant) else None for e in arg.elts]
            for i, value in enumerate(values):
                if value == "--profile" and i + 1 < len(values) and isinstance(values[i + 1], str):
                    problems.append(f"{path.name}:{node.lineno}: build-images.sh --profile {values[i + 1]}")
                elif isinstance(value, str) and value.startswith("--profile="):
                    problems.append(f"{path.name}:{node.lineno}: build-images.sh {value}")
    return problems


def suite_python() -> list[Path]:
    return sorted(
        p for d in ("fixtures", "suite", "plugins", "benchmarks", "tests") for p in (ROOT / d).rglob("*.py")
    )


@pytest.mark.criterion("ci-build", "ci-integration-tests")
def test_no_fixture_builds_images_with_a_profile_other_than_the_runs():
    """CI runs with LKS_PROFILE=online and loads the images its build job made; a fixture that
    forced --profile offline would rebuild (or test) images of the other recipe."""
    files = [p for p in suite_python() if SAMPLES not in p.parents]
    assert ROOT / "fixtures" / "docker.py" in files
    assert [problem for p in files for problem in forced_profiles(p)] == []


@pytest.mark.criterion("ci-build", "ci-integration-tests")  # its negative: the check can fail
def test_the_profile_check_rejects_a_fixture_that_forces_the_offline_profile():
    assert forced_profiles(SAMPLES / "recipes" / "php_app.py") == [
        "php_app.py:12: build_images('offline', ...)",
        "php_app.py:13: build-images.sh --profile offline",
        "php_app.py:14: build-images.sh --profile=online",
    ]


# --- caches keyed by versions -------------------------------------------------------------------
def cache_problems(workflow: dict) -> list[str]:
    """Jobs that build or test without the $LKS_CACHE / Go modules / Docker layer caches, or
    with a cache key that does not hash the files that pin the versions."""
    problems = []
    for name, job in workflow["jobs"].items():
        runs = "\n".join(s.get("run", "") for s in steps(job))
        caches = [s["with"] for s in steps(job) if s.get("uses", "").startswith("actions/cache@")]
        for c in caches:
            if "hashFiles(" not in str(c.get("key", "")):
                problems.append(
                    f"{name}: cache {c.get('path')!r} has a key without hashFiles(): never invalidated by a version change"
                )
        paths = "\n".join(str(c.get("path", "")) for c in caches)
        keys = "\n".join(str(c.get("key", "")) for c in caches)
        if re.search(r"make (test-|bench)", runs):
            if "env.LKS_CACHE" not in paths:
                problems.append(f"{name}: $LKS_CACHE is not cached")
            if "go/pkg/mod" not in paths:
                problems.append(f"{name}: Go modules are not cached")
            missing = [f for f in VERSION_FILES if f not in keys]
            if missing:
                problems.append(f"{name}: cache keys do not hash {missing}")
        if "make build" in runs:
            layers = [c for c in caches if "Dockerfile" in str(c.get("key", ""))]
            if not layers:
                problems.append(f"{name}: no Docker layer cache keyed by the Dockerfiles")
            elif not any("docker load" in s.get("run", "") for s in steps(job)):
                problems.append(f"{name}: the Docker layer cache is saved but never loaded")
    return problems


@pytest.mark.criterion("ci-build")
def test_ci_caches_lks_cache_go_modules_and_docker_layers_keyed_by_versions():
    assert cache_problems(load("ci.yml")) == []


@pytest.mark.criterion("ci-build")
def test_the_cache_check_rejects_a_missing_cache_and_a_key_no_version_changes():
    cache = "actions/cache@" + "0" * 40
    fixed = {
        "jobs": {
            "t": {
                "steps": [
                    {"uses": cache, "with": {"path": "${{ env.LKS_CACHE }}\n~/go/pkg/mod", "key": "lks-v1"}},
                    {"run": "make test-app"},
                ]
            }
        }
    }
    problems = cache_problems(fixed)
    assert any("without hashFiles" in p for p in problems)
    assert any("do not hash" in p for p in problems)
    assert any(
        "$LKS_CACHE is not cached" in p
        for p in cache_problems({"jobs": {"t": {"steps": [{"run": "make bench"}]}}})
    )
    assert any(
        "Docker layer" in p for p in cache_problems({"jobs": {"b": {"steps": [{"run": "make build"}]}}})
    )


# --- online cluster binaries: released, never compiled ------------------------------------------
def _fake_release(tmp_path: Path, corrupt: bool = False) -> dict[str, str]:
    """PATH with a `go` that fails loudly and a `curl` that serves local files: a release binary
    and its checksum file (kind's "<hex>  <name>" and Kubernetes' bare "<hex>")."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    payload = b"#!/bin/sh\necho released\n"
    digest = hashlib.sha256(payload if not corrupt else b"other").hexdigest()
    (tmp_path / "payload").write_bytes(payload)
    (tmp_path / "sum").write_text(f"{digest}  kind-linux-amd64\n")
    (bin_dir / "go").write_text(f'#!/bin/sh\necho "$@" >> {tmp_path}/go-called\nexit 1\n')
    (bin_dir / "curl").write_text(
        "#!/bin/sh\nout=''\nurl=''\nwhile [ $# -gt 0 ]; do case \"$1\" in -o) out=$2; shift 2;; -*) shift;; *) url=$1; shift;; esac; done\n"
        f'echo "$url" >> {tmp_path}/urls\n'
        f'case "$url" in *.sha256|*.sha256sum) src={tmp_path}/sum;; *) src={tmp_path}/payload;; esac\n'
        'if [ -n "$out" ]; then cat "$src" > "$out"; else cat "$src"; fi\n'
    )
    for f in ("go", "curl"):
        (bin_dir / f).chmod(0o755)
    return dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}", LKS_CACHE=str(tmp_path / "cache"))


@pytest.mark.criterion("ci-integration-tests")
@pytest.mark.parametrize(
    ("script", "args", "binary"),
    [
        ("build-k8s.sh", (), "kubectl"),
        ("build-tools.sh", ("kind",), "kind"),
    ],
    ids=["kubernetes", "kind"],
)
def test_the_online_profile_downloads_released_cluster_binaries_and_compiles_nothing(
    tmp_path, script, args, binary
):
    env = _fake_release(tmp_path) | {"LKS_PROFILE": "online"}
    proc = subprocess.run(
        [str(ROOT / "scripts/cluster" / script), *args], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert not (tmp_path / "go-called").exists(), "the online profile ran go"
    out = Path(proc.stdout.strip().splitlines()[-1])
    assert (out / binary).read_bytes().endswith(b"echo released\n")
    assert os.access(out / binary, os.X_OK)
    urls = (tmp_path / "urls").read_text().split()
    assert all(u.startswith("https://") for u in urls)
    assert any(u.endswith("sha256") or u.endswith("sha256sum") for u in urls)
    # the offline profile (the negative case) compiles: it reaches the failing go
    offline_dir = tmp_path / "offline"
    offline_dir.mkdir()
    offline = subprocess.run(
        [str(ROOT / "scripts/cluster" / script), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=_fake_release(offline_dir) | {"LKS_PROFILE": "offline"},
    )
    assert offline.returncode != 0
    assert (offline_dir / "go-called").exists()


@pytest.mark.criterion("ci-integration-tests")
def test_a_released_binary_whose_checksum_does_not_match_is_refused(tmp_path):
    env = _fake_release(tmp_path, corrupt=True)
    dest = tmp_path / "out" / "kind"
    proc = subprocess.run(
        [
            str(ROOT / "scripts/cluster/release-binary.sh"),
            "https://example.invalid/kind",
            "https://example.invalid/kind.sha256sum",
            str(dest),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode != 0
    assert "checksum mismatch" in proc.stderr
    assert not dest.exists()
    assert not dest.with_suffix(".tmp").exists()


@pytest.mark.criterion("ci-integration-tests")
def test_the_online_kind_node_is_the_kindest_node_image_pinned_by_digest():
    text = (ROOT / "scripts/cluster/up.sh").read_text()
    pinned = re.search(r'^ONLINE_NODE_IMAGE="kindest/node:(v[\d.]+)@sha256:[0-9a-f]{64}"$', text, re.M)
    assert pinned, "up.sh's online node image is not kindest/node pinned by digest"
    assert re.search(r'elif \[ "\$prof" = online \]; then\n\s+image="\$ONLINE_NODE_IMAGE"', text), (
        "the online profile does not use ONLINE_NODE_IMAGE (it would build the node image)"
    )


# --- composer: lock artifact, drift fails --------------------------------------------------------
def composer_steps() -> tuple[dict, str]:
    job = load("ci.yml")["jobs"]["composer"]
    install = next(s for s in steps(job) if "composer install" in s.get("run", ""))
    return job, install["run"]


def _run_install_step(tmp_path: Path, *, committed: bool, changes: bool) -> subprocess.CompletedProcess:
    _, script = composer_steps()
    repo = tmp_path / "repo"
    (repo / "app/src").mkdir(parents=True)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(repo)]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    lock = repo / "app/src/composer.lock"
    (repo / "app/src/composer.json").write_text("{}\n")
    if committed:
        lock.write_text('{"packages": ["a 1.0"]}\n')
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "x"], check=True)
    fake = tmp_path / "bin"
    fake.mkdir()
    content = '{"packages": ["a 1.1"]}' if changes or not committed else '{"packages": ["a 1.0"]}'
    (fake / "composer").write_text(f"#!/bin/sh\nprintf '%s\\n' '{content}' > composer.lock\n")
    (fake / "composer").chmod(0o755)
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=repo / "app/src",
        env=dict(os.environ, PATH=f"{fake}:{os.environ['PATH']}"),
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.mark.criterion("ci-build")
def test_the_composer_job_installs_from_packagist_and_uploads_the_lock():
    job, script = composer_steps()
    assert re.search(r"^\s*composer install\b", script, re.M)
    upload = [s for s in steps(job) if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert upload
    assert upload[0]["with"]["path"] == "app/src/composer.lock"
    assert upload[0]["with"].get("if-no-files-found") == "error"
    assert any("composer validate --strict" in s.get("run", "") for s in steps(job))


@pytest.mark.criterion("ci-build")
@pytest.mark.parametrize(
    ("committed", "changes", "fails"),
    [
        (True, True, True),  # a committed lock the install changes: the job fails
        (True, False, False),  # the install keeps the committed lock
        (False, True, False),  # no lock yet: the resolved one becomes the artifact
    ],
    ids=["drifted-lock-fails", "same-lock-passes", "no-lock-yet-passes"],
)
def test_the_composer_job_fails_when_the_install_changes_a_committed_lock(
    tmp_path, committed, changes, fails
):
    proc = _run_install_step(tmp_path, committed=committed, changes=changes)
    assert (proc.returncode != 0) == fails, proc.stdout + proc.stderr
    if fails:
        assert "changed the committed composer.lock" in proc.stdout


# --- cd.yml ---------------------------------------------------------------------------------------
def gate_problems(workflow: dict) -> list[str]:
    """CD must start only from a successful ci run on main, and every job must depend on the check."""
    problems = []
    on = workflow["on"]
    triggers = set(on) if isinstance(on, dict) else {on} if isinstance(on, str) else set(on)
    if triggers != {"workflow_run"}:
        problems.append(f"triggers {sorted(triggers)}: anything besides workflow_run bypasses CI")
    run = on.get("workflow_run", {}) if isinstance(on, dict) else {}
    if run.get("workflows") != ["ci"] or run.get("types") != ["completed"] or run.get("branches") != ["main"]:
        problems.append(f"workflow_run is not ci/completed/main: {run}")
    jobs = workflow["jobs"]
    gated = {
        n
        for n, j in jobs.items()
        if re.search(r"workflow_run\.conclusion\s*==\s*'success'", str(j.get("if", "")))
    }
    if not gated:
        problems.append("no job checks github.event.workflow_run.conclusion == 'success'")
    changed = True
    while changed:  # a job that needs a gated job is gated
        changed = False
        for n, j in jobs.items():
            if n not in gated and any(d in gated for d in needs(j)):
                gated.add(n)
                changed = True
    problems += [f"{n}: runs whether or not CI passed" for n in jobs if n not in gated]
    return problems


@pytest.mark.criterion("cicd-deploys", "cd-deploy")
def test_cd_runs_only_after_ci_succeeded_on_main():
    assert gate_problems(load("cd.yml")) == []


@pytest.mark.criterion("cicd-deploys", "cd-deploy")
def test_the_gate_check_rejects_a_cd_that_does_not_wait_for_ci():
    ok_if = "github.event.workflow_run.conclusion == 'success'"
    run = {"workflows": ["ci"], "types": ["completed"], "branches": ["main"]}
    good = {"on": {"workflow_run": run}, "jobs": {"push": {"if": ok_if}, "deploy": {"needs": "push"}}}
    assert gate_problems(good) == []
    samples = {
        "push to main (the old cd.yml)": {
            "on": {"push": {"branches": ["main"]}},
            "jobs": {"push": {}, "deploy": {"needs": "push"}},
        },
        "a manual trigger too": {
            "on": {"workflow_run": run, "workflow_dispatch": None},
            "jobs": good["jobs"],
        },
        "completed but not checked for success": {
            "on": {"workflow_run": run},
            "jobs": {"push": {}, "deploy": {"needs": "push"}},
        },
        "a job outside the gate": {
            "on": {"workflow_run": run},
            "jobs": {"push": {"if": ok_if}, "deploy": {}},
        },
    }
    for label, sample in samples.items():
        assert gate_problems(sample), f"accepted: {label}"


def overlay_images(variant: str) -> set[str]:
    """Every container image the rendered overlay k8s/overlays/VARIANT references."""
    images = set()
    for doc in render(OVERLAYS / variant):
        spec = doc.get("spec", {}).get("template", {}).get("spec", {})
        for c in spec.get("containers", []) + spec.get("initContainers", []):
            images.add(c["image"])
    return images


def built_names() -> set[str]:
    """Image names the ci build jobs save: `make build` for each matrix variant."""
    names = set()
    for variant in load("ci.yml")["jobs"]["build"]["strategy"]["matrix"]["variant"]:
        names |= set(built_names_for(variant))
    return names


def unbuilt(images: set[str], built: set[str], repo: str = "laravel-k8s-showcase") -> list[str]:
    return sorted(i for i in images if i.split(":")[0].removeprefix(f"{repo}/") not in built)


def deploy_sh(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(ROOT / "scripts/deploy.sh"), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if k != "IMAGE_PREFIX"} | env,
    )


PREFIX = "lks-wf/showcase"
SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.mark.criterion("cicd-deploys", "cd-deploy")
def test_cd_pushes_every_image_the_rendered_overlays_reference():
    referenced = set().union(*(overlay_images(v) for v in DEPLOYABLE))
    assert unbuilt(referenced, built_names()) == [], "an overlay references an image no ci build job saves"
    # the push job pushes what deploy.sh --print-images lists for both overlays: the same set
    push = load("cd.yml")["jobs"]["push"]
    listing = next(s["run"] for s in steps(push) if "--print-images" in s.get("run", ""))
    assert re.search(r"for variant in ([\w ]+); do", listing).group(1).split() == list(DEPLOYABLE)
    printed = set()
    for v in DEPLOYABLE:
        proc = deploy_sh(SHA, "--variant", v, "--print-images", IMAGE_PREFIX=PREFIX)
        assert proc.returncode == 0, proc.stderr
        printed |= set(proc.stdout.split())
    version = (ROOT / "app/VERSION").read_text().strip()
    expected = {f"{PREFIX}/{i.split('/', 1)[1]}".replace(f":{version}", f":{SHA}") for i in referenced}
    assert printed == expected


@pytest.mark.criterion("cicd-deploys", "cd-deploy")
def test_the_image_coverage_check_rejects_an_overlay_image_nothing_builds():
    assert unbuilt({"laravel-k8s-showcase/fpm:1", "laravel-k8s-showcase/prometheus:2.53"}, {"fpm"}) == [
        "laravel-k8s-showcase/prometheus:2.53"
    ]


def unprefixed(manifests: str, prefix: str) -> list[str]:
    images = re.findall(r"^\s*(?:-\s*)?image:\s*(\S+)", manifests, re.M)
    return sorted({i for i in images if not i.startswith(prefix + "/")}) if images else ["no image at all"]


@pytest.mark.criterion("cd-deploy")
@pytest.mark.parametrize("overlay", [*DEPLOYABLE, "comparison"])
def test_deploy_sh_renders_every_image_under_image_prefix_with_the_commit_as_tag(overlay):
    proc = deploy_sh(
        SHA, "--variant", overlay, "--print-manifests", IMAGE_PREFIX=PREFIX, LKS_SECRETS="example"
    )
    assert proc.returncode == 0, proc.stderr
    assert unprefixed(proc.stdout, PREFIX) == []
    images = set(re.findall(r"image:\s*(\S+)", proc.stdout))
    app = {i for i in images if i.split("/")[-1].split(":")[0] in ("fpm", "nginx", "worker", "swoole")}
    assert app, images
    assert all(i.endswith(f":{SHA}") for i in app), app
    assert {f"{PREFIX}/redis:7", f"{PREFIX}/mariadb:11"} <= images, "the data stores keep their own tags"
    # without IMAGE_PREFIX the local names stay (kind loads them): the check tells the two apart
    local = deploy_sh(SHA, "--variant", overlay, "--print-manifests", LKS_SECRETS="example")
    assert local.returncode == 0, local.stderr
    assert unprefixed(local.stdout, PREFIX)
    assert unprefixed(local.stdout, "laravel-k8s-showcase") == []


@pytest.mark.criterion("fpm-vs-swoole-comparison")
def test_deploy_sh_renders_both_web_tiers_side_by_side_for_the_comparison():
    proc = deploy_sh(SHA, "--variant", "comparison", "--print-manifests", LKS_SECRETS="example")
    assert proc.returncode == 0, proc.stderr
    docs = [d for d in yaml.safe_load_all(proc.stdout) if d]
    deployments = sorted(d["metadata"]["name"] for d in docs if d["kind"] == "Deployment")
    assert deployments == ["laravel-app-fpm", "laravel-app-swoole", "laravel-worker", "redis"]
    hosts = sorted(d["spec"]["rules"][0]["host"] for d in docs if d["kind"] == "Ingress")
    assert hosts == ["fpm.localhost", "swoole.localhost"]
    images = deploy_sh(SHA, "--variant", "comparison", "--print-images", IMAGE_PREFIX=PREFIX)
    assert images.returncode == 0, images.stderr
    names = {i.rsplit("/", 1)[1].split(":")[0] for i in images.stdout.split()}
    assert names == {"fpm", "nginx", "swoole", "worker", "redis", "mariadb", "seaweedfs"}


@pytest.mark.criterion("fpm-vs-swoole-comparison")
@pytest.mark.parametrize(
    ("args", "env", "reason"),
    [
        (
            ("--variant", "comparison"),
            {"LKS_INGRESS_HOST": "demo.example"},
            "LKS_INGRESS_HOST names one host",
        ),
        (("--variant", "both"), {}, "--variant must be fpm, swoole or comparison"),
    ],
    ids=["one-host-for-two-tiers", "unknown-variant"],
)
def test_deploy_sh_refuses_a_variant_or_host_it_cannot_render_with_a_one_line_reason(args, env, reason):
    proc = deploy_sh(SHA, *args, "--print-images", **env)
    assert proc.returncode != 0
    assert reason in proc.stderr.strip().splitlines()[-1], proc.stderr


@pytest.mark.criterion("cd-deploy")
@pytest.mark.parametrize("prefix", ["Lks/Upper", "lks/trailing/", "lks wf"])
def test_deploy_sh_refuses_an_image_prefix_that_is_not_a_repository_path(prefix):
    proc = deploy_sh(SHA, "--print-images", IMAGE_PREFIX=prefix)
    assert proc.returncode != 0
    assert "IMAGE_PREFIX" in proc.stderr.strip().splitlines()[-1]


# kubectl as deploy.sh sees a cluster: the current context and its API server; every other call
# (the deploy itself) is recorded and fails, so a deploy that gets past the check is visible
FAKE_KUBECTL = """#!/bin/sh
case "$*" in
  *current-context*) echo "$FAKE_CONTEXT" ;;
  *"config view"*) echo "$FAKE_SERVER" ;;
  *) echo "kubectl $*" >> "$FAKE_CALLS"; exit 9 ;;
esac
"""


def deploy_to(
    tmp_path: Path, context: str, server: str, **env: str
) -> tuple[subprocess.CompletedProcess, str]:
    kubectl = tmp_path / "kubectl"
    kubectl.write_text(FAKE_KUBECTL)
    kubectl.chmod(0o755)
    calls = tmp_path / "calls"
    calls.touch()
    proc = deploy_sh(
        SHA, KUBECTL=str(kubectl), FAKE_CONTEXT=context, FAKE_SERVER=server, FAKE_CALLS=str(calls), **env
    )
    return proc, calls.read_text()


@pytest.mark.criterion("secrets", "cd-deploy")
@pytest.mark.parametrize(
    ("context", "server"),
    [
        ("production", "https://api.example.test:6443"),
        ("kind-lks", "https://10.0.0.5:6443"),  # named like kind's, but another machine's
        ("staging", "https://127.0.0.1:6443"),  # a tunnel to another cluster
    ],
    ids=["remote-cluster", "kind-name-remote-server", "loopback-not-kind"],
)
def test_deploy_sh_refuses_the_example_secrets_outside_the_local_kind_cluster_in_one_line(
    tmp_path, context, server
):
    proc, calls = deploy_to(tmp_path, context, server)
    assert proc.returncode == 1, proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last == (
        f"error: refusing the committed LOCAL-DEV example secrets on '{context}', which is not the local "
        "kind cluster: set LKS_SECRETS=env (k8s/components/env-secrets)"
    ), proc.stderr
    assert calls == "", f"deploy.sh called the cluster before refusing: {calls}"


@pytest.mark.criterion("secrets", "cd-deploy")
def test_deploy_sh_deploys_the_example_secrets_to_the_local_kind_cluster(tmp_path):
    proc, calls = deploy_to(tmp_path, "kind-lks", "https://127.0.0.1:41234")
    assert "refusing the committed LOCAL-DEV" not in proc.stderr, proc.stderr
    assert calls.startswith("kubectl apply -f "), f"deploy.sh did not go on to apply: {proc.stderr[-800:]}"


def second_rollbacks(workflow: dict) -> list[str]:
    """A `rollout undo` after scripts/deploy.sh, which already rolled back (exit 3)."""
    bad = []
    for name, job in workflow["jobs"].items():
        deployed = False
        for step in steps(job):
            text = code(step.get("run", ""))
            if deployed and "rollout undo" in text:
                bad.append(f"{name}: {step.get('name', 'a step')} runs rollout undo after deploy.sh")
            if "scripts/deploy.sh" in text:
                if "rollout undo" in text.split("scripts/deploy.sh", 1)[1]:
                    bad.append(f"{name}: {step.get('name', 'a step')} runs rollout undo after deploy.sh")
                deployed = True
    return bad


@pytest.mark.criterion("rollback", "cd-deploy")
def test_cd_never_rolls_back_a_second_time_after_deploy_sh():
    cd = load("cd.yml")
    assert second_rollbacks(cd) == []
    deploy = next(s["run"] for s in steps(cd["jobs"]["deploy"]) if "scripts/deploy.sh" in s.get("run", ""))
    for code in ("0)", "1)", "3)", "4)"):
        assert code in deploy, f"the deploy step does not handle deploy.sh's exit {code}"
    usage = (ROOT / "scripts/deploy.sh").read_text()
    assert "3 rollout failed and rolled back" in usage, (
        "deploy.sh's documented exit codes changed: update cd.yml"
    )


@pytest.mark.criterion("rollback", "cd-deploy")
def test_the_second_rollback_check_rejects_the_old_failure_step():
    old = {
        "jobs": {
            "deploy": {
                "steps": [
                    {"name": "Deploy", "run": "scripts/deploy.sh $SHA"},
                    {
                        "name": "Roll back",
                        "if": "failure()",
                        "run": "kubectl -n laravel rollout undo deployment/laravel-app",
                    },
                ]
            }
        }
    }
    inline = {
        "jobs": {
            "deploy": {
                "steps": [
                    {"name": "Deploy", "run": "scripts/deploy.sh $SHA || kubectl rollout undo deployment/x"}
                ]
            }
        }
    }
    assert second_rollbacks(old) == ["deploy: Roll back runs rollout undo after deploy.sh"]
    assert second_rollbacks(inline)


EXAMPLE_SECRETS = re.compile(
    r"secrets\.env\.example|mariadb-root\.env\.example|\.env\.example|LOCAL-DEV|cluster/pki|LKS_SECRETS=example"
)


def example_secret_uses(workflow: dict) -> list[str]:
    """Jobs that deploy with (or copy) the committed example secrets or the local PKI."""
    bad = []
    for name, job in workflow["jobs"].items():
        for step in steps(job):
            text = code(step.get("run", ""))
            env = {**workflow.get("env", {}), **job.get("env", {}), **step.get("env", {})}
            if EXAMPLE_SECRETS.search(text) or any(EXAMPLE_SECRETS.search(str(v)) for v in env.values()):
                bad.append(
                    f"{name}: {step.get('name', 'a step')} uses the committed example secrets or the local PKI"
                )
            if re.search(r"scripts/deploy\.sh\s", text) and "--print" not in text:
                if env.get("LKS_SECRETS") != "env":
                    bad.append(f"{name}: deploy.sh without LKS_SECRETS=env deploys the LOCAL-DEV Secrets")
                if not (env.get("LKS_TLS_CERT") and env.get("LKS_TLS_KEY")):
                    bad.append(f"{name}: deploy.sh without LKS_TLS_CERT/KEY uses the local PKI's certificate")
    return bad


@pytest.mark.criterion("cd-deploy")
def test_no_job_deploys_with_the_committed_example_secrets_or_the_local_pki():
    for name in ("ci.yml", "cd.yml"):
        assert example_secret_uses(load(name)) == [], name
    deploy = load("cd.yml")["jobs"]["deploy"]
    writes = next(s for s in steps(deploy) if "secrets.env" in s.get("run", ""))
    assert all(str(v).startswith("${{ secrets.") for v in writes["env"].values()), (
        "a value not from the environment's secrets"
    )
    assert deploy.get("environment") == "production"


@pytest.mark.criterion("cd-deploy")
def test_the_example_secrets_check_rejects_the_defaults_and_a_copied_example():
    samples = {
        "deploy.sh's defaults": {"jobs": {"d": {"steps": [{"run": "scripts/deploy.sh $SHA"}]}}},
        "a copied example": {
            "jobs": {
                "d": {
                    "steps": [
                        {
                            "run": "cp k8s/components/env-secrets/app/secrets.env.example k8s/components/env-secrets/app/secrets.env"
                        }
                    ]
                }
            }
        },
        "the local PKI": {
            "jobs": {
                "d": {
                    "steps": [
                        {
                            "env": {
                                "LKS_SECRETS": "env",
                                "LKS_TLS_CERT": "$LKS_CACHE/cluster/pki/tls.crt",
                                "LKS_TLS_KEY": "k",
                            },
                            "run": "scripts/deploy.sh $SHA",
                        }
                    ]
                }
            }
        },
    }
    for label, sample in samples.items():
        assert example_secret_uses(sample), f"accepted: {label}"


# --- least privilege ------------------------------------------------------------------------------
def _uses_scope(job: dict, scope: str) -> bool:
    text = yaml.safe_dump(steps(job))
    if scope == "packages":
        return "docker/login-action@" in text and bool(re.search(r"docker push|push: true", text))
    if scope == "actions":  # artifacts of another run
        return bool(re.search(r"run-id:", text))
    if scope == "security-events":
        return "upload-sarif" in text
    if scope == "pull-requests":  # gitleaks lists a pull request's commits through the API
        return "gitleaks/gitleaks-action@" in text
    return scope == "contents"


# the scope a step that gets GITHUB_TOKEN needs it for
TOKEN_SCOPES = {"packages": "write", "pull-requests": "read"}


def permission_problems(workflow: dict) -> list[str]:
    problems = []
    if workflow.get("permissions") != {"contents": "read"}:
        problems.append(f"top-level permissions {workflow.get('permissions')} (must be contents: read)")
    for name, job in workflow["jobs"].items():
        perms = job.get("permissions")
        if not isinstance(perms, dict):
            problems.append(f"{name}: no per-job permissions")
            continue
        for scope, level in perms.items():
            if level == "write" and scope == "contents":
                problems.append(f"{name}: contents: write")
            elif level in ("read", "write") and scope != "contents" and not _uses_scope(job, scope):
                problems.append(f"{name}: {scope}: {level} but no step uses it")
        if "GITHUB_TOKEN" in yaml.safe_dump(steps(job)) and not any(
            perms.get(scope) == level and _uses_scope(job, scope) for scope, level in TOKEN_SCOPES.items()
        ):
            problems.append(f"{name}: hands the token to a step that needs none of its scopes")
    return problems


@pytest.mark.criterion("cicd-deploys", "ci-build")
@pytest.mark.parametrize("name", ["ci.yml", "cd.yml", "security.yml"])
def test_every_job_gets_only_the_scopes_it_uses(name):
    assert permission_problems(load(name)) == []


@pytest.mark.criterion("cicd-deploys")
def test_the_permissions_check_rejects_unused_and_missing_scopes():
    top = {"contents": "read"}
    samples = {
        "packages: write without a push": {
            "permissions": top,
            "jobs": {
                "t": {
                    "permissions": {"contents": "read", "packages": "write"},
                    "steps": [{"run": "make test-app"}],
                }
            },
        },
        "contents: write": {
            "permissions": top,
            "jobs": {"t": {"permissions": {"contents": "write"}, "steps": []}},
        },
        "no per-job permissions": {"permissions": top, "jobs": {"t": {"steps": []}}},
        "write-all at the top": {"permissions": "write-all", "jobs": {}},
        "actions: read with no other run's artifacts": {
            "permissions": top,
            "jobs": {"t": {"permissions": {"actions": "read"}, "steps": []}},
        },
        "the token to gitleaks without pull-requests: read (the old security.yml)": {
            "permissions": top,
            "jobs": {
                "secret-scan": {
                    "permissions": {"contents": "read"},
                    "steps": [
                        {
                            "uses": "gitleaks/gitleaks-action@" + "0" * 40,
                            "env": {"GITHUB_TOKEN": "${{ secrets.GITHUB_TOKEN }}"},
                        }
                    ],
                }
            },
        },
        "pull-requests: read with no step that lists a pull request": {
            "permissions": top,
            "jobs": {"t": {"permissions": {"pull-requests": "read"}, "steps": [{"run": "make test-app"}]}},
        },
    }
    for label, sample in samples.items():
        assert permission_problems(sample), f"accepted: {label}"


# --- the workflows' own shell steps, run here against a fake docker ------------------------------
def _fake_docker(tmp_path: Path, present: set[str]) -> dict[str, str]:
    """PATH with a `docker` that logs its arguments and knows only the images in `present`."""
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir()
    (tmp_path / "present").write_text("\n".join(sorted(present)) + "\n")
    (bin_dir / "docker").write_text(f"""#!/bin/sh
echo "$*" >> {tmp_path}/docker.log
case "$1 $2" in
  "image inspect") shift 2; for ref in "$@"; do grep -qxF -- "$ref" {tmp_path}/present || exit 1; done ;;
  "save "*) echo archive ;;
esac
""")
    (bin_dir / "docker").chmod(0o755)
    return dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}")


def _step(workflow: str, job: str, name_part: str) -> dict:
    return next(s for s in steps(load(workflow)["jobs"][job]) if name_part in s.get("name", ""))


def _bash(script: str, env: dict, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    # what GitHub runs a `run:` step with (shell: bash)
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.criterion("ci-build")
@pytest.mark.parametrize("build_variant", ["fpm", "swoole"])
def test_the_build_job_saves_exactly_the_tags_make_build_produces(tmp_path, build_variant):
    from suite.project import image  # the tags build-images.sh gives (one mapping for the suite)

    names = built_names_for(build_variant)
    expected = {image(n) for n in names}
    step = _step("ci.yml", "build", "Save the built images")
    env = _fake_docker(tmp_path, expected) | {"VARIANT": build_variant}
    proc = _bash(step["run"].replace("/tmp/lks-", f"{tmp_path}/lks-"), env)
    assert proc.returncode == 0, proc.stderr
    saves = [
        line.split()[1:]
        for line in (tmp_path / "docker.log").read_text().splitlines()
        if line.startswith("save")
    ]
    assert saves, "no docker save"
    assert all(set(s) == expected for s in saves), saves
    assert set((tmp_path / "lks-images" / f"images-{build_variant}.txt").read_text().split()) == expected
    # negative: an image the target names but the build did not produce fails the step
    missing = tmp_path / "missing"
    missing.mkdir()
    broken = _bash(
        step["run"].replace("/tmp/lks-", f"{missing}/lks-"),
        _fake_docker(missing, expected - {image(names[0])}) | {"VARIANT": build_variant},
    )
    assert broken.returncode != 0


def built_names_for(variant: str) -> list[str]:
    out = subprocess.run(
        ["make", "-n", "build", "PROFILE=online", f"VARIANT={variant}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    names = re.search(r"--profile online (.+)$", out.strip(), re.M)
    assert names, f"`make -n build VARIANT={variant}` prints no build command:\n{out}"
    return names.group(1).split()


@pytest.mark.criterion("cd-deploy")
def test_the_push_step_pushes_each_listed_image_from_the_local_image_ci_built(tmp_path):
    version = (ROOT / "app/VERSION").read_text().strip()
    targets = [f"{PREFIX}/fpm:{SHA}", f"{PREFIX}/worker:{SHA}", f"{PREFIX}/redis:7"]
    local = {
        f"laravel-k8s-showcase/fpm:{version}",
        f"laravel-k8s-showcase/worker:{version}",
        "laravel-k8s-showcase/redis:7",
    }
    step = _step("cd.yml", "push", "Tag and push")
    script = step["run"].replace("/tmp/lks-push.txt", str(tmp_path / "push.txt"))
    (tmp_path / "push.txt").write_text("\n".join(targets) + "\n")
    env = _fake_docker(tmp_path, local) | {"IMAGE_PREFIX": PREFIX, "DEPLOY_SHA": SHA}
    proc = _bash(script, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    log = (tmp_path / "docker.log").read_text().splitlines()
    assert sorted(line.split()[1] for line in log if line.startswith("push")) == sorted(targets)
    assert f"tag laravel-k8s-showcase/fpm:{version} {PREFIX}/fpm:{SHA}" in log
    # negative: an overlay image ci did not build stops the push with its name
    (tmp_path / "push.txt").write_text(f"{PREFIX}/prometheus:2.53\n")
    broken = _bash(script, env)
    assert broken.returncode != 0
    assert "prometheus:2.53" in broken.stdout
