"""Graceful shutdown: deleting web pods under >= 30 rps through the Ingress loses no request, and
the requests running on a pod when it is deleted - and still when its stop signal lands - finish.

For each web pod: slow requests (/api/slow, they sleep and use no CPU) are sent through the
Ingress until the pod's own FPM status page (queried inside the pod) shows one of them Running;
the pod is then deleted and its status page, on the now terminating pod, must still show that
request Running. After the preStop drain (10 s) FPM gets SIGQUIT: from then on its status page no
longer answers (the workers stopped accepting), and the slow request must still be open at that
moment and then complete with 200 and its whole body. Meanwhile a bounded load of cheap requests
(>= 30 rps) runs through the Ingress: 0 connection errors and 0 5xx.
"""

from __future__ import annotations

import concurrent.futures
import json
import time
import uuid
from dataclasses import dataclass

import pytest
import requests

from fixtures.cluster import wait_until
from fixtures.k8s_app import PHP_CONTAINER, App
from fixtures.load import Load
from tests.container.fastcgi import fastcgi, fpm_running

pytestmark = [pytest.mark.k8s, pytest.mark.slow]

# the slow request: at most the app's bound (config/slow.php, 20 s = the pod's FPM
# process_control_timeout), long enough to outlast the 10 s preStop drain after it was seen
SLOW_MS = 20_000
LOAD_PATH = "/api/ping"  # the cheap request of the load: the framework's path, no I/O
LOAD_RPS = 40  # asked; the achieved rate is measured and must reach MIN_RPS
MIN_RPS = 30
PRESTOP_S = 10  # the pods' preStop sleep


class FpmStopped(Exception):
    """FastCGI into FPM timed out: its workers no longer accept (SIGQUIT landed)."""


@dataclass
class PodContainer:
    """kubectl exec into one container of a pod, shaped like fixtures.php_app.Container.exec so the
    container tier's FastCGI helpers query FPM inside the pod (`kubectl exec` is what runs
    cgi-fcgi in the pod, with its stdin and exit code)."""

    app: App
    pod: str
    container: str = PHP_CONTAINER

    def exec(self, *cmd: str, timeout: float = 60, check: bool = True, stdin: str | None = None):
        interactive = ["-i"] if stdin is not None else []
        proc = self.app.kubectl_run(
            "exec", *interactive, self.pod, "-c", self.container, "--", *cmd, input=stdin, timeout=timeout
        )
        if check and proc.returncode == 124:  # `timeout N cgi-fcgi ...`: connected, never answered
            raise FpmStopped(f"{self.pod}: FastCGI request timed out")
        if check and proc.returncode != 0:
            raise RuntimeError(
                f"kubectl exec {self.pod} -c {self.container} failed ({proc.returncode}): {proc.stderr.strip()[-500:]}"
            )
        return proc


@dataclass
class Slow:
    marker: str
    started: float
    future: concurrent.futures.Future  # -> (status, body, ended)


def send_slow(app: App, pool: concurrent.futures.Executor) -> Slow:
    marker = f"shutdown-{uuid.uuid4().hex[:16]}"

    def get() -> tuple[int, str, float]:
        with app.http() as http:
            try:
                reply = http.get(
                    app.url(f"/api/slow?ms={SLOW_MS}&probe={marker}"),
                    headers={"Accept": "application/json", "X-Request-Id": marker},
                    timeout=SLOW_MS / 1000 + 40,
                )
                return reply.status_code, reply.text, time.monotonic()
            except requests.RequestException as exc:
                return 0, f"{type(exc).__name__}: {exc}"[:300], time.monotonic()

    return Slow(marker, time.monotonic(), pool.submit(get))


def seen_running(
    app: App, pod: str, pool: concurrent.futures.Executor, sent: list[Slow], timeout: float = 60
) -> tuple[Slow, dict]:
    """Send slow requests through the Ingress (one more every 2 s, at most 5: each holds an FPM
    worker) until the pod's FPM status page shows one of them Running; returns it and its entry."""
    in_pod = PodContainer(app, pod)
    deadline = time.monotonic() + timeout
    last_sent, budget = 0.0, 5
    while time.monotonic() < deadline:
        if budget and time.monotonic() - last_sent > 2:
            sent.append(send_slow(app, pool))
            last_sent, budget = time.monotonic(), budget - 1
        # fresh enough that >= 17 s remain: it outlasts the preStop drain and the stop signal
        fresh = {s.marker: s for s in sent if time.monotonic() - s.started < 3}
        proc = fpm_running(in_pod, *fresh, timeout=5) if fresh else None
        if proc:
            (slow,) = [s for m, s in fresh.items() if m in proc["request uri"]]
            return slow, proc
        time.sleep(0.2)
    pytest.fail(
        f"no slow request seen Running on {pod} within {timeout:.0f}s ({len(sent)} sent)", pytrace=False
    )


def wait_fpm_stopped(app: App, pod: str, slow: Slow, deleted_at: float) -> float:
    """From shortly before the preStop drain ends, poll the pod's FPM status page until it stops
    answering (after SIGQUIT the workers accept nothing: the FastCGI request times out); returns
    when (time.monotonic()) that was seen. The slow request must still be open then."""
    in_pod = PodContainer(app, pod)
    time.sleep(max(0.0, deleted_at + PRESTOP_S - 0.5 - time.monotonic()))
    while not slow.future.done():
        try:
            fpm_running(in_pod, slow.marker, timeout=1)
        except RuntimeError:  # kubectl exec failed (the container is exiting): the loop decides
            pass
        except FpmStopped:
            seen = time.monotonic()
            assert not slow.future.done(), f"{slow.marker} ended before FPM on {pod} was seen stopping"
            return seen
        time.sleep(0.1)
    status, body, ended = slow.future.result()
    why = "the stop signal did not land while it ran" if status == 200 else f"cut short: {body[:120]!r}"
    pytest.fail(
        f"{slow.marker} ended HTTP {status} {ended - deleted_at:.1f}s after the deletion of {pod}, before "
        f"its FPM was seen stopping: {why}",
        pytrace=False,
    )


