"""`docker compose up` as a user runs it: every image built from the compose file's own build
sections (a fresh tag prefix, so no image of an earlier build is reused and nothing but the Debian
base may come from outside), the stack healthy, the app answering on 127.0.0.1 only.

Runs with the compose plugin (`docker compose`) or Debian's `docker-compose` package; SKIP with
the reason where neither exists. Offline the Debian base is the imported one (BASE_IMAGE, as
scripts/build-images.sh passes it); online the compose file's default, Debian's pinned image.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests

from plugins.artifacts import failed
from suite.containers import docker, free_port
from suite.project import ROOT, app_version

pytestmark = pytest.mark.container

COMPOSE_FILE = ROOT / "app" / "docker-compose.yml"
NO_COMPOSE_REASON = (
    "docker compose: neither the compose plugin (`docker compose version`) nor Debian's "
    "docker-compose package is installed (scripts/setup.sh installs the package)"
)
# the long-running services: each has a HEALTHCHECK (the worker its heartbeat); migrate is one-shot
WANT = {"redis": "healthy", "db": "healthy", "fpm": "healthy", "nginx": "healthy", "worker": "healthy"}
UP_TIMEOUT_S = 1500  # builds every image (layer cache warm: about a minute; cold: several)
HEALTHY_TIMEOUT_S = 240


def compose_command() -> list[str] | None:
    """`docker compose` when the plugin answers, else Debian's `docker-compose` (v1: --compatibility
    applies deploy.resources limits), else None."""
    if subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=30).returncode == 0:
        return ["docker", "compose"]
    legacy = shutil.which("docker-compose")
    if legacy and subprocess.run([legacy, "version"], capture_output=True, timeout=30).returncode == 0:
        return [legacy, "--compatibility"]
    return None


@dataclass
class Stack:
    cmd: list[str]
    env: dict[str, str]
    port: int

    def run(self, *args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [*self.cmd, "-f", str(COMPOSE_FILE), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self.env,
            cwd=ROOT / "app",
        )
        if check and proc.returncode != 0:
            pytest.fail(
                f"{' '.join(self.cmd)} {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}",
                pytrace=False,
            )
        return proc

    def container(self, service: str) -> dict:
        ids = self.run("ps", "-a", "-q", service).stdout.split()
        assert ids, f"compose has no container for {service}"
        return json.loads(docker("inspect", ids[0]).stdout)[0]

    def state(self, service: str) -> str:
        state = self.container(service)["State"]
        return (state.get("Health") or {}).get("Status") or state["Status"]


@pytest.fixture
def compose_stack(capabilities, docker_engine, artifacts_dir, request) -> Iterator[Stack]:
    cmd = compose_command()
    if cmd is None:
        pytest.skip(NO_COMPOSE_REASON)
    project = f"lkscompose{uuid.uuid4().hex[:8]}"
    prefix = f"lks-compose-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "COMPOSE_PROJECT_NAME": project,
        "IMAGE_PREFIX": prefix,
        "APP_VERSION": app_version(),
        "FORWARD_FPM_PORT": str(free_port()),
        "DOCKER_BUILDKIT": "0",
        "COMPOSE_DOCKER_CLI_BUILD": "0",
    }
    if capabilities.offline:
        env["BASE_IMAGE"] = subprocess.run(
            [str(ROOT / "scripts" / "base-image.sh")], capture_output=True, text=True, check=True, timeout=900
        ).stdout.strip()
    else:
        env.pop("BASE_IMAGE", None)
    stack = Stack(cmd=cmd, env=env, port=int(env["FORWARD_FPM_PORT"]))
    try:
        yield stack
    finally:
        if failed(request):
            logs = stack.run("logs", "--no-color", timeout=120, check=False)
            (artifacts_dir / f"compose-{project}.log").write_text(logs.stdout + logs.stderr)
        stack.run("down", "--volumes", "--remove-orphans", "--timeout", "20", timeout=300, check=False)
        tags = docker("images", "--format", "{{.Repository}}:{{.Tag}}", check=False).stdout.split()
        mine = [t for t in tags if t.startswith(prefix + "/")]
        if mine:
            docker("rmi", *mine, check=False, timeout=300)


@pytest.mark.criterion("ci-build", "docker-healthcheck")
def test_docker_compose_up_builds_every_image_and_the_stack_comes_up_healthy_on_127_0_0_1(compose_stack):
    stack = compose_stack
    stack.run("up", "-d", "--build", timeout=UP_TIMEOUT_S)

    images = {s: stack.container(s)["Config"]["Image"] for s in [*WANT, "migrate"]}
    prefix = stack.env["IMAGE_PREFIX"]
    assert all(i.startswith(prefix + "/") for i in images.values()), (
        f"services on images compose did not build: {images}"
    )

    deadline = time.monotonic() + HEALTHY_TIMEOUT_S
    states: dict[str, str] = {}
    while time.monotonic() < deadline:
        states = {s: stack.state(s) for s in WANT}
        if states == WANT or "unhealthy" in states.values() or "exited" in states.values():
            break
        time.sleep(3)
    assert states == WANT, f"compose services after {HEALTHY_TIMEOUT_S}s: {states}"
    migrate = stack.container("migrate")["State"]
    assert (migrate["Status"], migrate["ExitCode"]) == ("exited", 0), (
        f"migrate: {migrate['Status']} {migrate['ExitCode']}"
    )

    # published on 127.0.0.1 only, nowhere else
    bindings = {s: stack.container(s)["HostConfig"].get("PortBindings") or {} for s in WANT}
    hosts = {b["HostIp"] for ports in bindings.values() for entries in ports.values() for b in entries or []}
    assert hosts == {"127.0.0.1"}, f"published ports: {bindings}"

    base = f"http://127.0.0.1:{stack.port}"
    health = requests.get(f"{base}/health", timeout=10)
    assert health.status_code == 200, health.text
    assert health.json()["status"] == "ok", health.text
    ready = requests.get(f"{base}/ready", timeout=10)
    assert ready.status_code == 200, ready.text
    checks = ready.json()["checks"]
    assert all(c["ok"] for c in checks.values()), checks
