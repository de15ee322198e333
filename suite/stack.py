"""The app stack in Docker, in one place: Redis, MariaDB, the migrations (a one-off container, as
the Kubernetes Job), the queue worker, and the web runtimes (fpm + nginx, the FPM pod's two
containers; or swoole), each on the stack's private network and healthy before use.

Used by the fixtures (fixtures/docker.py and the component fixtures), and through its CLI by
benchmarks/bench.py (in process) and scripts/metrics-snapshot.sh:

    python -m suite.stack up NAME [fpm] [swoole] [--worker] [--cpus C] [--memory M]
                             [--nginx-cpus C] [--nginx-memory M] [--env KEY=VALUE ...]
    python -m suite.stack url NAME VARIANT         http://127.0.0.1:PORT of the variant
    python -m suite.stack containers NAME VARIANT  its container names, one a line
    python -m suite.stack network NAME             the stack's network (to attach a container)
    python -m suite.stack down NAME                remove every container and the network

The app gets the environment the fpm overlay gives its pod (fixtures/manifests.py: the rendered
ConfigMaps, the local-dev Secret, the container's env), changed only where a stack must: its own
Redis (no password on its private network) and MariaDB (random passwords), plain HTTP. Network
aliases: redis, mariadb, worker, fpm-web + nginx-web (port 8080), swoole-web (port 8000); a
stack's web instances started by the fixtures carry their own suffix instead of `web`.
"""

from __future__ import annotations

import argparse
import functools
import secrets
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import docker as docker_sdk
import requests

from suite.containers import (
    ROLE_LABEL,
    STACK_LABEL,
    Container,
    create_network,
    free_port,
    run_once,
    start_container,
)
from suite.project import image

# the roles of a variant's serving containers, the one that is published first
WEB_ROLES = {"fpm": ("nginx", "fpm"), "swoole": ("swoole",)}
WEB_PORT = {"fpm": 8080, "swoole": 8000}
HEALTHY_S = {"redis": 30, "mariadb": 120, "worker": 60, "web": 90, "seaweedfs": 90}
S3_PORT = 8333


@dataclass
class Database(Container):
    database: str = "laravel"
    user: str = "laravel"
    password: str = ""
    test_database: str = "laravel_test"  # PHPUnit's own database


@dataclass
class ObjectStore(Container):
    """The uploads' S3 store (SeaweedFS) on the network, its S3 API also on 127.0.0.1:`published`
    so that a test reads the bucket itself, not through the app."""

    bucket: str = "uploads"
    access_key: str = ""
    secret_key: str = ""
    published: int = 0

    def app_env(self) -> dict[str, str]:
        """What the app is given to use it (the variables of config/filesystems.php's `objects` disk)."""
        return {
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_BUCKET": self.bucket,
            "AWS_ENDPOINT": f"http://{self.alias}:{S3_PORT}",
            "AWS_USE_PATH_STYLE_ENDPOINT": "true",
        }

    def client(self):
        """An S3 client of the test's own (MinIO's Python SDK), on the published port."""
        from minio import Minio

        return Minio(
            f"127.0.0.1:{self.published}",
            access_key=self.access_key,
            secret_key=self.secret_key,
            secure=False,
            region="us-east-1",
        )


def services_env(redis, database) -> dict[str, str]:
    """Where a stack's own Redis and MariaDB are, and their credentials (its Redis has no password)."""
    return {
        "DB_HOST": database.host,
        "DB_PORT": str(database.port),
        "DB_DATABASE": database.database,
        "DB_USERNAME": database.user,
        "DB_PASSWORD": database.password,
        "REDIS_HOST": redis.host,
        "REDIS_PORT": str(redis.port),
        "REDIS_PASSWORD": "",
        # no object store on a stack unless a test starts one (fixtures/seaweedfs.py, whose
        # ObjectStore.app_env() sets every AWS_* variable): uploads not configured
        "AWS_BUCKET": "",
        # no trace store either unless a test starts one (fixtures/jaeger.py, whose Jaeger.app_env()
        # sets the endpoint): tracing off, so no export goes to the cluster's Jaeger name
        "OTEL_EXPORTER_OTLP_ENDPOINT": "",
    }


def app_env(redis, database) -> dict[str, str]:
    """What the app containers are given: the fpm overlay's rendered environment of its web pod's
    app container, with only what a stack must change: its own Redis and MariaDB, and plain HTTP
    on 127.0.0.1 (the Ingress terminates TLS in the cluster, so the session cookie cannot be
    Secure-only here)."""
    from fixtures.manifests import deployed_env  # kustomize renders the overlay

    return deployed_env("fpm") | services_env(redis, database) | {"SESSION_SECURE_COOKIE": "false"}


@functools.cache
def runtime_env(variant: str) -> dict[str, str]:
    """What the variant's overlay gives its app container beyond the fpm overlay's environment (the
    Swoole overlay's OCTANE_* settings), so the container tier runs each runtime as it is deployed."""
    from fixtures.manifests import deployed_env

    base = deployed_env("fpm")
    return {k: v for k, v in deployed_env(variant).items() if base.get(k) != v}


