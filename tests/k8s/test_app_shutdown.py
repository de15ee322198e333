"""Graceful shutdown: deleting web pods under >= 30 rps through the Ingress loses no request, and
the requests running on a pod when it is deleted - and still when its stop signal lands - finish.

Until every web pod was deleted: slow requests (/api/slow, they sleep and use no CPU) are sent
through the Ingress until one of the pods not yet deleted shows one of them running (the Ingress
picks the pod, so the test takes whichever it was); that pod is then deleted and, on the now
terminating pod, that request must still be running. After the preStop drain (10 s) the runtime
gets its stop signal: from then on it accepts no new connection, and the slow request must still
be open at that moment and then complete with 200 and its whole body. Meanwhile a bounded load of
cheap requests (>= 30 rps) runs through the Ingress: 0 connection errors and 0 5xx.

What "the pod shows it running" and "it accepts nothing" mean per runtime (queried inside the pod):
- fpm: FPM's status page lists the request Running; after SIGQUIT the status page (FastCGI into
  127.0.0.1:9000) no longer answers.
- swoole: the pod's own log has the request's "slow request started" line (with its X-Request-Id)
  and no access-log line for it yet; after SIGTERM the entrypoint shuts the listening socket down,
  so a request to 127.0.0.1:8000 inside the pod is refused.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import time
import uuid
from dataclasses import dataclass

import pytest
import requests
from kubernetes import client

from fixtures.cluster import wait_until
from fixtures.k8s_app import HTTP_PORT, NAMESPACE, PHP_CONTAINER, App
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
IN_FLIGHT = 3  # slow requests unfinished at a time: a web pod has 4 FPM workers


class Stopped(Exception):
    """The runtime inside the pod no longer accepts requests (its stop signal landed)."""


@dataclass
class PodContainer:
    """kubectl exec into one container of a pod, shaped like suite.containers.Container.exec so the
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
            raise Stopped(f"{self.pod}: FastCGI request timed out")
        if check and proc.returncode != 0:
            raise RuntimeError(
                f"kubectl exec {self.pod} -c {self.container} failed ({proc.returncode}): {proc.stderr.strip()[-500:]}"
            )
        return proc


class FpmInPod:
    """The FPM pod's own view: its status page, over FastCGI inside the pod."""

    def __init__(self, app: App, pod: str) -> None:
        self.pod, self.container = pod, PodContainer(app, pod)

    def running(self, markers: list[str]) -> tuple[str, str] | None:
        """(marker, detail) of one of `markers` running on the pod, or None."""
        proc = fpm_running(self.container, *markers, timeout=5)
        if not proc:
            return None
        (marker,) = [m for m in markers if m in proc["request uri"]]
        return marker, f"Running {proc['request duration'] / 1e6:.1f}s"

    def still_running(self, marker: str) -> bool:
        return bool(fpm_running(self.container, marker))

    def probe_stopped(self) -> None:
        """Raises Stopped once FPM's workers accept nothing (the FastCGI request times out)."""
        # kubectl exec failing (the container is exiting) proves nothing: the caller decides
        with contextlib.suppress(RuntimeError):
            fpm_running(self.container, "-", timeout=1)

    def accepted(self) -> int:
        status, body = fastcgi(self.container, "/fpm-status", "json", timeout=5)
        assert status == 200, f"{self.pod}: /fpm-status answered {status}"
        return json.loads(body)["accepted conn"]


class SwooleInPod:
    """The Swoole pod's own view: its log (the app's JSON lines) and its listener on 127.0.0.1."""

    def __init__(self, app: App, pod: str) -> None:
        self.app, self.pod = app, pod

    def _records(self) -> list[dict]:
        try:
            out = self.app.cluster.core.read_namespaced_pod_log(
                self.pod, NAMESPACE, container=PHP_CONTAINER, since_seconds=120
            )
        except (client.ApiException, OSError):  # the pod is gone: nothing runs there any more
            return []
        records = []
        for line in out.splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                records.append(record)
        return records

    def running(self, markers: list[str]) -> tuple[str, str] | None:
        started, finished = set(), set()
        for record in self._records():
            if record.get("request_id") in markers:
                if record.get("message") == "slow request started":
                    started.add(record["request_id"])
                elif record.get("message") == "request":  # App\Octane\LogRequest, at its end
                    finished.add(record["request_id"])
        running = [m for m in markers if m in started - finished]
        return (running[0], "started in its log, not finished") if running else None

    def still_running(self, marker: str) -> bool:
        return self.running([marker]) is not None

    def probe_stopped(self) -> None:
        """Raises Stopped once a request to the pod's own listener is refused."""
        try:
            reply = self.app.pod_request(self.pod, "GET", "/health")
        except RuntimeError:  # kubectl exec failed (the container is exiting): the caller decides
            return
        if reply.status == 0:
            raise Stopped(f"{self.pod}: 127.0.0.1:{HTTP_PORT['swoole']} refused the connection")

    def accepted(self) -> int:
        reply = self.app.pod_request(self.pod, "GET", "/health")
        assert reply.status == 200, f"{self.pod}: /health answered {reply.status}"
        return reply.json()["workers"]["requests"]  # Swoole Server::stats() request_count


