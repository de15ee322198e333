"""The Alpine Dockerfiles (app/Dockerfile.fpm, the -alpine flavour; app/Dockerfile.swoole), read as
Docker reads them: stages, bases, what reaches the final image.

Offline these images cannot be built (no registry), so their structure is proven here; the
container tier proves the Debian images (both profiles' one recipe) at run time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.repo import ROOT

pytestmark = pytest.mark.static

APP = ROOT / "app"
BUILD_TOOLS = ("composer", "gcc", "g++", "make", "autoconf", "$PHPIZE_DEPS", "build-base", "git")


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)


def parse(path: Path) -> tuple[dict[str, str], list[Stage]]:
    """Global ARG defaults and the stages, with line continuations joined."""
    text = re.sub(r"\\\n", " ", path.read_text())
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        op, _, rest = line.partition(" ")
        op = op.upper()
        if op == "ARG" and not stages and "=" in rest:
            key, _, value = rest.partition("=")
            args[key.strip()] = value.strip()
        elif op == "FROM":
            m = re.match(r"(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?", rest, re.IGNORECASE)
            assert m, line
            base = re.sub(r"\$\{?(\w+)\}?", lambda g: args.get(g.group(1), g.group(0)), m.group(1))
            stages.append(Stage(base=base, name=m.group(2)))
        elif stages:
            stages[-1].instructions.append((op, rest))
    return args, stages


def final_stage(stages: list[Stage], target: str | None = None) -> Stage:
    if target is None:
        return stages[-1]
    return next(s for s in stages if s.name == target)


def runtime_targets() -> list[tuple[str, str | None]]:
    # the worker target is `FROM fpm` + another command: the fpm target's checks cover its files
    return [("Dockerfile.fpm", "fpm"), ("Dockerfile.fpm", "nginx"), ("Dockerfile.swoole", None)]


# the flavour of each online recipe: Alpine (official PHP images) or Debian (the offline build's
# packages; the Swoole image, whose runtime is the FPM image's Debian runtime)
ALPINE_TARGETS = [("Dockerfile.fpm", "fpm"), ("Dockerfile.fpm", "nginx")]
DEBIAN_TARGETS = [("Dockerfile.swoole", None)]
OFFLINE_DOCKERFILE = APP / "docker" / "offline" / "Dockerfile"


def multistage_problems(path: Path, target: str | None) -> list[str]:
    _, stages = parse(path)
    problems = []
    if len(stages) < 3:
        problems.append(f"{path.name}: {len(stages)} stage(s), expected a multi-stage build")
    final = final_stage(stages, target)
    if target != "nginx" and not any(op == "COPY" and "--from=" in rest for op, rest in final.instructions):
        problems.append(f"{path.name}:{target or 'final'}: copies nothing from a build stage")
    for op, rest in final.instructions:
        if op == "RUN":
            # a tool bind-mounted from a build stage for this one step never reaches the image
            # (composer check-platform-reqs in the Alpine fpm image)
            mounted = {Path(m).name for m in re.findall(r"--mount=type=bind,from=\S*?target=([^\s,]+)", rest)}
            for tool in BUILD_TOOLS:
                if tool in mounted:
                    continue
                if re.search(rf"(^|[\s'\"]){re.escape(tool)}($|[\s'\"])", rest):
                    problems.append(
                        f"{path.name}:{target or 'final'}: build tool {tool!r} in the final stage"
                    )
    return problems


def alpine_problems(path: Path, target: str | None) -> list[str]:
    _, stages = parse(path)
    base = final_stage(stages, target).base
    if not re.match(r"^[\w./-]+:(\d+\.\d+\.\d+)-[\w-]*alpine(\d+\.\d+)$", base):
        return [f"{path.name}:{target or 'final'}: base {base!r} is not a patch-pinned Alpine image"]
    return []


def debian_problems(path: Path, target: str | None) -> list[str]:
    """The final stage's base must be a Debian image pinned to a point release or a dated build."""
    _, stages = parse(path)
    base = final_root(stages, final_stage(stages, target)).base
    if not re.match(r"^debian:(\d+\.\d+|[a-z]+-\d{8})(-slim)?$", base):
        return [
            f"{path.name}:{target or 'final'}: base {base!r} is not a pinned Debian image (debian:13.1-slim)"
        ]
    return []