@dataclass
class WebApp:
    """One serving instance of a variant: `.url(path)` on 127.0.0.1, its containers by role."""

    variant: str
    port: int
    containers: dict[str, Container] = field(default_factory=dict)

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def get(self, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 15)
        headers = {"Accept": "application/json", **kwargs.pop("headers", {})}
        return requests.get(self.url(path), headers=headers, **kwargs)

    def stop(self, timeout: int = 30, signals: dict[str, str] | None = None) -> None:
        """Stop every container at once, as Kubernetes signals a pod's containers. `signals`
        ({"fpm": "SIGTERM"}) first sends some of them another signal than their image's
        STOPSIGNAL, to show what a wrong stop signal does; the stop then still bounds the wait."""
        for role, sig in (signals or {}).items():
            self.containers[role].kill(sig)
        with ThreadPoolExecutor(max_workers=len(self.containers)) as pool:
            for stopping in [pool.submit(c.stop, timeout) for c in self.containers.values()]:
                stopping.result(timeout=timeout + 30)

    def remove(self) -> None:
        for c in self.containers.values():
            c.remove()


class Stack:
    """A private network and what the app needs on it; `down()` removes all of it."""

    def __init__(self, name: str | None = None) -> None:
        self.name = name or f"lks-{uuid.uuid4().hex[:8]}"
        self.network = create_network(self.name)

    def start(self, name: str, alias: str, env: dict[str, str] | None = None, **options) -> Container:
        """One of the project's images (`name`, tagged by suite.project.image) on the network."""
        return start_container(image(name), alias, self.network, env, stack=self.name, **options)

    def redis(self) -> Container:
        return self.start("redis", "redis", port=6379, role="redis", wait_s=HEALTHY_S["redis"])

    def mariadb(self) -> Database:
        password = secrets.token_hex(12)
        env = {
            "MARIADB_DATABASE": "laravel",
            "MARIADB_USER": "laravel",
            "MARIADB_PASSWORD": password,
            "MARIADB_ROOT_PASSWORD": secrets.token_hex(12),
            "MARIADB_EXTRA_DATABASES": "laravel_test",  # PHPUnit's own database
        }
        c = self.start("mariadb", "mariadb", env, port=3306, role="mariadb", wait_s=HEALTHY_S["mariadb"])
        return Database(**vars(c), password=password)

    def seaweedfs(self, image_tag: str, alias: str = "seaweedfs") -> ObjectStore:
        """SeaweedFS with a random S3 identity and its bucket, S3 published on a free 127.0.0.1 port."""
        store = {
            "access_key": secrets.token_hex(10),
            "secret_key": secrets.token_hex(20),
            "bucket": "uploads",
        }
        env = {
            "S3_ACCESS_KEY": store["access_key"],
            "S3_SECRET_KEY": store["secret_key"],
            "S3_BUCKET": store["bucket"],
        }
        published = free_port()
        c = start_container(
            image_tag,
            alias,
            self.network,
            env,
            port=S3_PORT,
            stack=self.name,
            role="seaweedfs",
            wait_s=HEALTHY_S["seaweedfs"],
            publish={S3_PORT: published},
            memory="512m",
        )
        return ObjectStore(**vars(c), **store, published=published)

    def migrate(self, env: dict[str, str]) -> None:
        """The migrations, once, in a one-off container of the fpm image."""
        code, output = run_once(
            image("fpm"),
            ["php", "artisan", "migrate", "--force", "--no-interaction"],
            self.network,
            env,
            stack=self.name,
            role="migrate",
        )
        if code != 0:
            raise RuntimeError(f"migrations failed (exit {code}):\n{output[-3000:]}")

    def worker(self, env: dict[str, str], alias: str = "worker") -> Container:
        return self.start("worker", alias, env, role="worker", wait_s=HEALTHY_S["worker"])

    def web(
        self,
        variant: str,
        env: dict[str, str],
        *,
        suffix: str | None = None,
        cpus: str | None = None,
        memory: str | None = None,
        nginx_cpus: str | None = None,
        nginx_memory: str | None = None,
        port: int | None = None,
        app_options: dict | None = None,
    ) -> WebApp:
        """One instance of a variant published on 127.0.0.1 (`port`, else a free one), healthy (else
        removed). `app_options` go to the app container (fpm or swoole) only: volumes, entrypoint,
        command (the benchmark's ceilings run a hello-world in the same image and limits)."""
        suffix = suffix or uuid.uuid4().hex[:6]
        port = port or free_port()
        limits = {"cpus": cpus, "memory": memory, **(app_options or {})}
        publish = {WEB_PORT[variant]: port}
        if variant == "fpm":
            fpm = self.start("fpm", f"fpm-{suffix}", env | {"PHP_FPM_LISTEN": "9000"}, role="fpm", **limits)
            nginx = self.start(
                "nginx",
                f"nginx-{suffix}",
                {"PHP_FPM_ADDR": f"fpm-{suffix}:9000"},
                role="nginx",
                publish=publish,
                cpus=nginx_cpus or cpus,
                memory=nginx_memory,
            )
            web = WebApp(variant, port, {"fpm": fpm, "nginx": nginx})
        elif variant == "swoole":
            # the overlay's Octane settings, under what the caller set (a test's own worker count)
            env = runtime_env("swoole") | env
            swoole = self.start("swoole", f"swoole-{suffix}", env, role="swoole", publish=publish, **limits)
            web = WebApp(variant, port, {"swoole": swoole})
        else:
            raise ValueError(f"unknown variant {variant!r} (fpm or swoole)")
        try:
            for c in web.containers.values():
                c.wait_healthy(HEALTHY_S["web"])
        except RuntimeError:
            web.remove()
            raise
        return web

    def down(self) -> None:
        down(self.name)


