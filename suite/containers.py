"""Docker containers of the suite, through testcontainers: a private network, containers on it
with a DNS alias, health-based waits with a deadline, one-off containers, and testinfra hosts
for what runs inside.

Every long-running container waits on Docker's health status (never a log line, TRAPS.md 12) and
fails at once, with its logs, when it exits while starting. Ports are published on 127.0.0.1
only. Ryuk (testcontainers' reaper) is off unless TESTCONTAINERS_RYUK_DISABLED=false is set: its
image cannot be pulled offline, and whoever starts a container removes it (the fixtures, or
`python -m suite.stack down`). Containers carry the label `lks.stack=<stack name>` so a stack
can be found and removed from another process.
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import tarfile
import time
import uuid
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from docker import errors as docker_errors
from testcontainers.core.config import testcontainers_config
from testcontainers.core.container import DockerContainer
from testcontainers.core.network import Network
from testcontainers.core.wait_strategies import HealthcheckWaitStrategy

if TYPE_CHECKING:
    from collections.abc import Iterator

    import testinfra.host

if "TESTCONTAINERS_RYUK_DISABLED" not in os.environ:
    testcontainers_config.ryuk_disabled = True

STACK_LABEL = "lks.stack"
ROLE_LABEL = "lks.role"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (the one copy of this helper)."""
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(
    argv: list[str], *, timeout: float = 120, stdin: str | None = None, check: bool = True
) -> subprocess.CompletedProcess:
    """A command with a deadline; with `check`, a non-zero exit raises with the end of its stderr."""
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, input=stdin)
    if check and proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv[:4])} ... failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}"
        )
    return proc


def docker(
    *args: str, timeout: float = 120, check: bool = True, stdin: str | None = None
) -> subprocess.CompletedProcess:
    """The docker CLI, for what is about images and the engine (inspect, history, build)."""
    return run(["docker", *args], timeout=timeout, check=check, stdin=stdin)


class HealthyWhileRunning(HealthcheckWaitStrategy):
    """testcontainers' health-check wait, which also fails at once when the container stops
    while starting (the library's own keeps polling an exited container until its deadline)."""

    def wait_until_ready(self, container: DockerContainer) -> None:
        wrapped = container.get_wrapped_container()
        deadline = time.monotonic() + self._startup_timeout
        status = ""
        while time.monotonic() < deadline:
            wrapped.reload()
            state = wrapped.attrs["State"]
            health = (state.get("Health") or {}).get("Status")
            status = f"{state['Status']} {health or 'no health check'}"
            if state["Status"] not in ("created", "running"):
                raise RuntimeError(f"{wrapped.name} stopped while starting: {status}")
            if health is None:
                raise RuntimeError(f"{wrapped.name}: the image {container.image} has no HEALTHCHECK")
            if health == "healthy":
                return
            time.sleep(self._poll_interval)
        raise TimeoutError(f"{wrapped.name} not healthy after {self._startup_timeout:.0f} s ({status})")


def create_network(stack: str) -> Network:
    """A private bridge network, labelled with its stack."""
    network = Network(docker_network_kw={"labels": {STACK_LABEL: stack}})
    network.name = f"{stack}-net"  # the library names it by a bare uuid
    return network.create()


