"""The runtime images, running: non-root processes, healthy HEALTHCHECKs, size budgets, no secrets."""

from __future__ import annotations

import json
import re

import pytest

from fixtures.php_app import docker, image
from fixtures.web import container_uids

pytestmark = pytest.mark.container

# Size budgets per flavour (the base distribution of the image) and runtime, uncompressed as
# `docker image inspect` reports them (MB = 10^6 bytes). Debian: the offline images and the Swoole
# image (the FPM image's Debian runtime + swoole.so + Octane, measured 224 MB); Alpine: the
# online FPM image (official php:*-alpine).
BUDGETS_MB = {("debian", "fpm"): 250, ("debian", "swoole"): 250, ("alpine", "fpm"): 150, ("alpine", "swoole"): 160}


def image_flavour(tag: str) -> str:
    """ID of the image's /etc/os-release: debian, alpine, ..."""
    os_release = docker("run", "--rm", "--entrypoint", "cat", tag, "/etc/os-release").stdout
    return dict(line.split("=", 1) for line in os_release.splitlines() if "=" in line).get("ID", "?").strip('"')
SECRET_KEYS = re.compile(r"(PASSWORD|SECRET|APP_KEY|TOKEN)", re.IGNORECASE)


@pytest.mark.criterion("dockerfile-multistage")
def test_the_runtime_image_is_within_its_size_budget(variant, capabilities, app_images, record_metric):
    reason = capabilities.variant_skip_reason(variant)
    if reason:
        pytest.skip(reason)
    tag = image(variant)
    size_mb = int(docker("image", "inspect", "-f", "{{.Size}}", tag).stdout) / 1e6
    flavour = image_flavour(tag)
    assert (flavour, variant) in BUDGETS_MB, f"{tag}: no size budget for a {flavour} {variant} image"
    budget = BUDGETS_MB[(flavour, variant)]
    record_metric("dockerfile-multistage", f"{variant} image size ({flavour})", round(size_mb, 1), "MB")
    assert size_mb <= budget, f"{tag} is {size_mb:.0f} MB, budget {budget} MB ({flavour})"


ALPINE_OFFLINE_REASON = (
    "alpine-images: no Alpine image is built offline (online flavour only); the offline images are "
    "Debian trixie (app/docker/offline/), so their size proves nothing about Alpine"
)


def alpine_image_problems(tag: str, budget_mb: float) -> list[str]:
    """What keeps `tag` from being an Alpine image within its budget: its /etc/os-release, its size."""
    os_release = docker("run", "--rm", "--entrypoint", "cat", tag, "/etc/os-release").stdout
    distro = dict(line.split("=", 1) for line in os_release.splitlines() if "=" in line).get("ID", "?").strip('"')
    problems = [] if distro == "alpine" else [f"{tag} is not an Alpine image (/etc/os-release ID={distro})"]
    size_mb = int(docker("image", "inspect", "-f", "{{.Size}}", tag).stdout) / 1e6
    if size_mb > budget_mb:
        problems.append(f"{tag} is {size_mb:.0f} MB, budget {budget_mb:.0f} MB")
    return problems


@pytest.mark.criterion("alpine-images")
def test_the_runtime_image_built_from_the_alpine_recipe_is_alpine_and_within_its_budget(variant, capabilities, app_images):
    if capabilities.offline:
        pytest.skip(ALPINE_OFFLINE_REASON)
    reason = capabilities.variant_skip_reason(variant)
    if reason:
        pytest.skip(reason)
    assert alpine_image_problems(image(variant), BUDGETS_MB[("online", variant)]) == []


def test_the_alpine_check_rejects_the_debian_image_of_the_offline_build(capabilities, app_images):
    if not capabilities.offline:
        pytest.skip("the offline Debian image is built by the offline profile only")
    problems = alpine_image_problems(image("fpm"), BUDGETS_MB[("online", "fpm")])
    assert any("is not an Alpine image (/etc/os-release ID=debian)" in p for p in problems), problems


@pytest.mark.criterion("non-root")
def test_every_process_of_the_running_containers_runs_as_a_non_root_user(web):
    for name, container in web.containers.items():
        uids = container_uids(container)
        assert uids, f"no process listed in {name}"
        root = {proc: uid for proc, uid in uids.items() if uid == 0}
        assert not root, f"{name} runs processes as root: {root}"


@pytest.mark.criterion("docker-healthcheck")
def test_every_runtime_image_declares_a_healthcheck_that_reports_healthy(web, redis_server, database_server):
    for name, container in [*web.containers.items(), ("redis", redis_server), ("mariadb", database_server)]:
        config = json.loads(docker("image", "inspect", "-f", "{{json .Config.Healthcheck}}", container.image).stdout)
        assert config, f"{container.image} has no HEALTHCHECK"
        assert config["Test"][0] in ("CMD", "CMD-SHELL"), config
        assert config.get("Timeout", 0) > 0, f"{container.image}: HEALTHCHECK without a timeout can hang (trap 6)"
        status = docker("inspect", "-f", "{{.State.Health.Status}}", container.name).stdout.strip()
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
        listing = docker("run", "--rm", "--entrypoint", "sh", tag, "-c",
                         "ls -a /app 2>/dev/null; cat /app/.env 2>/dev/null | head -1").stdout.split()
        assert ".env" not in listing, f"{tag} ships an .env file"
