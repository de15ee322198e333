"""FastCGI requests straight into a running FPM pool with Debian's `cgi-fcgi` inside the image:
the one request builder of the suite (the app tier's requests through the front controller, the
container and k8s tiers' status, ping and probe scripts).

`fpm` is anything with an `exec(*cmd, timeout=, stdin=)` like suite.containers.Container.exec
(a container, or a pod's container through kubectl exec).
"""

from __future__ import annotations

from typing import Protocol

FRONT_CONTROLLER = "/app/public/index.php"
LISTEN = "127.0.0.1:9000"


class Execs(Protocol):
    def exec(self, *cmd: str, timeout: float = ..., stdin: str | None = ...): ...


def params(method: str, uri: str, script: str, body: str, headers: dict[str, str]) -> dict[str, str]:
    """The CGI parameters nginx would send for `method uri` to `script`."""
    path, _, query = uri.partition("?")
    env = {
        "REQUEST_METHOD": method,
        "SCRIPT_FILENAME": script,
        "SCRIPT_NAME": "/index.php" if script == FRONT_CONTROLLER else script,
        "DOCUMENT_ROOT": "/app/public",
        "REQUEST_URI": uri,
        "DOCUMENT_URI": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "localhost",
        "CONTENT_LENGTH": str(len(body.encode())),
    }
    for key, value in headers.items():
        name = key.upper().replace("-", "_")
        env[name if name == "CONTENT_TYPE" else "HTTP_" + name] = value
    return env


def parse(out: str) -> tuple[int, dict[str, str], str]:
    """cgi-fcgi's output -> (status, headers with lower-case names, body). Several Set-Cookie
    headers are kept one per line (a header value never holds a newline)."""
    head, _, payload = out.replace("\r\n", "\n").partition("\n\n")
    headers: dict[str, str] = {}
    for line in head.splitlines():
        key, _, value = line.partition(":")
        key = key.strip().lower()
        if key == "set-cookie" and key in headers:
            headers[key] += "\n" + value.strip()
        else:
            headers[key] = value.strip()
    return int(headers.get("status", "200").split()[0]), headers, payload


def request(
    fpm: Execs,
    method: str,
    uri: str,
    *,
    script: str = FRONT_CONTROLLER,
    body: str = "",
    headers: dict[str, str] | None = None,
    timeout: int = 20,
) -> tuple[int, dict[str, str], str]:
    """One FastCGI request to the pool on 127.0.0.1:9000 inside `fpm`, bounded by `timeout`."""
    env = params(method, uri, script, body, headers or {})
    cmd = ["env", *[f"{k}={v}" for k, v in env.items()], "timeout", str(timeout), "cgi-fcgi", "-bind"]
    out = fpm.exec(*cmd, "-connect", LISTEN, stdin=body if body else None, timeout=timeout + 10).stdout
    return parse(out)
