"""The users' own path (issue 11, the image half): the checks that would have caught items 2-6.

One recipe, two sources of packages: `scripts/build-images.sh --plan` says what each profile and
flavour builds (tag, Dockerfile, target, build args) without building, and these rules read it:
the online and offline Debian recipes differ only in BASE_IMAGE, every image the manifests and
the compose file use is built by it (compose with the same recipe), the scripts an Alpine stage
copies are POSIX sh, and composer.json requires, pinned, every vendor namespace the app uses.
Each rule is a pure function of its inputs and rejects a broken sample (tests/static/samples/recipes).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from fixtures.manifests import render
from plugins.capabilities import require_tool
from suite.project import GO_IMAGES
from tests.repo import ROOT, SAMPLES
from tests.static.test_dockerfiles import parse
from tests.static.test_linters import kustomizations

pytestmark = pytest.mark.static

APP = ROOT / "app"
BUILD = ROOT / "scripts" / "build-images.sh"
COMPOSE = APP / "docker-compose.yml"
COMPOSER_JSON = APP / "src" / "composer.json"
BAD = SAMPLES / "recipes"
PREFIX = "laravel-k8s-showcase"


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT)) if ROOT in path.parents else path.name


# --- the build plan ------------------------------------------------------------------------------
def build_plan(profile: str, flavour: str = "debian") -> dict[str, tuple[str, str, dict[str, str]]]:
    """`build-images.sh --plan`: tag -> (Dockerfile relative to app/, target or "-", build args)."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("IMAGE_PREFIX", "ONLINE_BASE_IMAGE", "BASE_IMAGE")
    }
    proc = subprocess.run(
        [str(BUILD), "--plan", "--profile", profile, "--flavour", flavour],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert proc.returncode == 0, (
        f"build-images.sh --plan --profile {profile} --flavour {flavour}: {proc.stderr}"
    )
    return parse_plan(proc.stdout)


def parse_plan(text: str) -> dict[str, tuple[str, str, dict[str, str]]]:
    plan = {}
    for line in text.splitlines():
        tag, file, target, args = (line.split("\t") + [""] * 4)[:4]
        plan[tag] = (file, target, dict(a.split("=", 1) for a in args.split()))
    return plan


def recipe_differences(offline: dict, online: dict, offline_base: str, online_base: str) -> list[str]:
    """What differs between the two profiles' Debian recipes besides BASE_IMAGE (offline_base /
    online_base): an image only one builds, another Dockerfile, target or build arg."""
    problems = [
        f"{tag}: built only {where}"
        for tag, where in [
            *((t, "offline") for t in offline.keys() - online.keys()),
            *((t, "online") for t in online.keys() - offline.keys()),
        ]
    ]
    for tag in sorted(offline.keys() & online.keys()):
        (f_off, t_off, a_off), (f_on, t_on, a_on) = offline[tag], online[tag]
        if (f_off, t_off) != (f_on, t_on):
            problems.append(f"{tag}: offline {f_off}:{t_off}, online {f_on}:{t_on}")
        if a_off.get("BASE_IMAGE") != offline_base or a_on.get("BASE_IMAGE") != online_base:
            problems.append(
                f"{tag}: BASE_IMAGE offline {a_off.get('BASE_IMAGE')}, online {a_on.get('BASE_IMAGE')}"
            )
        rest_off = {k: v for k, v in a_off.items() if k != "BASE_IMAGE"}
        rest_on = {k: v for k, v in a_on.items() if k != "BASE_IMAGE"}
        if rest_off != rest_on:
            problems.append(f"{tag}: build args differ besides BASE_IMAGE: {rest_off} / {rest_on}")
    return problems


def offline_base() -> str:
    return subprocess.run(
        [str(ROOT / "scripts" / "base-image.sh"), "--name"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout.strip()


def online_base() -> str:
    m = re.search(r'^ONLINE_BASE_IMAGE="\$\{ONLINE_BASE_IMAGE:-([^}]+)\}"', BUILD.read_text(), re.MULTILINE)
    assert m, "scripts/build-images.sh sets no ONLINE_BASE_IMAGE default"
    return m.group(1)


def debian_plan(profile: str) -> dict[str, tuple[str, str, dict[str, str]]]:
    """The plan without Swoole: app/Dockerfile.swoole is online only (no PECL offline, its own line)."""
    return {tag: entry for tag, entry in build_plan(profile).items() if entry[0] != "Dockerfile.swoole"}


@pytest.mark.criterion("dockerfile-multistage", "ci-build")
def test_the_online_and_offline_recipes_of_every_debian_image_differ_only_in_the_base_image():
    assert (
        recipe_differences(debian_plan("offline"), debian_plan("online"), offline_base(), online_base()) == []
    )


@pytest.mark.criterion("dockerfile-multistage", "ci-build")  # its negative: the check can fail
def test_the_recipe_comparison_rejects_an_online_image_built_from_another_dockerfile():
    offline = parse_plan((BAD / "plan-offline.txt").read_text())
    online = parse_plan((BAD / "plan-online-other-recipe.txt").read_text())
    problems = recipe_differences(offline, online, "lks/debian-base:trixie-r1", "debian:trixie-20251117-slim")
    assert any("offline docker/offline/Dockerfile:fpm, online Dockerfile.fpm:fpm" in p for p in problems), (
        problems
    )
    assert any("laravel-k8s-showcase/nginx:1.0.0: built only offline" in p for p in problems), problems
    assert any("build args differ besides BASE_IMAGE" in p for p in problems), problems


def online_base_problems(base: str) -> list[str]:
    """The online base must be Debian's slim image pinned to a dated tag or a digest."""
    if re.fullmatch(r"debian:trixie-\d{8}-slim", base) or re.fullmatch(
        r"debian(:[\w.-]+)?@sha256:[0-9a-f]{64}", base
    ):
        return []
    return [f"online base {base!r} is not pinned (debian:trixie-YYYYMMDD-slim or a digest)"]


def base_default_problems(dockerfiles: list[Path], compose: Path, base: str) -> list[str]:
    """Every Debian Dockerfile's ARG BASE_IMAGE default and compose's BASE_IMAGE default == base."""
    problems = []
    for path in dockerfiles:
        default = parse(path)[0].get("BASE_IMAGE")
        if default != base:
            problems.append(f"{rel(path)}: ARG BASE_IMAGE={default}, the online base is {base}")
    for m in re.finditer(r"BASE_IMAGE:\s*\$\{BASE_IMAGE:-([^}]+)\}", compose.read_text()):
        if m.group(1) != base:
            problems.append(f"{rel(compose)}: BASE_IMAGE default {m.group(1)}, the online base is {base}")
    return problems


def debian_dockerfiles() -> list[Path]:
    return sorted((APP / "docker" / "offline").glob("*Dockerfile"))


@pytest.mark.criterion("dockerfile-multistage", "ci-build")
def test_the_online_base_is_pinned_and_is_the_default_of_every_debian_dockerfile_and_of_compose():
    assert online_base_problems(online_base()) == []
    assert base_default_problems(debian_dockerfiles(), COMPOSE, online_base()) == []


@pytest.mark.criterion("dockerfile-multistage", "ci-build")  # its negative: the check can fail
def test_the_base_checks_reject_a_floating_base_and_a_dockerfile_on_another_default():
    assert online_base_problems("debian:trixie-slim") != []
    problems = base_default_problems(
        [BAD / "other-base.Dockerfile"], BAD / "docker-compose.yml", "debian:trixie-20251117-slim"
    )
    assert any("ARG BASE_IMAGE=debian:trixie-slim" in p for p in problems), problems


# --- every image used is built -------------------------------------------------------------------
def _expand(value: str) -> str:
    """${VAR:-default} / ${VAR-default} -> default (what a user without those variables gets)."""
    return re.sub(r"\$\{\w+:?-([^}]*)\}", r"\1", value)


def compose_services(path: Path) -> dict[str, dict]:
    return (yaml.safe_load(path.read_text()) or {}).get("services", {})


def manifest_images() -> dict[str, str]:
    """image -> where: every container image of every rendered kustomization under k8s/."""
    found: dict[str, str] = {}
    for directory in kustomizations():
        for doc in render(directory):
            spec = (
                (doc.get("spec") or {}).get("template", {}).get("spec")
                or (doc.get("spec") or {})
                .get("jobTemplate", {})
                .get("spec", {})
                .get("template", {})
                .get("spec")
                or {}
            )
            for c in [*spec.get("containers", []), *spec.get("initContainers", [])]:
                found.setdefault(c["image"], f"{rel(directory)} {doc['kind']}/{doc['metadata']['name']}")
    return found


def unbuilt_images(used: dict[str, str], built: set[str], prefix: str = PREFIX) -> list[str]:
    """The project's images (prefix/...) that are used but no build target produces."""
    return [
        f"{where}: {image} is built by no target of scripts/build-images.sh"
        for image, where in sorted(used.items())
        if image.startswith(prefix + "/") and image not in built
    ]


def built_tags() -> set[str]:
    tags = set()
    for profile, flavour in (("offline", "debian"), ("online", "debian"), ("online", "alpine")):
        tags |= build_plan(profile, flavour).keys()
    # the monitoring stack's Prometheus has its own script (scripts/build-prometheus-image.sh)
    m = re.search(r'PROMETHEUS_IMAGE:-([^}"]+)', (ROOT / "scripts" / "build-prometheus-image.sh").read_text())
    # the Go programs too (scripts/build-go-image.sh, each tagged by its version)
    go = {
        subprocess.run(
            [str(ROOT / "scripts" / "build-go-image.sh"), name, "--name"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
            env=dict(os.environ, IMAGE_PREFIX=PREFIX),
        ).stdout.strip()
        for name in GO_IMAGES
    }
    return tags | ({m.group(1)} if m else set()) | go


@pytest.mark.criterion("ci-build", "cd-deploy")
def test_every_image_the_manifests_and_compose_use_is_built_by_a_target_of_build_images():
    used = manifest_images()
    for name, svc in compose_services(COMPOSE).items():
        if "image" in svc:
            used.setdefault(_expand(svc["image"]), f"{rel(COMPOSE)} {name}")
    assert unbuilt_images(used, built_tags()) == []


@pytest.mark.criterion("ci-build", "cd-deploy")  # its negative: the check can fail
def test_the_image_coverage_rejects_a_compose_service_on_an_image_nothing_builds():
    used = {
        _expand(s["image"]): f"sample {n}" for n, s in compose_services(BAD / "docker-compose.yml").items()
    }
    assert unbuilt_images(used, built_tags()) == [
        "sample queue: laravel-k8s-showcase/queue:1.0.0 is built by no target of scripts/build-images.sh"
    ]


def compose_build_problems(path: Path, plan: dict[str, tuple[str, str, dict[str, str]]]) -> list[str]:
    """Every compose service with an image of the plan builds it with the plan's Dockerfile,
    target and BASE_IMAGE (the same recipe as scripts/build-images.sh); none relies on a pull."""
    problems = []
    for name, svc in compose_services(path).items():
        image = _expand(svc.get("image", ""))
        if image not in plan:
            continue
        build = svc.get("build")
        if not isinstance(build, dict):
            problems.append(f"{name}: {image} has no build section (compose would pull it)")
            continue
        file, target, args = plan[image]
        got_args = {k: _expand(str(v)) for k, v in (build.get("args") or {}).items()}
        got = (build.get("dockerfile", "Dockerfile"), build.get("target", "-"), got_args.get("BASE_IMAGE"))
        if got != (file, target, args.get("BASE_IMAGE")):
            problems.append(
                f"{name}: builds {got}, scripts/build-images.sh builds {(file, target, args.get('BASE_IMAGE'))}"
            )
    return problems


@pytest.mark.criterion("ci-build")
def test_compose_builds_every_image_it_uses_with_the_recipe_of_build_images():
    plan = build_plan("online")
    services = compose_services(COMPOSE)
    assert compose_build_problems(COMPOSE, plan) == []
    covered = {_expand(s["image"]) for s in services.values() if "image" in s}
    # the PHPUnit images are the test tiers', not the stack's
    assert {t for t in plan if not t.split("/")[-1].startswith(("php-test:", "php-test-swoole:"))} <= covered


@pytest.mark.criterion("ci-build")  # its negative: the check can fail
def test_the_compose_recipe_check_rejects_the_alpine_dockerfile_and_a_missing_build_section():
    problems = compose_build_problems(BAD / "docker-compose.yml", build_plan("online"))
    assert any(p.startswith("fpm: builds ('Dockerfile.fpm', 'fpm', None)") for p in problems), problems
    assert any(
        p == "redis: laravel-k8s-showcase/redis:7 has no build section (compose would pull it)"
        for p in problems
    ), problems


# --- POSIX sh in Alpine stages -------------------------------------------------------------------
def alpine_stage_scripts(dockerfile: Path) -> list[Path]:
    """Files of the context that a stage on an Alpine base (directly or through other stages)
    COPYs, which are shell scripts (*.sh or a shebang)."""
    _, stages = parse(dockerfile)
    alpine: set[str] = set()
    scripts = []
    for stage in stages:
        is_alpine = "alpine" in stage.base or stage.base in alpine
        if stage.name and is_alpine:
            alpine.add(stage.name)
        if not is_alpine:
            continue
        for op, rest in stage.instructions:
            if op not in ("COPY", "ADD") or "--from=" in rest:
                continue
            words = [w for w in rest.split() if not w.startswith("--")]
            for src in words[:-1]:
                path = dockerfile.parent / src
                if path.is_file() and (
                    path.suffix == ".sh" or path.read_text(errors="replace").startswith("#!")
                ):
                    scripts.append(path)
    return scripts


def posix_sh_problems(scripts: list[Path]) -> list[str]:
    problems = []
    for script in scripts:
        first = script.read_text().splitlines()[0] if script.read_text() else ""
        if first not in ("#!/bin/sh", "#!/usr/bin/env sh"):
            problems.append(f"{rel(script)}: shebang {first!r}, an Alpine image has only /bin/sh")
        proc = subprocess.run(
            [require_tool("shellcheck"), "-s", "sh", "--severity=style", str(script)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if proc.returncode != 0:
            codes = sorted(set(re.findall(r"SC\d{4}", proc.stdout)))
            problems.append(f"{rel(script)}: shellcheck -s sh: {', '.join(codes)}")
    return problems


def app_dockerfiles() -> list[Path]:
    return sorted([*APP.glob("Dockerfile*"), *(APP / "docker").rglob("*Dockerfile")])


@pytest.mark.criterion("alpine-images")
def test_every_script_an_alpine_stage_copies_is_posix_sh():
    scripts = sorted({s for d in app_dockerfiles() for s in alpine_stage_scripts(d)})
    assert APP / "docker" / "offline" / "entrypoint.sh" in scripts, (
        f"app/Dockerfile.fpm's Alpine stages copy no entrypoint (the parser is broken): {scripts}"
    )
    assert posix_sh_problems(scripts) == []


@pytest.mark.criterion("alpine-images")  # its negative: the check can fail
def test_the_posix_sh_check_rejects_a_bash_script_copied_into_an_alpine_stage():
    scripts = alpine_stage_scripts(BAD / "Dockerfile.alpine-bash")
    assert [s.name for s in scripts] == ["bash-entrypoint.sh"]
    problems = posix_sh_problems(scripts)
    assert any("shebang '#!/usr/bin/env bash'" in p for p in problems), problems
    assert any("SC3010" in p for p in problems), problems  # [[ ]] is undefined in POSIX sh


# --- composer.json ------------------------------------------------------------------------------
# the vendor namespaces the app may use -> the package that provides them (Swoole\ is the
# extension's, not a package); a namespace not listed fails.
NAMESPACE_PACKAGES = {
    "Laravel\\Octane": "laravel/octane",
    "Illuminate": "laravel/framework",
    "Monolog": "monolog/monolog",
    "Symfony\\Component\\HttpFoundation": "symfony/http-foundation",
    "Symfony\\Component\\HttpClient": "symfony/http-client",
    "Symfony\\Contracts\\HttpClient": "symfony/http-client-contracts",
    "AsyncAws\\Core": "async-aws/core",
    "League\\Flysystem": "league/flysystem",
    "Symfony\\Component\\HttpKernel": "symfony/http-kernel",
    "Carbon": "nesbot/carbon",
    "Psr\\Log": "psr/log",
    "PHPUnit": "phpunit/phpunit",
    "Mockery": "mockery/mockery",
    "Faker": "fakerphp/faker",
}
SWOOLE_NAMESPACES = ("Swoole",)
DEV_DIRS = ("tests",)


def used_namespaces(src: Path) -> dict[str, set[str]]:
    """namespace -> files, from the `use` imports of every PHP file of the app (vendor/ excluded)."""
    found: dict[str, set[str]] = {}
    for php in sorted(src.rglob("*.php")):
        if "vendor" in php.relative_to(src).parts:
            continue
        for m in re.finditer(
            r"^use\s+(?:function\s+|const\s+)?\\?([A-Za-z_][\w\\]*)", php.read_text(), re.MULTILINE
        ):
            found.setdefault(m.group(1), set()).add(str(php.relative_to(src)))
    return found


def composer_coverage_problems(src: Path, composer: dict) -> list[str]:
    own = tuple(
        ns.rstrip("\\")
        for key in ("autoload", "autoload-dev")
        for ns in (composer.get(key, {}).get("psr-4") or {})
    )
    problems = []
    for name, files in sorted(used_namespaces(src).items()):
        if "\\" not in name or name.startswith(own) or name.startswith(SWOOLE_NAMESPACES):
            continue  # a global class (PHP's own or an extension's), the app's own, ext-swoole's
        package = next(
            (p for ns, p in NAMESPACE_PACKAGES.items() if name == ns or name.startswith(ns + "\\")), None
        )
        dev_only = all(f.split("/")[0] in DEV_DIRS for f in files)
        if package is None:
            problems.append(
                f"{name} (in {sorted(files)[0]}): no known package; add it to composer.json and NAMESPACE_PACKAGES"
            )
        elif package not in composer.get("require", {}) and not (
            dev_only and package in composer.get("require-dev", {})
        ):
            problems.append(f"{name} (in {sorted(files)[0]}): {package} is not a direct requirement")
    return problems


@pytest.mark.criterion("ci-build")
def test_composer_requires_every_vendor_namespace_the_app_uses():
    assert composer_coverage_problems(APP / "src", json.loads(COMPOSER_JSON.read_text())) == []


@pytest.mark.criterion("ci-build")  # its negative: the check can fail
def test_the_composer_coverage_rejects_a_missing_symfony_requirement_and_an_unknown_namespace():
    composer = json.loads(COMPOSER_JSON.read_text())
    del composer["require"]["symfony/http-foundation"]
    problems = composer_coverage_problems(BAD / "php", composer)
    assert any(
        "Symfony\\Component\\HttpFoundation\\Response" in p
        and "symfony/http-foundation is not a direct requirement" in p
        for p in problems
    ), problems
    assert any(p.startswith("GuzzleHttp\\Client") and "no known package" in p for p in problems), problems


def pin_problems(composer: dict) -> list[str]:
    """Every package requirement (vendor/name, not php or ext-*) is one exact version."""
    problems = []
    for section in ("require", "require-dev"):
        for name, constraint in (composer.get(section) or {}).items():
            if "/" in name and not re.fullmatch(r"\d+\.\d+\.\d+", constraint):
                problems.append(f"{section}.{name}: {constraint!r} is not an exact version")
    return problems


@pytest.mark.criterion("ci-build")
def test_every_direct_composer_dependency_is_pinned_to_an_exact_version():
    assert pin_problems(json.loads(COMPOSER_JSON.read_text())) == []


@pytest.mark.criterion("ci-build")  # its negative: the check can fail
def test_the_pin_check_rejects_a_caret_range():
    assert pin_problems(
        {"require": {"laravel/framework": "^10.48", "laravel/octane": "^2.3", "ext-redis": "*"}}
    ) == [
        "require.laravel/framework: '^10.48' is not an exact version",
        "require.laravel/octane: '^2.3' is not an exact version",
    ]


EXACT_PIN_WARNING = re.compile(
    r"^- require(-dev)?\.[\w./-]+ : exact version constraints \([^)]*\) should be avoided"
)


def composer_validate(path: Path) -> list[str]:
    """`composer validate --strict` of a composer.json: its errors and warnings, except the one
    about exact versions (the pins are deliberate: Debian's versions, until a lock exists)."""
    proc = subprocess.run(
        [
            require_tool("composer"),
            "validate",
            "--strict",
            "--no-interaction",
            "--no-check-publish",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **os.environ,
            "COMPOSER_HOME": str(Path(os.environ.get("TMPDIR", "/tmp")) / "lks-composer-home"),
        },
    )
    lines = [ln for ln in (proc.stdout + proc.stderr).splitlines() if ln.startswith("- ")]
    rest = [ln for ln in lines if not EXACT_PIN_WARNING.match(ln)]
    if proc.returncode != 0 and not lines:  # it did not validate anything (usage error, crash)
        return [f"composer validate exited {proc.returncode}: {(proc.stdout + proc.stderr).strip()[-300:]}"]
    return rest


@pytest.mark.criterion("ci-build")
def test_composer_validate_strict_accepts_composer_json():
    assert composer_validate(COMPOSER_JSON) == []


@pytest.mark.criterion("ci-build")  # its negative: the check can fail
def test_composer_validate_strict_rejects_a_composer_json_without_a_license_and_with_an_unbound_requirement(
    tmp_path,
):
    bad = tmp_path / "composer.json"
    bad.write_text((BAD / "composer.json").read_text())
    problems = composer_validate(bad)
    assert any("license" in p.lower() for p in problems), problems
    assert any("require.laravel/framework : unbound version constraints" in p for p in problems), problems


@pytest.mark.criterion("ci-build")  # its negative: the check can fail
def test_the_composer_coverage_rejects_octane_only_suggested():
    """Issue #11 item 4: Octane only under `suggest` left the online Swoole image without octane:start."""
    composer = json.loads(COMPOSER_JSON.read_text())
    composer.setdefault("suggest", {})["laravel/octane"] = composer["require"].pop("laravel/octane")
    problems = composer_coverage_problems(APP / "src", composer)
    assert any(
        p.startswith("Laravel\\Octane\\") and "laravel/octane is not a direct requirement" in p
        for p in problems
    ), problems


# --- Composer in the Alpine flavour (issue #11 item 2) -------------------------------------------
def composer_platform_problems(dockerfile: Path, final_target: str) -> list[str]:
    """Composer runs in an image without the app's PHP extensions (the official composer image):
    every `composer install` must ignore the platform, and the final stage, which has the
    extensions, must check it (`composer check-platform-reqs`)."""
    _, stages = parse(dockerfile)
    problems = []
    for stage in stages:
        for op, rest in stage.instructions:
            if (
                op == "RUN"
                and re.search(r"\bcomposer\s+install\b", rest)
                and "--ignore-platform-req" not in rest
            ):
                problems.append(
                    f"stage {stage.name or stage.base}: composer install without --ignore-platform-reqs"
                )
    final = next((s for s in stages if s.name == final_target), None)
    if final is None:
        return [*problems, f"no stage {final_target}"]
    if not any(op == "RUN" and "check-platform-reqs" in rest for op, rest in final.instructions):
        problems.append(f"stage {final_target}: never runs composer check-platform-reqs")
    return problems


# every Dockerfile that runs `composer install` in the Composer image -> its final stage
COMPOSER_INSTALLS = {"Dockerfile.fpm": "fpm", "Dockerfile.swoole": "swoole"}


@pytest.mark.criterion("alpine-images", "dockerfile-multistage")
def test_the_alpine_recipe_installs_with_composer_ignoring_the_platform_and_checks_it_in_the_final_stage():
    assert composer_platform_problems(APP / "Dockerfile.fpm", "fpm") == []


@pytest.mark.criterion("dockerfile-multistage")
def test_every_recipe_that_runs_composer_install_ignores_the_platform_there_and_checks_it_in_the_final_stage():
    installs = sorted(
        rel(d) for d in app_dockerfiles() if re.search(r"\bcomposer\s+install\b", d.read_text())
    )
    assert installs == sorted(f"app/{name}" for name in COMPOSER_INSTALLS), (
        "a Dockerfile runs composer install: add it and its final stage to COMPOSER_INSTALLS"
    )
    problems = {
        name: composer_platform_problems(APP / name, final) for name, final in COMPOSER_INSTALLS.items()
    }
    assert problems == {name: [] for name in COMPOSER_INSTALLS}


@pytest.mark.criterion("alpine-images", "dockerfile-multistage")  # its negative: the check can fail
def test_the_composer_platform_check_rejects_a_plain_install_and_a_final_stage_without_the_check(tmp_path):
    broken = tmp_path / "Dockerfile"
    broken.write_text(
        "FROM composer:2 AS vendor\nRUN composer install --no-dev\n"
        "FROM php:8.4-fpm-alpine AS fpm\nCOPY --from=vendor /app /app\n"
    )
    assert composer_platform_problems(broken, "fpm") == [
        "stage vendor: composer install without --ignore-platform-reqs",
        "stage fpm: never runs composer check-platform-reqs",
    ]