def _wait_replaced(app, deleted: str, count: int, timeout: float = 180) -> None:
    """Until `count` Ready web pods that are not being deleted exist and `deleted` is not one of
    them (the Deployment's status lags behind a pod deletion, so it is not asked)."""

    def replaced() -> bool:
        ready = {p.metadata.name for p in app.pods("web")}  # Ready and not terminating
        return deleted not in ready and len(ready) >= count

    wait_until(f"{deleted} to be replaced by a Ready pod", timeout, replaced, interval=1)


def _wait_serving(app: App, pod: str, timeout: float = 90) -> None:
    """Until the Ingress sends the load to `pod`: its FPM accepts >= 5 connections a second (the
    probes and these status reads add one every few seconds). A pod is Ready before the Ingress
    routes to it (EndpointSlice update, then the controller's reload): deleting the last serving
    pod in that gap answers 503 "no available server", which is not what this test measures."""
    in_pod = PodContainer(app, pod)
    deadline = time.monotonic() + timeout
    last: tuple[float, int] | None = None
    while True:
        status, body = fastcgi(in_pod, "/fpm-status", "json", timeout=5)
        assert status == 200, f"{pod}: /fpm-status answered {status}"
        now, accepted = time.monotonic(), json.loads(body)["accepted conn"]
        if last and (accepted - last[1]) / (now - last[0]) >= 5:
            return
        assert now < deadline, f"the Ingress sent no load to {pod} within {timeout:.0f}s"
        last = (now, accepted)
        time.sleep(1)


@pytest.mark.criterion("graceful-shutdown")
def test_deleting_web_pods_under_30_rps_loses_no_request_and_the_requests_running_on_them_finish(
    ready_app, variant, record_metric
):
    if variant != "fpm":
        pytest.fail(
            f"{variant}: no in-pod view of running requests is implemented for this runtime", pytrace=False
        )
    pods = [p.metadata.name for p in ready_app.pods("web")]
    # replaced means back at minReplicas Ready (the HPA may have scaled up before this test)
    want = min(len(pods), ready_app.hpa().spec.min_replicas)
    proofs: list[str] = []
    sent: list[Slow] = []
    with (
        concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool,
        Load(
            ready_app.http,
            ready_app.url(LOAD_PATH),
            rps=LOAD_RPS,
            max_requests=15_000,
            max_seconds=330,
            threads=16,
            timeout=10,
        ) as load,
    ):
        time.sleep(3)
        for pod in pods:
            slow, proc = seen_running(ready_app, pod, pool, sent)
            deleted_at = time.monotonic()
            ready_app.delete("pod", pod)
            # in flight at the deletion: the terminating pod still runs it
            meta = ready_app.read("pod", pod).metadata
            assert meta.deletion_timestamp, f"{pod} has no deletionTimestamp after its deletion"
            still = fpm_running(PodContainer(ready_app, pod), slow.marker)
            assert still, f"{slow.marker} no longer Running on {pod} right after its deletion"
            stopped_at = wait_fpm_stopped(ready_app, pod, slow, deleted_at)
            status, body, ended = slow.future.result(timeout=SLOW_MS / 1000 + 60)
            assert status == 200, (
                f"{slow.marker} running on {pod} at its deletion and stop ended {status} {body[:200]}"
            )
            reply = json.loads(body)
            assert reply["ms"] == SLOW_MS, reply
            assert reply["slept_ms"] >= SLOW_MS, reply
            proofs.append(
                f"{pod}: {slow.marker} Running {proc['request duration'] / 1e6:.1f}s when deleted, "
                f"FPM stopped accepting {stopped_at - deleted_at:.1f}s after the deletion, the request "
                f"finished 200 {ended - stopped_at:.1f}s later"
            )
            _wait_replaced(ready_app, pod, want)
            for serving in {p.metadata.name for p in ready_app.pods("web")} - set(pods):
                _wait_serving(ready_app, serving)
        # keep the load on until every deleted pod has finished its drain and stopped
        deadline = time.monotonic() + 90
        while {p.metadata.name for p in ready_app.pods("web", ready_only=False)} & set(pods):
            assert time.monotonic() < deadline, "deleted pods still exist after 90 s"
            time.sleep(1)
        time.sleep(2)
        result = load.stop()
        seconds = result.seconds  # Load.__exit__ stops again and would count the wait below
        others = [s.future.result(timeout=SLOW_MS / 1000 + 60) for s in sent]
    rps = result.requests / seconds
    numbers = f"{result.summary()}; {rps:.1f} rps; {len(sent)} slow requests; " + "; ".join(proofs)
    print(numbers)
    record_metric(
        "graceful-shutdown", "requests while every web pod was replaced", result.requests, "requests"
    )
    record_metric("graceful-shutdown", "request rate while every web pod was replaced", round(rps, 1), "rps")
    record_metric("graceful-shutdown", "failed requests", result.failed, "requests")
    assert rps >= MIN_RPS, f"load reached only {rps:.1f} rps (< {MIN_RPS}): {numbers}"
    assert result.connection_errors == 0, numbers
    assert result.server_errors == 0, numbers
    failed_slow = [
        (s.marker, status, body[:120])
        for s, (status, body, _) in zip(sent, others, strict=True)
        if status != 200
    ]
    assert not failed_slow, f"slow requests that did not complete: {failed_slow}; {numbers}"