@dataclass
class Container:
    """A running container on a private network: `alias` is its DNS name there (`.host`)."""

    tc: DockerContainer = field(repr=False)
    name: str
    alias: str
    image: str
    network: str
    port: int = 0
    env: dict[str, str] = field(default_factory=dict)

    @property
    def host(self) -> str:
        return self.alias

    @property
    def id(self) -> str:
        return self.tc.get_container_id()

    @property
    def testinfra(self) -> testinfra.host.Host:
        """testinfra's view of the running container (`docker exec` as the image's user)."""
        import testinfra

        return testinfra.get_host(f"docker://{self.id}")

    def exec(
        self, *cmd: str, timeout: float = 60, stdin: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess:
        """Run a command inside (stdin and a deadline: what `docker exec -i` gives)."""
        interactive = ["-i"] if stdin is not None else []
        return docker("exec", *interactive, self.name, *cmd, timeout=timeout, stdin=stdin, check=check)

    def state(self) -> dict:
        """Docker's State of the container (Status, ExitCode, Health ...)."""
        wrapped = self.tc.get_wrapped_container()
        wrapped.reload()
        return wrapped.attrs["State"]

    def health(self) -> str:
        state = self.state()
        return f"{state['Status']} {(state.get('Health') or {}).get('Status', '')}".strip()

    def wait_healthy(self, deadline_s: float) -> None:
        """Until Docker reports it healthy; raises with its logs when it exits or the deadline passes."""
        try:
            HealthyWhileRunning().with_startup_timeout(deadline_s).with_poll_interval(0.5).wait_until_ready(
                self.tc
            )
        except (RuntimeError, TimeoutError) as exc:
            raise RuntimeError(f"{exc} ({self.image})\n{self.logs()[-3000:]}") from None

    def processes(self) -> list[tuple[int, int, str]]:
        """(pid, uid, command line) of every process in the container, as the kernel sees it
        (`docker top`: no tool inside the image needed)."""
        top = self.tc.get_wrapped_container().top(ps_args="-eo pid,uid,args")
        return [(int(pid), int(uid), args) for pid, uid, args in top["Processes"]]

    def streams(self) -> tuple[str, str]:
        """What the container wrote so far: (stdout, stderr)."""
        out, err = self.tc.get_logs()
        return out.decode(errors="replace"), err.decode(errors="replace")

    def logs(self) -> str:
        """Both streams with Docker's timestamps, in order."""
        return self.tc.get_wrapped_container().logs(timestamps=True).decode(errors="replace")

    def stop(self, timeout: int = 10) -> None:
        """The image's STOPSIGNAL, then SIGKILL after `timeout` seconds (`docker stop`)."""
        self.tc.get_wrapped_container().stop(timeout=timeout)

    def kill(self, signal: str) -> None:
        self.tc.get_wrapped_container().kill(signal=signal)

    def start(self) -> None:
        self.tc.get_wrapped_container().start()

    def remove(self) -> None:
        # best effort at teardown: it may be gone already
        with suppress(docker_errors.NotFound, docker_errors.APIError):
            self.tc.stop(force=True, delete_volume=True)


def _configure(
    image: str,
    network: Network,
    stack: str,
    role: str,
    env: dict[str, str] | None,
    command: list[str] | None,
    *,
    publish: dict[int, int] | None = None,
    cpus: str | None = None,
    memory: str | None = None,
    volumes: list[tuple[str, str, str]] | None = None,
    entrypoint: list[str] | None = None,
    name: str | None = None,
) -> DockerContainer:
    tc = DockerContainer(image).with_network(network).with_envs(**(env or {}))
    if name:
        tc = tc.with_name(name)
    if command:
        tc = tc.with_command(command)
    for source, target, mode in volumes or []:
        tc = tc.with_volume_mapping(source, target, mode)
    for container_port, host_port in (publish or {}).items():
        # docker-py's (host ip, port) binding: published on 127.0.0.1 only
        tc.ports[f"{container_port}/tcp"] = ("127.0.0.1", host_port)  # type: ignore[assignment]
    kwargs: dict = {"labels": {STACK_LABEL: stack, ROLE_LABEL: role}}
    if cpus:
        kwargs["nano_cpus"] = int(float(cpus) * 1e9)
    if memory:
        kwargs["mem_limit"] = memory
    if entrypoint:
        kwargs["entrypoint"] = entrypoint
    return tc.with_kwargs(**kwargs)


def start_container(
    image: str,
    alias: str,
    network: Network,
    env: dict[str, str] | None = None,
    command: list[str] | None = None,
    port: int = 0,
    *,
    stack: str = "lks",
    role: str | None = None,
    wait_s: float | None = None,
    **options,
) -> Container:
    """Start `image` on `network` under the DNS name `alias`; with `wait_s`, wait until healthy
    (removed again when it does not get there). `options`: publish={container: host port},
    cpus, memory, volumes=[(host, container, mode)], entrypoint."""
    name = f"{stack}-{alias}-{uuid.uuid4().hex[:8]}"
    tc = _configure(image, network, stack, role or alias, env, command, name=name, **options)
    tc.with_network_aliases(alias).start()
    container = Container(tc, name, alias, image, network.name, port, dict(env or {}))
    if wait_s is not None:
        try:
            container.wait_healthy(wait_s)
        except RuntimeError:
            container.remove()
            raise
    return container


def run_once(
    image: str,
    command: list[str],
    network: Network,
    env: dict[str, str] | None = None,
    *,
    stack: str = "lks",
    role: str = "job",
    timeout: float = 180,
    volumes: list[tuple[str, str, str]] | None = None,
) -> tuple[int, str]:
    """A one-off container (what a Kubernetes Job runs): its exit code and output, then removed."""
    tc = _configure(image, network, stack, role, env, command, volumes=volumes)
    tc.start()
    try:
        code = tc.get_wrapped_container().wait(timeout=timeout)["StatusCode"]
        out, err = tc.get_logs()
        return code, out.decode(errors="replace") + err.decode(errors="replace")
    finally:
        tc.stop(force=True, delete_volume=True)


class _ChunkReader(io.RawIOBase):
    """A file over docker-py's generator of byte chunks (tarfile reads a stream through it)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks, self._buffer = iter(chunks), b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._buffer:
            try:
                self._buffer = next(self._chunks)
            except StopIteration:
                return 0
        n = min(len(buffer), len(self._buffer))
        buffer[:n], self._buffer = self._buffer[:n], self._buffer[n:]
        return n


@contextmanager
def exported_filesystem(image: str) -> Iterator[tarfile.TarFile]:
    """The filesystem of `image` as `docker export` streams it, through the Docker SDK: a container
    created and never started, removed afterwards. A tarfile in stream mode: read each member's
    content as it comes (`extractfile` in order)."""
    from docker import from_env

    container = from_env().containers.create(
        image, entrypoint=["/bin/true"], command=[], labels={STACK_LABEL: "export", ROLE_LABEL: "export"}
    )
    try:
        stream = io.BufferedReader(_ChunkReader(container.export(chunk_size=1 << 20)), 1 << 20)
        with tarfile.open(fileobj=stream, mode="r|") as archive:
            yield archive
    finally:
        container.remove(force=True)


@contextmanager
def inspected(image: str) -> Iterator[testinfra.host.Host]:
    """testinfra's host of a throwaway container of `image` (its entrypoint replaced by a bounded
    sleep), for files, packages and the distribution the image ships."""
    import testinfra

    tc = DockerContainer(image).with_kwargs(
        entrypoint=["sleep", "300"], labels={STACK_LABEL: "inspect", ROLE_LABEL: "inspect"}
    )
    tc.start()
    try:
        yield testinfra.get_host(f"docker://{tc.get_container_id()}")
    finally:
        tc.stop(force=True, delete_volume=True)
