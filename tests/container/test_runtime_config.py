"""PHP-FPM and OPcache as loaded by the running server, sized from the container's limits."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.container.fastcgi import fastcgi, fpm_effective_config, probe, seconds
from tests.static.fpm_sizing import entrypoint_sizing

pytestmark = pytest.mark.container

PROBE = (Path(__file__).parent / "samples" / "runtime-probe.php").read_text()


def fpm_only(variant: str) -> None:
    if variant != "fpm":
        pytest.skip("PHP-FPM settings apply to the fpm variant; Octane's are tested in the app tier")


@pytest.mark.criterion("opcache-config")
def test_opcache_runs_with_production_settings_inside_the_fpm_sapi(variant, web):
    fpm_only(variant)
    for _ in range(5):  # warm the cache through the real front controller
        assert web.get("/api/ping").status_code == 200
    report = probe(web.containers["fpm"], PROBE)
    ini = report["ini"]
    assert report["sapi"] == "fpm-fcgi"
    assert ini["opcache.enable"] == "1"
    assert ini["opcache.enable_cli"] == "0"
    assert ini["opcache.validate_timestamps"] == "0", "code changes must ship as new pods, not be re-read"
    assert ini["opcache.memory_consumption"] == "128"
    assert ini["opcache.interned_strings_buffer"] == "16"
    assert ini["opcache.max_accelerated_files"] == "20000"
    assert ini["expose_php"] in ("", "0")
    assert report["opcache"]["enabled"] is True
    assert report["opcache"]["cached_scripts"] > 100, "the framework's files should be cached"
    assert report["opcache"]["hits"] > 0
    # preloading really loaded the hot path (it was once silently empty: the build's warm-up
    # failed without an encryption key and wrote no class list)
    preloaded = report["opcache"]["preloaded_classes"]
    assert len(preloaded) >= 300, f"opcache.preload linked {len(preloaded)} classes"
    assert {"Illuminate\\Foundation\\Application", "App\\Http\\Kernel"} <= set(preloaded)
    metrics = web.get("/metrics").text
    hit_rate = re.search(r"^opcache_statistics_hit_rate(?:\{[^}]*\})? ([0-9.e+-]+)$", metrics, re.MULTILINE)
    assert hit_rate, "opcache_statistics_hit_rate not exported"
    assert 0 < float(hit_rate.group(1)) <= 1


@pytest.mark.criterion("fpm-container-config", "fpm-how-it-works")
@pytest.mark.criterion("resource-limits", variant="fpm")
def test_the_fpm_pool_is_sized_from_the_memory_limit_and_php_memory_fits_under_it(variant, web_factory):
    fpm_only(variant)
    for memory_mb in (512, 1024):
        web = web_factory(cpus="1", memory=f"{memory_mb}m")
        fpm = web.containers["fpm"]
        config = fpm_effective_config(fpm)
        children = int(config["pm.max_children"])
        # what the entrypoint's own sizing function computes for this env and limit (the formula of
        # docs/APP.md, checked against it in tests/static/test_fpm_sizing.py): one implementation
        expected = entrypoint_sizing(memory_mb, fpm.env)
        assert children == int(expected["max_children"]), config
        assert config["pm"] == "dynamic"
        assert int(config["pm.start_servers"]) == max(1, children // 5)
        probe_report = probe(fpm, PROBE)
        limit_mb = int(probe_report["ini"]["memory_limit"].rstrip("M"))
        assert probe_report["ini"]["memory_limit"] == expected["memory_limit"], probe_report["ini"]
        # every child at its memory_limit, plus the master and shared memory, fits: PHP fails a
        # request with "Allowed memory size exhausted" long before the kernel OOM-kills the pod
        reserved = int(expected["reserved_mb"])
        assert children * limit_mb + reserved <= memory_mb, (
            f"{children} children x memory_limit {limit_mb}M + {reserved}M reserved exceed {memory_mb} MiB"
        )


@pytest.mark.criterion("fpm-container-config")
def test_fpm_pool_status_ping_slowlog_timeouts_and_env_are_set_for_containers(variant, web):
    fpm_only(variant)
    fpm = web.containers["fpm"]
    config = fpm_effective_config(fpm)
    assert config["pm.status_path"] == "/fpm-status"
    assert config["ping.path"] == "/fpm-ping"
    assert config["slowlog"] == "/proc/self/fd/2"
    assert seconds(config["request_terminate_timeout"]) > 0
    assert seconds(config["request_slowlog_timeout"]) > 0
    assert seconds(config["process_control_timeout"]) > 0, "SIGQUIT would not wait for running requests"
    assert config["catch_workers_output"] == "yes"
    assert config["decorate_workers_output"] == "no"
    assert config["clear_env"] == "no"
    status, body = fastcgi(fpm, "/fpm-ping")
    assert (status, body.strip()) == (200, "pong")
    status, body = fastcgi(fpm, "/fpm-status", "json")
    pool = json.loads(body)
    assert pool["process manager"] == "dynamic"
    assert pool["total processes"] >= 1
    # the status page is internal: nginx does not serve it publicly
    assert web.get("/fpm-status").status_code == 404
    assert web.get("/fpm-ping").status_code == 404


@pytest.mark.criterion("fpm-container-config")
def test_nginx_runs_one_worker_per_cpu_of_its_limit_not_per_host_core(variant, web_factory):
    fpm_only(variant)
    for cpus in ("1", "2"):
        web = web_factory(cpus=cpus, memory="512m")
        # the kernel's process list of the container (the nginx image has no ps)
        procs = web.containers["nginx"].processes()
        workers = [args for _, _, args in procs if args.startswith("nginx: worker process")]
        assert len(workers) == int(cpus), procs
