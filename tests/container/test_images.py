"""The runtime images, running: non-root processes, healthy HEALTHCHECKs, size budgets, no secrets.

What an image ships (its distribution, packages, files) is read by testinfra in a throwaway
container of it (suite.containers.inspected); the processes of a running container from the
kernel (`docker top`)."""

from __future__ import annotations

import json
import re

import pytest

from suite.containers import docker, inspected
from suite.project import ROOT, image

pytestmark = pytest.mark.container

# Size budgets per flavour (the image's /etc/os-release ID) and image: uncompressed, as `docker
# image inspect` reports (MB = 10^6 bytes). The one table of them, Swoole's rows included. debian =
# the default recipe of both profiles (app/docker/offline/; the Swoole image is Debian too);
# alpine = the smaller, online-only flavour (app/Dockerfile.fpm, -alpine tags).
BUDGETS_MB = {
    ("debian", "fpm"): 250,
    ("debian", "worker"): 250,
    ("debian", "nginx"): 240,
    ("debian", "swoole"): 250,
    ("alpine", "fpm"): 150,
    ("alpine", "worker"): 150,
    ("alpine", "nginx"): 70,
    ("alpine", "swoole"): 160,
}
SECRET_KEYS = re.compile(r"(PASSWORD|SECRET|APP_KEY|TOKEN)", re.IGNORECASE)


def image_size_mb(tag: str) -> float:
    return int(docker("image", "inspect", "-f", "{{.Size}}", tag).stdout) / 1e6


def image_flavour(tag: str) -> str:
    """The distribution of the image (the ID of its /etc/os-release): debian, alpine, ..."""
    with inspected(tag) as host:
        return host.system_info.distribution or "?"


@pytest.mark.criterion("dockerfile-multistage")
def test_the_runtime_images_are_within_their_size_budgets(variant, capabilities, app_images, record_metric):
    reason = capabilities.variant_skip_reason(variant)
    if reason:
        pytest.skip(reason)
    names = ("fpm", "nginx", "worker") if variant == "fpm" else ("swoole",)
    over = []
    for name in names:
        tag, flavour = image(name), image_flavour(image(name))
        assert (flavour, name) in BUDGETS_MB, f"{tag}: no size budget for a {flavour} {name} image"
        size_mb = image_size_mb(tag)
        record_metric("dockerfile-multistage", f"{name} image size ({flavour})", round(size_mb, 1), "MB")
        if size_mb > BUDGETS_MB[(flavour, name)]:
            over.append(f"{tag} is {size_mb:.0f} MB, budget {BUDGETS_MB[(flavour, name)]} MB ({flavour})")
    assert over == []


ALPINE_OFFLINE_REASON = (
    "alpine-images: no Alpine image is built offline (online flavour only: the official PHP/Composer "
    "images and PECL); the offline images are Debian trixie (app/docker/offline/), so their size proves "
    "nothing about Alpine"
)


def alpine_tag(variant: str) -> str:
    """The image of the Alpine recipe: <variant>:<version>-alpine (fpm: app/Dockerfile.fpm)."""
    return f"{image(variant)}-alpine"


def alpine_image_problems(tag: str, budget_mb: float) -> list[str]:
    """What keeps `tag` from being an Alpine image within its budget: its /etc/os-release, its size."""
    distro = image_flavour(tag)
    problems = [] if distro == "alpine" else [f"{tag} is not an Alpine image (/etc/os-release ID={distro})"]
    size_mb = image_size_mb(tag)
    if size_mb > budget_mb:
        problems.append(f"{tag} is {size_mb:.0f} MB, budget {budget_mb:.0f} MB")
    return problems


@pytest.mark.criterion("alpine-images")
def test_the_runtime_image_built_from_the_alpine_recipe_is_alpine_and_within_its_budget(
    variant, capabilities, app_images
):
    if capabilities.offline:
        pytest.skip(ALPINE_OFFLINE_REASON)
    reason = capabilities.variant_skip_reason(variant)
    if reason:
        pytest.skip(reason)
    tag = alpine_tag(variant)
    if docker("image", "inspect", tag, check=False).returncode != 0:
        pytest.skip(
            f"alpine-images: {tag} is not built (scripts/build-images.sh --profile online --flavour alpine)"
        )
    assert alpine_image_problems(tag, BUDGETS_MB[("alpine", variant)]) == []


def test_the_alpine_check_rejects_the_debian_image_of_the_default_recipe(app_images):
    problems = alpine_image_problems(image("fpm"), BUDGETS_MB[("alpine", "fpm")])
    assert any("is not an Alpine image (/etc/os-release ID=debian)" in p for p in problems), problems


# --- composer.json pins = what the Debian recipe installs -----------------------------------------
# composer package -> the Debian package that provides it in the php-test image
DEBIAN_PACKAGES = {
    "async-aws/core": "php-async-aws-core",
    "laravel/framework": "php-laravel-framework",
    "league/flysystem": "php-league-flysystem",
    "monolog/monolog": "php-monolog",
    "psr/log": "php-psr-log",
    "symfony/http-client": "php-symfony-http-client",
    "symfony/http-client-contracts": "php-symfony-http-client-contracts",
    "symfony/http-foundation": "php-symfony-http-foundation",
    "symfony/http-kernel": "php-symfony-http-kernel",
    "fakerphp/faker": "php-faker",
    "mockery/mockery": "php-mockery",
    "phpunit/phpunit": "phpunit",
}


