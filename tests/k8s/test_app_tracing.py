"""One request traced end to end on the cluster: the caller's `traceparent` through the Ingress,
the app's server span under it, the DB and Redis calls and the queue dispatch under that, and the
job's run in the worker pod in the same trace (the job payload carries the context); the trace is
in Jaeger (k8s/telemetry) and its id is on the request's log lines in VictoriaLogs."""

from __future__ import annotations

import secrets
import time
import uuid

import pytest

from fixtures.jaeger import JaegerQuery
from tests.api_session import log_in_new_user

pytestmark = [pytest.mark.k8s, pytest.mark.slow]

TRACE_WAIT = 60  # s: the bound for spans (exported after each response and job) to be queryable
JSON = {"Accept": "application/json"}


@pytest.mark.criterion("tracing")
def test_a_dispatching_request_is_one_trace_from_the_caller_through_the_app_to_the_worker_pod(
    ready_app, telemetry, prometheus, record_metric
):
    trace_id, caller_span = secrets.token_hex(16), secrets.token_hex(8)
    rid = f"lks-trace-{uuid.uuid4().hex}"
    with ready_app.http() as http:
        log_in_new_user(http, ready_app.url, "K8s Trace")
        reply = http.post(
            ready_app.url("/api/jobs"),
            json={"numbers": [2, 3]},
            headers=JSON | {"X-Request-Id": rid, "traceparent": f"00-{trace_id}-{caller_span}-01"},
            timeout=15,
        )
        assert reply.status_code == 202, reply.text
    sent = time.monotonic()
    # the app answers with its own span in the caller's trace (W3C traceresponse)
    answered = reply.headers.get("traceresponse", "")
    assert answered.startswith(f"00-{trace_id}-"), dict(reply.headers)
    server_id = answered.split("-")[2]

    def complete(trace: dict) -> bool:
        kinds = {s["kind"] for s in JaegerQuery.spans(trace)}
        return {"server", "producer", "consumer"} <= kinds

    try:
        trace = telemetry.traces.wait_for_trace(trace_id, TRACE_WAIT, until=complete)
    except TimeoutError as missing:
        # which side lost its spans, and why: the app counts every span it could not export
        dropped = prometheus.query("sum by (pod, reason) (app_trace_spans_dropped_total)")
        counts = {tuple(r["metric"].values()): r["value"][1] for r in dropped}
        pytest.fail(f"{missing}; spans dropped by the app's pods (pod, reason): {counts or 'none'}")
    record_metric("tracing", "response to the whole trace in Jaeger", round(time.monotonic() - sent, 2), "s")
    spans = JaegerQuery.spans(trace)
    by_id = {s["id"]: s for s in spans}

    (server,) = [s for s in spans if s["kind"] == "server"]
    assert server["id"] == server_id, server
    assert server["parent"] == caller_span, server  # a child of the caller's span
    assert server["tags"]["http.route"] == "/api/jobs", server["tags"]
    assert server["tags"]["http.response.status_code"] == 202, server["tags"]
    assert server["tags"]["app.runtime"] == ready_app.variant, server["tags"]
    assert server["tags"]["app.request_id"] == rid, server["tags"]
    children = [s for s in spans if s["parent"] == server_id]
    systems = {s["tags"].get("db.system") for s in children if s["kind"] == "client"}
    assert {"mysql", "redis"} <= systems, children  # the job run's row, the queue push
    (producer,) = [s for s in spans if s["kind"] == "producer"]
    assert producer["parent"] == server_id, producer
    (consumer,) = [s for s in spans if s["kind"] == "consumer"]
    assert by_id[consumer["parent"]]["kind"] == "producer", consumer
    assert any(s["parent"] == consumer["id"] for s in spans), "no span under the job's run"

    # the same trace id on the request's log lines in the store, from the web pod and the worker pod
    writers = {"app", "worker"} | ({"nginx"} if ready_app.variant == "fpm" else set())

    def from_web_and_worker(rows: list[dict]) -> bool:
        return writers <= {r.get("kubernetes.container_name") for r in rows}

    rows = telemetry.logs.wait_for(f'trace_id:="{trace_id}"', from_web_and_worker, TRACE_WAIT, interval=1)
    assert {r.get("request_id") for r in rows} == {rid}, rows
    worker_pods = {p.metadata.name for p in ready_app.pods("worker")}
    assert {
        r["kubernetes.pod_name"] for r in rows if r["kubernetes.container_name"] == "worker"
    } <= worker_pods
