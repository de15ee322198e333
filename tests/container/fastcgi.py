"""FastCGI requests straight into a running FPM container (Debian's cgi-fcgi inside the image):
what the FPM SAPI itself answers, without nginx or the CLI in between (the request builder is
suite/fastcgi.py)."""

from __future__ import annotations

import json

from suite import fastcgi as fcgi
from suite.containers import Container


def fastcgi(fpm: Container, script: str, query: str = "", timeout: int = 20) -> tuple[int, str]:
    """GET `script` (a path inside the container, or FPM's status/ping path) through 127.0.0.1:9000."""
    status, _, body = fcgi.request(
        fpm, "GET", script + (f"?{query}" if query else ""), script=script, timeout=timeout
    )
    return status, body


def fpm_running(fpm: Container, *markers: str, timeout: int = 5) -> dict | None:
    """The worker the pool's full status page shows Running a request whose URI contains one of
    `markers`. `fpm` is anything with Container's `exec` (a container, or a pod's via kubectl)."""
    status, body = fastcgi(fpm, "/fpm-status", "json&full", timeout=timeout)
    assert status == 200, f"/fpm-status answered {status}: {body[:300]}"
    for proc in json.loads(body)["processes"]:
        if proc["state"] == "Running" and any(m in proc["request uri"] for m in markers):
            return proc
    return None


def probe(fpm: Container, probe_source: str) -> dict:
    """Install the probe script in the running container and run it under the FPM SAPI."""
    fpm.exec("sh", "-c", "cat > /tmp/lks-probe.php", stdin=probe_source)
    status, body = fastcgi(fpm, "/tmp/lks-probe.php")
    assert status == 200, body
    return json.loads(body)


def fpm_effective_config(fpm: Container) -> dict[str, str]:
    """`php-fpm -tt` through the image's entrypoint inside the running container: the same env and
    cgroup limits, so the same sizing the running master got. (PID 1's /proc environ cannot be read
    back: FPM's process title overwrites it.)"""
    out = fpm.exec(
        "sh",
        "-c",
        "PHP_FPM_LOG_LEVEL=notice APP_CONFIG_CACHE=false app-entrypoint "
        '"$(command -v php-fpm8.4 || command -v php-fpm)" -tt 2>&1',
        check=False,
    ).stdout
    config: dict[str, str] = {}
    for line in out.splitlines():
        # "[30-Nov-2026 11:30:00] NOTICE: \tpm.max_children = 6"
        if "NOTICE:" in line and " = " in line:
            key, _, value = line.split("NOTICE:", 1)[1].strip().partition(" = ")
            config.setdefault(key.strip(), value.strip())
    if "pm.max_children" not in config:
        raise AssertionError(f"php-fpm -tt printed no pool config:\n{out[-2000:]}")
    return config


def seconds(value: str) -> int:
    """FPM time values: '30s', '5m', '0'."""
    units = {"s": 1, "m": 60, "h": 3600}
    return int(value[:-1]) * units[value[-1]] if value[-1] in units else int(value)