# --- a stack seen from another process (the CLI): found by its label -----------------------------
def _labelled(name: str, role: str | None = None) -> list:
    labels = [f"{STACK_LABEL}={name}", *([f"{ROLE_LABEL}={role}"] if role else [])]
    return docker_sdk.from_env().containers.list(all=True, filters={"label": labels})


def down(name: str) -> None:
    client = docker_sdk.from_env()
    for c in _labelled(name):
        c.remove(force=True, v=True)
    for network in client.networks.list(filters={"label": f"{STACK_LABEL}={name}"}):
        network.remove()


def url(name: str, variant: str) -> str:
    front = _labelled(name, WEB_ROLES[variant][0])
    if not front:
        raise LookupError(f"stack {name} runs no {variant}")
    binding = front[0].attrs["NetworkSettings"]["Ports"][f"{WEB_PORT[variant]}/tcp"][0]
    return f"http://{binding['HostIp']}:{binding['HostPort']}"


def container_names(name: str, variant: str) -> list[str]:
    return [c.name for role in WEB_ROLES[variant] for c in _labelled(name, role)]


def network_name(name: str) -> str:
    networks = docker_sdk.from_env().networks.list(filters={"label": f"{STACK_LABEL}={name}"})
    if not networks:
        raise LookupError(f"no stack {name}")
    return networks[0].name


def up(args: argparse.Namespace) -> list[str]:
    """Start the stack the CLI asked for; returns `VARIANT URL` lines."""
    overrides = dict(item.split("=", 1) for item in args.env)
    stack = Stack(args.name)
    try:
        redis, database = stack.redis(), stack.mariadb()
        env = app_env(redis, database) | overrides
        stack.migrate(env)
        if args.worker:
            stack.worker(env)
        limits = {k: getattr(args, k) for k in ("cpus", "memory", "nginx_cpus", "nginx_memory")}
        return [f"{v} {stack.web(v, env, suffix='web', **limits).url('')}" for v in args.variants]
    except BaseException:
        stack.down()
        raise


def main(argv: list[str]) -> int:
    from testcontainers.core.config import testcontainers_config

    # the stack outlives this process: no reaper may remove it when the CLI exits
    testcontainers_config.ryuk_disabled = True
    parser = argparse.ArgumentParser(prog="python -m suite.stack", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("up", help="start the stack NAME (redis, mariadb, migrations, web)")
    start.add_argument("name")
    start.add_argument("variants", nargs="*", metavar="VARIANT", help="fpm and/or swoole")
    start.add_argument("--worker", action="store_true", help="also the queue worker")
    for option in ("cpus", "memory", "nginx-cpus", "nginx-memory"):
        start.add_argument(f"--{option}", help=f"{option.replace('-', ' ')} limit of the web containers")
    start.add_argument("--env", action="append", default=[], metavar="KEY=VALUE", help="app env override")
    for command in ("url", "containers"):
        sub = commands.add_parser(command)
        sub.add_argument("name")
        sub.add_argument("variant", choices=sorted(WEB_ROLES))
    commands.add_parser("network").add_argument("name")
    commands.add_parser("down").add_argument("name")
    args = parser.parse_args(argv)
    if args.command == "up" and any("=" not in item for item in args.env):
        parser.error("--env takes KEY=VALUE")
    if args.command == "up" and set(args.variants) - set(WEB_ROLES):
        parser.error(f"unknown variant(s) {sorted(set(args.variants) - set(WEB_ROLES))}: fpm or swoole")
    try:
        lines = {
            "up": lambda: up(args),
            "url": lambda: [url(args.name, args.variant)],
            "containers": lambda: container_names(args.name, args.variant),
            "network": lambda: [network_name(args.name)],
            "down": lambda: down(args.name) or [],
        }[args.command]()
    except (LookupError, RuntimeError, docker_sdk.errors.DockerException) as exc:
        print(f"suite.stack {args.command}: {str(exc).strip()}", file=sys.stderr)
        return 1
    if lines:
        print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
