"""Distributed tracing against a real Jaeger (fixtures/jaeger.py): a request carrying a known
traceparent and X-Request-Id becomes, in Jaeger, one trace under the caller's span: the app's
SERVER span, its database and Redis CLIENT spans, the PRODUCER span of the job it dispatched and
the queue worker's CONSUMER span below it; the same trace id is on the app's, nginx's and the
worker's log lines of that request. A collector that accepts connections and never answers
(a paused Jaeger) does not slow requests down. docs/OBSERVABILITY.md, "Tracing"."""

from __future__ import annotations

import json
import re
import secrets
import statistics
import time
import uuid

import pytest
import requests

from fixtures.docker import owned
from fixtures.jaeger import JaegerQuery, start_jaeger
from fixtures.web import wait_until
from tests.api_session import JSON, log_in_new_user

pytestmark = pytest.mark.container

LOAD_REQUESTS = 200
# the blackhole's p95 may exceed tracing-off's by 25 % + 5 ms (see the test)
P95_RATIO, P95_SLACK_MS = 1.25, 5.0


def records(container) -> list[dict]:
    """Every JSON line the container wrote (stdout and stderr)."""
    out = []
    for stream in container.streams():
        for line in stream.splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                out.append(record)
    return out


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[94]


@pytest.fixture
def traced_queue(variant, web_factory, docker_stack, migrated_database, jaeger, request, artifacts_dir):
    """A queue of the test's own and a queue:work container on it with tracing to Jaeger (the
    session's other workers never take its jobs); yields (env for the web instance, worker)."""
    env = jaeger.app_env() | {"REDIS_QUEUE": f"tracing-{uuid.uuid4().hex[:8]}"}
    try:
        worker = docker_stack.worker(migrated_database | env, alias=f"worker-{uuid.uuid4().hex[:6]}")
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    with owned(request, artifacts_dir, f"{request.node.nodeid}-worker", worker):
        yield env, worker


@pytest.mark.criterion("tracing")
def test_a_request_with_a_traceparent_is_one_trace_in_jaeger_from_the_caller_to_the_queue_worker_and_in_every_log_line(
    variant, web_factory, traced_queue, jaeger
):
    env, worker = traced_queue
    web = web_factory(env=env, cpus="1", memory="512m")
    http = requests.Session()
    log_in_new_user(http, web.url)
    trace_id, caller_span, request_id = (
        secrets.token_hex(16),
        secrets.token_hex(8),
        f"trace-{uuid.uuid4().hex}",
    )

    reply = http.post(
        web.url("/api/jobs"),
        json={"numbers": [1, 2, 3.5]},
        headers=JSON | {"traceparent": f"00-{trace_id}-{caller_span}-01", "X-Request-Id": request_id},
        timeout=15,
    )

    assert reply.status_code == 202, reply.text[:300]
    answered = re.fullmatch(r"00-([0-9a-f]{32})-([0-9a-f]{16})-01", reply.headers.get("traceresponse", ""))
    assert answered, f"traceresponse: {reply.headers.get('traceresponse')!r}"
    assert answered.group(1) == trace_id, "the response is not in the caller's trace"
    server_id = answered.group(2)
    run = reply.json()["data"]["id"]
    wait_until(
        lambda: (
            http.get(web.url(f"/api/jobs/{run}"), headers=JSON, timeout=15).json()["data"]["status"]
            == "succeeded"
        ),
        60,
        f"job run {run} to succeed on the traced worker",
    )

    def complete(trace: dict) -> bool:
        kinds = [s["kind"] for s in JaegerQuery.spans(trace)]
        return {"server", "producer", "consumer"} <= set(kinds) and kinds.count("client") >= 2

    trace = jaeger.query.wait_for_trace(trace_id, timeout=60, until=complete)
    spans = JaegerQuery.spans(trace)
    by_id = {s["id"]: s for s in spans}
    servers = [s for s in spans if s["kind"] == "server"]
    assert [s["id"] for s in servers] == [server_id], spans
    server = servers[0]
    assert server["parent"] == caller_span, "the server span is not a child of the caller's span"
    assert server["name"] == "POST /api/jobs", server
    assert server["service"] == "laravel-k8s-showcase", server
    assert {
        k: server["tags"].get(k)
        for k in (
            "http.request.method",
            "http.route",
            "http.response.status_code",
            "app.runtime",
            "app.request_id",
        )
    } == {
        "http.request.method": "POST",
        "http.route": "/api/jobs",
        "http.response.status_code": 202,
        "app.runtime": variant,
        "app.request_id": request_id,
    }, server["tags"]
    children = [s for s in spans if s["parent"] == server_id]
    queries = [s for s in children if s["kind"] == "client" and s["tags"].get("db.system") == "mysql"]
    commands = [s for s in children if s["kind"] == "client" and s["tags"].get("db.system") == "redis"]
    inserts = [q for q in queries if q["tags"].get("db.operation") == "INSERT"]
    assert inserts, children
    assert all("?" in q["tags"]["db.statement"] for q in inserts), "bindings are placeholders, never inlined"
    assert commands, f"no Redis CLIENT span under the server span: {children}"
    producers = [s for s in spans if s["kind"] == "producer"]
    assert len(producers) == 1, producers
    assert producers[0]["parent"] == server_id, producers
    consumers = [s for s in spans if s["kind"] == "consumer"]
    assert len(consumers) == 1, consumers
    consumer = consumers[0]
    assert by_id[consumer["parent"]]["kind"] == "producer", "the worker's span is not a child of the dispatch"
    assert consumer["tags"].get("laravel.queue.job") == "App\\Jobs\\GenerateReport", consumer
    assert consumer["tags"].get("app.request_id") == request_id, consumer
    assert any(s["parent"] == consumer["id"] and s["kind"] == "client" for s in spans), "the job's queries"

    # the same trace id on the log lines of the request and of its job
    app_role = "fpm" if variant == "fpm" else "swoole"
    app_lines = [r for r in records(web.containers[app_role]) if r.get("request_id") == request_id]
    assert any(r.get("message") == "report queued" for r in app_lines), app_lines
    assert {r.get("trace_id") for r in app_lines} == {trace_id}, app_lines
    if variant == "fpm":
        access = [r for r in records(web.containers["nginx"]) if r.get("request_id") == request_id]
    else:
        access = [r for r in app_lines if r.get("message") == "request"]
    assert [r.get("trace_id") for r in access] == [trace_id], access
    job_lines = [r for r in records(worker) if r.get("message") in ("job processing", "job processed")]
    assert [(r["message"], r.get("request_id"), r.get("trace_id")) for r in job_lines] == [
        ("job processing", request_id, trace_id),
        ("job processed", request_id, trace_id),
    ], job_lines
    assert all(r.get("span_id") == consumer["id"] for r in job_lines), job_lines