IN_POD = {"fpm": FpmInPod, "swoole": SwooleInPod}


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
    views: dict, app: App, pool: concurrent.futures.Executor, sent: list[Slow], timeout: float = 90
) -> tuple[str, Slow, str]:
    """Send slow requests through the Ingress (one more every 2 s, at most IN_FLIGHT unfinished at
    a time: each holds one of a pod's few FPM workers for SLOW_MS) until one of the pods in `views`
    shows one of them running; returns that pod, the request and what the pod showed.

    Any pod still to be deleted will do: the Ingress balances over every Ready pod, so waiting
    for one chosen pod would miss whenever the requests land on the others."""
    deadline = time.monotonic() + timeout
    last_sent = 0.0
    while time.monotonic() < deadline:
        unfinished = [s for s in sent if not s.future.done()]
        if len(unfinished) < IN_FLIGHT and time.monotonic() - last_sent > 2:
            sent.append(send_slow(app, pool))
            last_sent = time.monotonic()
        # fresh enough that >= 17 s remain: it outlasts the preStop drain and the stop signal
        fresh = {s.marker: s for s in sent if time.monotonic() - s.started < 3}
        for pod, in_pod in views.items():
            seen = in_pod.running(list(fresh)) if fresh else None
            if seen:
                return pod, fresh[seen[0]], seen[1]
        time.sleep(0.2)
    pytest.fail(
        f"no slow request seen running on any of {sorted(views)} within {timeout:.0f}s ({len(sent)} sent)",
        pytrace=False,
    )


def wait_stopped(in_pod, slow: Slow, deleted_at: float) -> float:
    """From shortly before the preStop drain ends, probe the runtime inside the pod until it
    accepts nothing any more (its stop signal landed); returns when (time.monotonic()) that was
    seen. The slow request must still be open then."""
    time.sleep(max(0.0, deleted_at + PRESTOP_S - 0.5 - time.monotonic()))
    while not slow.future.done():
        try:
            in_pod.probe_stopped()
        except Stopped:
            seen = time.monotonic()
            assert not slow.future.done(), f"{slow.marker} ended before {in_pod.pod} was seen stopping"
            return seen
        time.sleep(0.1)
    status, body, ended = slow.future.result()
    why = "the stop signal did not land while it ran" if status == 200 else f"cut short: {body[:120]!r}"
    pytest.fail(
        f"{slow.marker} ended HTTP {status} {ended - deleted_at:.1f}s after the deletion of {in_pod.pod}, "
        f"before the runtime was seen stopping: {why}",
        pytrace=False,
    )


def _wait_replaced(app, deleted: str, count: int, timeout: float = 180) -> None:
    """Until `count` Ready web pods that are not being deleted exist and `deleted` is not one of
    them (the Deployment's status lags behind a pod deletion, so it is not asked)."""

    def replaced() -> bool:
        ready = {p.metadata.name for p in app.pods("web")}  # Ready and not terminating
        return deleted not in ready and len(ready) >= count

    wait_until(f"{deleted} to be replaced by a Ready pod", timeout, replaced, interval=1)


def _wait_serving(in_pod, timeout: float = 90) -> None:
    """Until the Ingress sends the load to the pod: it accepts >= 5 requests a second (the probes
    and these reads add one every few seconds). A pod is Ready before the Ingress routes to it
    (EndpointSlice update, then the controller's reload): deleting the last serving pod in that
    gap answers 503 "no available server", which is not what this test measures."""
    deadline = time.monotonic() + timeout
    last: tuple[float, int] | None = None
    while True:
        now, accepted = time.monotonic(), in_pod.accepted()
        if last and (accepted - last[1]) / (now - last[0]) >= 5:
            return
        assert now < deadline, f"the Ingress sent no load to {in_pod.pod} within {timeout:.0f}s"
        last = (now, accepted)
        time.sleep(1)


@pytest.mark.criterion("graceful-shutdown")
def test_deleting_web_pods_under_30_rps_loses_no_request_and_the_requests_running_on_them_finish(
    ready_app, variant, record_metric
):
    view = IN_POD[variant]
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
        waiting = {pod: view(ready_app, pod) for pod in pods}
        while waiting:
            pod, slow, shown = seen_running(waiting, ready_app, pool, sent)
            in_pod = waiting.pop(pod)
            deleted_at = time.monotonic()
            ready_app.delete("pod", pod)
            # in flight at the deletion: the terminating pod still runs it
            meta = ready_app.read("pod", pod).metadata
            assert meta.deletion_timestamp, f"{pod} has no deletionTimestamp after its deletion"
            assert in_pod.still_running(slow.marker), (
                f"{slow.marker} no longer running on {pod} right after its deletion"
            )
            stopped_at = wait_stopped(in_pod, slow, deleted_at)
            status, body, ended = slow.future.result(timeout=SLOW_MS / 1000 + 60)
            assert status == 200, (
                f"{slow.marker} running on {pod} at its deletion and stop ended {status} {body[:200]}"
            )
            reply = json.loads(body)
            assert reply["ms"] == SLOW_MS, reply
            assert reply["slept_ms"] >= SLOW_MS, reply
            proofs.append(
                f"{pod}: {slow.marker} {shown} when deleted, "
                f"{variant} stopped accepting {stopped_at - deleted_at:.1f}s after the deletion, the request "
                f"finished 200 {ended - stopped_at:.1f}s later"
            )
            _wait_replaced(ready_app, pod, want)
            for serving in {p.metadata.name for p in ready_app.pods("web")} - set(pods):
                _wait_serving(view(ready_app, serving))
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
