"""Graceful shutdown of the web containers, proven on one request known to be running.

A request that sleeps N seconds (/api/slow) is started; the test waits until the server itself
shows it running (FPM: a worker in state Running on the pool's full status page, with the
request's marker in its URI; other runtimes: the app's "slow request started" log line with the
request id), and only then runs `docker stop` (the images' STOPSIGNAL: SIGQUIT for FPM and nginx).
The request must complete with 200 and its whole body, new connections must be refused from the
moment the stop began, and the stop must end once the request did: < N + the configured grace
(FPM's process_control_timeout), without Docker's SIGKILL.

The negative cases break graceful stop the two ways TRAPS.md 1 describes (SIGTERM instead of
SIGQUIT; process_control_timeout=0) and show that the same completion check then fails.
"""

from __future__ import annotations

import concurrent.futures
import json
import time
import uuid
from dataclasses import dataclass

import pytest
import requests

from fixtures.web import WebApp
from tests.container.fastcgi import fpm_effective_config, fpm_running, seconds
from tests.container.test_runtime_config import fpm_only

pytestmark = pytest.mark.container

SLOW_S = 4  # N: the in-flight request sleeps this long (no CPU used)
SLOW_MS = SLOW_S * 1000
SEEN_TIMEOUT = 20  # the server must show the request running within this


@dataclass
class Outcome:
    """How one HTTP request ended: status 0 means no HTTP response (the connection broke)."""

    status: int
    body: str
    ended: float  # time.monotonic()

    def describe(self) -> str:
        return f"HTTP {self.status} {self.body[:200]!r}" if self.status else self.body[:300]


def _get(url: str, request_id: str, timeout: float) -> Outcome:
    try:
        reply = requests.get(
            url, headers={"Accept": "application/json", "X-Request-Id": request_id}, timeout=timeout
        )
        return Outcome(reply.status_code, reply.text, time.monotonic())
    except requests.RequestException as exc:
        return Outcome(0, f"{type(exc).__name__}: {exc}", time.monotonic())


def start_slow_request(
    pool: concurrent.futures.Executor, web: WebApp
) -> tuple[str, concurrent.futures.Future]:
    """Start GET /api/slow?ms=N with a unique marker (in the query and as X-Request-Id)."""
    marker = f"shutdown-{uuid.uuid4().hex[:16]}"
    url = web.url(f"/api/slow?ms={SLOW_MS}&probe={marker}")
    return marker, pool.submit(_get, url, marker, SLOW_S + 90)


def wait_until_the_server_runs(
    variant: str, web: WebApp, marker: str, in_flight: concurrent.futures.Future
) -> str:
    """Until the server shows the request running; returns the evidence as one line."""
    deadline = time.monotonic() + SEEN_TIMEOUT
    while time.monotonic() < deadline:
        assert not in_flight.done(), (
            f"the slow request ended before it was seen running: {in_flight.result().describe()}"
        )
        if variant == "fpm":
            proc = fpm_running(web.containers["fpm"], marker)
            if proc:
                return f"FPM worker {proc['pid']} Running {proc['request uri']} for {proc['request duration'] / 1e6:.2f}s"
        else:
            (container,) = web.containers.values()
            for line in container.logs().splitlines():
                if marker in line and "slow request started" in line:
                    return f"app log: {line.strip()[:200]}"
        time.sleep(0.2)
    pytest.fail(f"the server never showed {marker} running within {SEEN_TIMEOUT}s", pytrace=False)


def stop_grace_seconds(variant: str, web: WebApp) -> int:
    """The configured time the runtime gives running requests after the stop signal."""
    if variant == "fpm":
        return seconds(fpm_effective_config(web.containers["fpm"])["process_control_timeout"])
    (container,) = web.containers.values()
    boot = (
        "require 'vendor/autoload.php'; $app = require 'bootstrap/app.php'; "
        "$app->make(Illuminate\\Contracts\\Console\\Kernel::class)->bootstrap(); "
    )
    # no shell in between: it would expand $app
    out = container.exec(
        "php", "-r", f"chdir('/app'); {boot}echo config('octane.swoole.options.max_wait_time');"
    )
    return int(out.stdout.strip())


def first_refusal(
    web: WebApp, began: float, in_flight: concurrent.futures.Future, within: float = 3
) -> float:
    """Seconds from the start of the stop until a new connection is refused, while the request
    is still running (else the observation would prove nothing)."""
    answered = []
    while time.monotonic() - began < within:
        try:
            reply = requests.get(web.url("/health"), timeout=1)
            answered.append(f"{time.monotonic() - began:.2f}s HTTP {reply.status_code}")
        except requests.ConnectionError:
            refused_after = time.monotonic() - began
            assert not in_flight.done(), (
                f"the in-flight request ended ({in_flight.result().describe()}) before new connections were "
                f"refused ({refused_after:.2f}s after the stop began; before: {answered[-5:]})"
            )
            return refused_after
        except requests.Timeout:
            answered.append(f"{time.monotonic() - began:.2f}s accepted, no answer")
        time.sleep(0.05)
    pytest.fail(
        f"new connections still accepted {within:.0f}s after the stop began: {answered[-5:]}", pytrace=False
    )