@pytest.mark.criterion("tracing")
def test_a_collector_that_never_answers_does_not_slow_requests_down(
    variant, web_factory, docker_stack, jaeger_image, request, artifacts_dir, record_metric
):
    # the blackhole: a Jaeger of the test's own, paused: the kernel still accepts its TCP
    # connections, nothing ever answers (the worst dead collector: every export waits its timeout)
    dead = start_jaeger(docker_stack, jaeger_image, alias=f"jaeger-dead-{uuid.uuid4().hex[:6]}")
    with owned(request, artifacts_dir, f"{request.node.nodeid}-dead-jaeger", dead.container):
        dead.container.tc.get_wrapped_container().pause()
        try:
            traced = web_factory(env=dead.app_env(), cpus="1", memory="512m")
            off = web_factory(cpus="1", memory="512m")
            timings: dict[str, list[float]] = {"blackhole": [], "off": []}
            statuses: dict[str, list[int]] = {"blackhole": [], "off": []}
            http = requests.Session()
            for _warmup in range(10):
                for web in (traced, off):
                    http.get(web.url("/api/ping"), headers=JSON, timeout=15)
            started = time.monotonic()
            # interleaved, sequential: whatever else loads the machine loads both sides alike
            for _ in range(LOAD_REQUESTS):
                for name, web in (("blackhole", traced), ("off", off)):
                    t0 = time.perf_counter()
                    reply = http.get(web.url("/api/ping"), headers=JSON, timeout=15)
                    timings[name].append((time.perf_counter() - t0) * 1000)
                    statuses[name].append(reply.status_code)
                assert time.monotonic() - started < 60, "the bounded load ran over 60 s"
            metrics = http.get(traced.url("/metrics"), timeout=15).text
            last = http.get(traced.url("/api/ping"), headers=JSON, timeout=15)
        finally:
            dead.container.tc.get_wrapped_container().unpause()

    blackhole_p95, off_p95 = p95(timings["blackhole"]), p95(timings["off"])
    record_metric(
        "tracing",
        "p95 of /api/ping, tracing to a collector that never answers",
        round(blackhole_p95, 2),
        "ms",
    )
    record_metric("tracing", "p95 of /api/ping, tracing off", round(off_p95, 2), "ms")
    assert [s for s in statuses["blackhole"] + statuses["off"] if s >= 500] == []
    # tracing really was on and its exports failed: the drops are counted, the header is there
    assert re.match(r"00-[0-9a-f]{32}-[0-9a-f]{16}-01$", last.headers.get("traceresponse", "")), last.headers
    failed = re.search(r'^app_trace_spans_dropped_total\{reason="export_error"\} (\S+)$', metrics, re.M)
    assert failed, metrics[-2000:]
    assert float(failed.group(1)) >= 1, metrics[-2000:]
    # The margin: a request that waited for its export would take the 200 ms idle timeout more;
    # 25 % + 5 ms is far below that (one request in twenty waiting already moves the p95 by it)
    # and above what the shared 2-CPU machine varies between two identical interleaved runs.
    assert blackhole_p95 <= off_p95 * P95_RATIO + P95_SLACK_MS, (
        f"p95 {blackhole_p95:.1f} ms with a dead collector vs {off_p95:.1f} ms with tracing off"
    )