def upstream_version(debian_version: str) -> str:
    """10.48.29+dfsg-1 -> 10.48.29 (no epoch, no repack suffix, no Debian revision)."""
    m = re.match(r"(?:\d+:)?(\d+(?:\.\d+)*)", debian_version)
    return m.group(1) if m else debian_version


def pin_mismatches(composer: dict, installed: dict[str, str]) -> list[str]:
    """composer.json requirements (laravel/octane aside: Swoole only) whose pin is not the version of
    the Debian package the offline/default recipe installs (installed: Debian package -> version)."""
    problems = []
    for section in ("require", "require-dev"):
        for name, pin in (composer.get(section) or {}).items():
            if "/" not in name or name == "laravel/octane":
                continue
            package = DEBIAN_PACKAGES.get(name)
            if package is None:
                problems.append(f"{section}.{name}: no Debian package known (DEBIAN_PACKAGES)")
            elif package not in installed:
                problems.append(f"{section}.{name}: {package} is not installed in the image")
            elif upstream_version(installed[package]) != pin:
                problems.append(f"{section}.{name}: pinned {pin}, Debian's {package} is {installed[package]}")
    return problems


@pytest.mark.criterion("ci-build")
def test_composer_pins_are_the_versions_of_the_debian_packages_the_image_installs(app_images):
    with inspected(image("php-test")) as host:
        packages = {name: host.package(name) for name in DEBIAN_PACKAGES.values()}
        installed = {name: p.version for name, p in packages.items() if p.is_installed}
    composer = json.loads((ROOT / "app" / "src" / "composer.json").read_text())
    assert pin_mismatches(composer, installed) == []


def test_the_pin_comparison_rejects_a_pin_that_is_not_debians_version():
    installed = {"php-laravel-framework": "10.48.29+dfsg-1", "phpunit": "11.5.19-1+deb13u1"}
    composer = {
        "require": {"laravel/framework": "10.48.28", "ext-redis": "*"},
        "require-dev": {"phpunit/phpunit": "11.5.19"},
    }
    assert pin_mismatches(composer, installed) == [
        "require.laravel/framework: pinned 10.48.28, Debian's php-laravel-framework is 10.48.29+dfsg-1"
    ]


def root_processes(processes: list[tuple[int, int, str]]) -> list[str]:
    """The processes of a `docker top` listing that run as root (uid 0)."""
    return [f"{pid} {args}" for pid, uid, args in processes if uid == 0]


def test_the_root_check_finds_a_process_running_as_root():
    assert root_processes([(1, 1000, "php-fpm: master process"), (7, 0, "sh -c sleep")]) == ["7 sh -c sleep"]


@pytest.mark.criterion("non-root")
def test_every_process_of_the_running_containers_runs_as_a_non_root_user(web):
    for name, container in web.containers.items():
        processes = container.processes()
        assert processes, f"no process listed in {name}"
        assert root_processes(processes) == [], f"{name} runs processes as root"
        # and what runs in it by default (an exec, a debug shell) is the image's non-root user
        user = container.testinfra.user()
        assert user.uid != 0, f"{name}: docker exec runs as {user.name} ({user.uid})"


@pytest.mark.criterion("docker-healthcheck")
def test_every_runtime_image_declares_a_healthcheck_that_reports_healthy(web, redis_server, database_server):
    for name, container in [*web.containers.items(), ("redis", redis_server), ("mariadb", database_server)]:
        config = json.loads(
            docker("image", "inspect", "-f", "{{json .Config.Healthcheck}}", container.image).stdout
        )
        assert config, f"{container.image} has no HEALTHCHECK"
        assert config["Test"][0] in ("CMD", "CMD-SHELL"), config
        assert config.get("Timeout", 0) > 0, (
            f"{container.image}: HEALTHCHECK without a timeout can hang (trap 6)"
        )
        status = container.state()["Health"]["Status"]
        assert status == "healthy", f"{name}: {status}"


@pytest.mark.criterion("secrets", "config-env")
def test_no_secret_value_is_baked_into_an_image_layer_env_or_history(variant, capabilities, app_images):
    reason = capabilities.variant_skip_reason(variant)
    if reason:
        pytest.skip(reason)
    tags = [image(variant), *([image("nginx"), image("worker")] if variant == "fpm" else [])]
    for tag in tags:
        env = json.loads(docker("image", "inspect", "-f", "{{json .Config.Env}}", tag).stdout) or []
        baked = [e for e in env if SECRET_KEYS.search(e.split("=", 1)[0]) and e.split("=", 1)[1]]
        assert not baked, f"{tag} bakes secret env: {baked}"
        history = docker("history", "--no-trunc", "--format", "{{.CreatedBy}}", tag).stdout
        assigned = re.findall(r"\b(\w*(?:PASSWORD|SECRET|APP_KEY|TOKEN)\w*)=(\S+)", history)
        assert not [a for a in assigned if a[1] not in ("", '""')], f"{tag} history sets secrets: {assigned}"
        with inspected(tag) as host:
            assert not host.file("/app/.env").exists, f"{tag} ships an .env file"