def check_completed(outcome: Outcome) -> None:
    """The in-flight request finished normally: 200 and the whole JSON body of /api/slow."""
    assert outcome.status == 200, f"the request in flight at the stop did not complete: {outcome.describe()}"
    body = json.loads(outcome.body)
    assert body["ms"] == SLOW_MS, body
    assert body["slept_ms"] >= SLOW_MS, body


def exit_codes(web: WebApp) -> dict[str, str]:
    return {key: "{Status} {ExitCode}".format(**c.state()) for key, c in web.containers.items()}


def stop_with_a_request_in_flight(
    variant: str, web: WebApp, grace: int, signals: dict[str, str] | None = None, check_refusal: bool = True
) -> tuple[str, Outcome, float, float | None, float]:
    """Start the slow request, wait until the server runs it, stop the containers; returns
    (evidence, outcome, stop seconds, refusal seconds or None, request seconds after the stop)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        marker, in_flight = start_slow_request(pool, web)
        evidence = wait_until_the_server_runs(variant, web, marker, in_flight)
        began = time.monotonic()

        def stop() -> float:
            # docker's own deadline above N + grace: its SIGKILL must never be what ends the stop
            web.stop(SLOW_S + grace + 15, signals=signals)
            return time.monotonic()

        stopper = pool.submit(stop)
        refused = first_refusal(web, began, in_flight) if check_refusal else None
        outcome = in_flight.result(timeout=SLOW_S + grace + 60)
        stopped = stopper.result(timeout=SLOW_S + grace + 60)
    return evidence, outcome, stopped - began, refused, outcome.ended - began


@pytest.mark.criterion("graceful-shutdown")
def test_a_request_running_when_the_container_stops_completes_new_connections_are_refused_and_the_stop_ends_with_it(
    variant, web_factory, record_metric
):
    web = web_factory(cpus="1", memory="512m")
    grace = stop_grace_seconds(variant, web)
    assert grace > SLOW_S, f"grace {grace}s cannot cover a {SLOW_S}s request"
    evidence, outcome, stop_s, refused_s, request_s = stop_with_a_request_in_flight(variant, web, grace)
    print(
        f"{evidence}; new connections refused {refused_s:.2f}s after the stop began; request ended "
        f"{request_s:.2f}s after it; stop took {stop_s:.2f}s (N {SLOW_S}s, grace {grace}s)"
    )
    check_completed(outcome)
    states = exit_codes(web)
    # 137 would be Docker's SIGKILL at its deadline, i.e. a stop that did not end by itself
    assert all(s == "exited 0" for s in states.values()), states
    assert request_s <= stop_s, "the containers were gone before the in-flight request was answered"
    assert stop_s < SLOW_S + grace, f"stop took {stop_s:.1f}s, not < N {SLOW_S}s + grace {grace}s"
    # ... and it ended with the request, not at the end of the grace period
    assert stop_s - request_s < 5, (
        f"stop took {stop_s:.1f}s, {stop_s - request_s:.1f}s after the request ended"
    )
    record_metric(
        "graceful-shutdown", f"{variant}: container stop with a {SLOW_S}s request in flight", stop_s, "s"
    )
    with pytest.raises(requests.ConnectionError):
        requests.get(web.url("/health"), timeout=5)


BROKEN_STOPS = [
    pytest.param({"signals": {"fpm": "SIGTERM"}}, id="fpm-stopped-with-SIGTERM"),
    pytest.param({"env": {"PHP_FPM_PROCESS_CONTROL_TIMEOUT": "0"}}, id="process_control_timeout-0"),
]


@pytest.mark.criterion("graceful-shutdown", variant="fpm")
@pytest.mark.parametrize("broken", BROKEN_STOPS)
def test_the_shutdown_check_fails_when_fpm_gets_sigterm_or_has_no_process_control_timeout(
    variant, web_factory, broken
):
    web = web_factory(env=broken.get("env"), cpus="1", memory="512m")  # offline Swoole skips here
    fpm_only(variant)
    grace = stop_grace_seconds(variant, web)
    if "env" in broken:
        assert grace == 0, "PHP_FPM_PROCESS_CONTROL_TIMEOUT=0 did not reach the pool"
    evidence, outcome, stop_s, _, request_s = stop_with_a_request_in_flight(
        variant, web, max(grace, 30), signals=broken.get("signals"), check_refusal=False
    )
    print(
        f"{evidence}; request ended {request_s:.2f}s after the stop began: {outcome.describe()}; stop took {stop_s:.2f}s"
    )
    with pytest.raises(AssertionError, match="did not complete"):
        check_completed(outcome)
    # the request was cut, not finished late: it ended well before its N seconds
    assert request_s < SLOW_S, f"request ended {request_s:.1f}s after the stop"