def final_root(stages: list[Stage], stage: Stage) -> Stage:
    """The stage a stage is built on, followed through `FROM <earlier stage>` to an image."""
    names = {s.name: s for s in stages if s.name}
    while stage.base in names:
        stage = names[stage.base]
    return stage


def apt_packages(path: Path, stage_name: str) -> list[str]:
    """The packages of the first `apt-get install` of a stage, in order."""
    _, stages = parse(path)
    stage = next(s for s in stages if s.name == stage_name)
    for op, rest in stage.instructions:
        m = re.search(r"apt-get install ((?:-\S+\s+)*)(.+?)(?:&&|$)", rest) if op == "RUN" else None
        if m:
            return [w for w in m.group(2).split() if not w.startswith("-")]
    return []


def user_and_health_problems(path: Path, target: str | None) -> list[str]:
    _, stages = parse(path)
    final = final_stage(stages, target)
    problems = []
    users = [rest for op, rest in final.instructions if op == "USER"]
    uid = users[-1].split(":")[0] if users else ""
    if not uid.isdigit() or int(uid) == 0:
        problems.append(
            f"{path.name}:{target or 'final'}: USER {uid or '(none)'} is not a numeric non-root uid"
        )
    if not any(op == "HEALTHCHECK" for op, _ in final.instructions):
        problems.append(f"{path.name}:{target or 'final'}: no HEALTHCHECK")
    return problems


@pytest.mark.criterion("dockerfile-multistage")
@pytest.mark.parametrize(("dockerfile", "target"), runtime_targets())
def test_online_runtime_images_are_built_in_stages_and_ship_no_build_tools(dockerfile, target):
    assert multistage_problems(APP / dockerfile, target) == []


# The Alpine recipe, not an Alpine image: alpine-images needs a built image (tests/container/test_images.py)
@pytest.mark.criterion("dockerfile-multistage")
@pytest.mark.parametrize(("dockerfile", "target"), ALPINE_TARGETS)
def test_online_runtime_images_are_based_on_a_patch_pinned_alpine_image(dockerfile, target):
    assert alpine_problems(APP / dockerfile, target) == []


@pytest.mark.criterion("dockerfile-multistage")
@pytest.mark.parametrize(("dockerfile", "target"), DEBIAN_TARGETS)
def test_online_debian_runtime_images_are_based_on_a_pinned_debian_image(dockerfile, target):
    assert debian_problems(APP / dockerfile, target) == []


@pytest.mark.criterion("dockerfile-multistage")
def test_the_swoole_image_runtime_installs_the_same_debian_packages_as_the_offline_fpm_runtime():
    # the hand-built (offline) and the online Swoole image differ only by where swoole and Octane come from
    offline = apt_packages(OFFLINE_DOCKERFILE, "runtime")
    assert offline, "no apt-get install found in the offline runtime stage"
    assert apt_packages(APP / "Dockerfile.swoole", "runtime") == offline


@pytest.mark.criterion("non-root", "docker-healthcheck")
@pytest.mark.parametrize(("dockerfile", "target"), runtime_targets())
def test_online_runtime_images_run_as_a_numeric_non_root_user_with_a_healthcheck(dockerfile, target):
    assert user_and_health_problems(APP / dockerfile, target) == []


@pytest.mark.criterion("dockerfile-multistage", "non-root", "docker-healthcheck")
def test_the_dockerfile_checks_reject_a_single_stage_root_image_on_a_floating_tag():
    bad = ROOT / "tests" / "static" / "samples" / "Dockerfile.bad"
    assert multistage_problems(bad, None)
    assert alpine_problems(bad, None)
    assert debian_problems(bad, None), "debian:latest is not pinned"
    assert len(user_and_health_problems(bad, None)) == 2


@pytest.mark.criterion("graceful-shutdown", variant="fpm")
def test_fpm_and_nginx_stop_gracefully_with_sigquit():
    _, stages = parse(APP / "Dockerfile.fpm")
    for target in ("fpm", "nginx"):
        signals = [rest for op, rest in final_stage(stages, target).instructions if op == "STOPSIGNAL"]
        assert signals == ["SIGQUIT"], target


@pytest.mark.criterion("dockerfile-multistage")
def test_the_parser_sees_a_single_stage_dockerfile_as_one_stage():
    _, stages = parse(ROOT / "tests" / "static" / "samples" / "Dockerfile.bad")
    assert len(stages) == 1
    assert stages[0].base == "debian:latest"
