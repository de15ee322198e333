"""API fuzzing: schemathesis generates requests for every operation of the app's own OpenAPI
document (GET /api/openapi.json, resources/openapi/openapi.json; PHPUnit OpenApiDocumentTest keeps
it in step with the routes) and sends them through the real front door (nginx + FPM, or Octane)
with real Redis sessions, MariaDB and the SeaweedFS object store. Valid and invalid data
(schemathesis' positive and negative modes), logged in for the protected routes, with a bounded
number of examples per operation and a bounded wall time. Every answer must hold:

- no 5xx at all;
- every 4xx is JSON of the documented error shape ({"message"}, plus `errors` on a 422);
- schemathesis' checks: documented status, content type, headers and body; valid data accepted,
  invalid data refused; a protected route refuses the same request without its session;
- no response slower than the request timeout of the serving instance.
"""

from __future__ import annotations

import io
import os
import random
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup
from schemathesis.openapi.checks import RejectedPositiveData

from tests.api_session import JSON, PASSWORD, log_in_new_user

pytestmark = pytest.mark.container

# examples per operation and generation mode (valid, invalid data); 20 operations x 2 x 25 is
# ~1,000 requests, about a minute on one CPU
EXAMPLES = 25
# wall time of the whole run, shared out: each operation and mode may use up to three times the
# rest of the budget divided by the slots still to come (Run.share), so a slow machine sends
# fewer examples everywhere instead of none for the last operations
BUDGET_S = 360
# /api/slow and /api/stress hold a worker for ?ms=N. The instance runs with small bounds, and
# the document it serves carries them (OpenApiController): every example stays short while the
# whole accepted range and its edges are still fuzzed (the 20 s default ceiling would let 50
# examples of /api/slow take ~8 minutes).
BOUNDS = {"SLOW_MAX_MS": "200", "STRESS_MAX_MS": "100", "STRESS_DEFAULT_MS": "20"}
# replay a run: LKS_FUZZ_SEED=<the seed its failure message names>
SEED = int(os.environ.get("LKS_FUZZ_SEED") or random.randrange(2**32))
METHODS = ("get", "put", "post", "patch", "delete")
# which of the caller's own rows a path parameter may name (else schemathesis' own values: 404s)
POOLS = {"task": "tasks", "jobRun": "jobs", "attachment": "attachments"}
# refusals of valid data that depend on the state, not on the request: the schema cannot say that
# an address is taken or that an Idempotency-Key was used with another body
STATE_DEPENDENT = {
    "POST /api/auth/register": ("email", "The email has already been taken."),
    "POST /api/jobs": (
        "Idempotency-Key",
        "The Idempotency-Key header was already used with another request body.",
    ),
}


def duration_s(value: str) -> float:
    """FPM's and nginx's '60s' / '1m' / '60' as seconds."""
    number, unit = re.fullmatch(r"(\d+)\s*([smh]?)", value.strip()).groups()
    return int(number) * {"": 1, "s": 1, "m": 60, "h": 3600}[unit]


def request_timeout_s(web) -> float:
    """The longest a request may take on this instance: FPM's request_terminate_timeout and
    nginx's fastcgi_read_timeout (the smaller decides), read from the running containers; under
    Octane its max_execution_time, else PHP's max_execution_time (php.ini's backstop)."""
    if web.variant == "fpm":
        # FPM's own reading of its configuration as the entrypoint renders it for this container
        # (-tt dumps it at notice level; the master's /proc environ is overwritten by its title)
        dump = (
            web.containers["fpm"]
            .exec(
                "sh",
                "-c",
                "CONFIG_CACHE_ON_START=false PHP_FPM_LOG_LEVEL=notice app-entrypoint php-fpm8.4 -tt"
                " --fpm-config /etc/php/8.4/fpm/php-fpm.conf 2>&1",
            )
            .stdout
        )
        fpm = re.search(r"request_terminate_timeout = (\w+)", dump)[1]
        conf = web.containers["nginx"].exec("cat", "/tmp/nginx/nginx.conf").stdout
        nginx = re.search(r"fastcgi_read_timeout\s+(\w+);", conf)[1]
        return min(duration_s(fpm), duration_s(nginx))
    env = web.containers["swoole"].exec("sh", "-c", 'printf %s "${OCTANE_MAX_EXECUTION_TIME:-0}"').stdout
    if int(env or 0) > 0:
        return float(env)
    ini = web.containers["swoole"].exec("php", "-r", 'echo ini_get("max_execution_time");').stdout
    return float(ini)


def error_shape_problem(document: dict, response) -> str | None:
    """Why a 4xx is not the documented error (components.schemas.Error / ValidationError), or None."""
    content_type = (response.headers.get("content-type") or [""])[0]
    if not content_type.startswith("application/json"):
        return f"Content-Type {content_type!r}, not JSON"
    try:
        body = response.json()
    except ValueError:
        return f"body is not JSON: {response.content[:120]!r}"
    shape = document["components"]["schemas"]["ValidationError" if response.status_code == 422 else "Error"]
    if not isinstance(body, dict):
        return f"body is {type(body).__name__}, not an object"
    missing = set(shape["required"]) - set(body)
    extra = set(body) - set(shape["properties"])
    if missing or extra:
        return f"keys {sorted(body)}: missing {sorted(missing)}, undocumented {sorted(extra)}"
    if not isinstance(body["message"], str) or not body["message"]:
        return f"message {body['message']!r}"
    errors = body.get("errors", {})
    if not all(isinstance(v, list) and v and all(isinstance(m, str) for m in v) for v in errors.values()):
        return f"errors {errors!r}"
    return None


class BudgetSpent(Exception):
    """The share of the budget of one operation and mode is used up: stop generating."""


@dataclass
class Run:
    """What the fuzzer sent and what came back."""

    document: dict
    timeout_s: float
    deadline: float
    slots_left: int  # (operation, mode) pairs still to fuzz
    sent: Counter = field(default_factory=Counter)  # operation -> examples sent
    statuses: Counter = field(default_factory=Counter)  # "2xx" ... -> responses
    by_operation: dict = field(default_factory=lambda: defaultdict(Counter))
    cut: list = field(default_factory=list)  # operation and mode whose share of the budget ran out
    nothing_to_negate: list = field(default_factory=list)  # operations without an invalid request
    slowest: tuple = (0.0, "")
    findings: dict = field(default_factory=dict)  # (operation, problem) -> first example

    def share(self) -> float:
        """The deadline of the next (operation, mode), from what is left of the budget."""
        now = time.monotonic()
        # up to three even shares: an operation that takes longer (logout logs in first) may use
        # what the quick ones left, and the last slots still get time
        share = max(0.0, self.deadline - now) * min(1.0, 3 / max(1, self.slots_left))
        self.slots_left -= 1
        return now + share

    def finding(self, operation: str, problem: str, example: str) -> None:
        self.findings.setdefault((operation, problem), example)

    def record(self, label: str, response) -> None:
        self.sent[label] += 1
        status = f"{response.status_code // 100}xx"
        self.statuses[status] += 1
        self.by_operation[label][status] += 1
        if response.elapsed > self.slowest[0]:
            self.slowest = (response.elapsed, f"{label} {response.status_code}")


def example(case, response) -> str:
    body = repr(dict(case.body) if hasattr(case.body, "keys") else case.body)[:300]
    return (
        f"{response.status_code} for {case.method} {case.formatted_path} query={case.query!r} "
        f"headers={ {k: v for k, v in (case.headers or {}).items() if 'TOKEN' not in k}!r} body={body} "
        f"-> {response.content[:300]!r}"
    )


def fuzz_operation(run: Run, operation, pools: dict[str, list]) -> None:
    """EXAMPLES valid and EXAMPLES invalid requests for `operation`; valid ones also on the
    caller's own rows where the path names one."""
    label = operation.label
    names = [n for n in POOLS if f"{{{n}}}" in operation.path]
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        strategy = operation.as_strategy(mode)
        if names and mode is GenerationMode.POSITIVE:
            # half on rows that exist (fixing the path leaves nothing to negate: valid mode only)
            name = names[0]
            own = st.sampled_from(pools[POOLS[name]]).flatmap(
                lambda value, name=name, mode=mode: operation.as_strategy(mode, path_parameters={name: value})
            )
            strategy = st.one_of(own, strategy)
        deadline = run.share()

        @hypothesis.seed(SEED)
        @hypothesis.settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            # no shrinking: a problem is recorded, not raised, so every example is sent
            phases=[hypothesis.Phase.generate],
            suppress_health_check=list(hypothesis.HealthCheck),
            report_multiple_bugs=False,
        )
        @hypothesis.given(case=strategy)
        def send(case) -> None:
            if time.monotonic() > deadline:  # noqa: B023 (send runs within this iteration)
                raise BudgetSpent
            response = case.call(timeout=run.timeout_s + 5)
            run.record(label, response)
            if response.elapsed >= run.timeout_s:
                run.finding(
                    label, f"slower than the request timeout {run.timeout_s:.0f} s", example(case, response)
                )
            if 400 <= response.status_code < 500 and (problem := error_shape_problem(run.document, response)):
                run.finding(
                    label,
                    f"{response.status_code} not the documented error: {problem}",
                    example(case, response),
                )
            try:
                case.validate_response(response)
            except FailureGroup as group:
                for failure in group.exceptions:
                    if state_dependent(label, failure, response):
                        continue
                    run.finding(
                        label,
                        f"{failure.title}: {(failure.message.splitlines() or [''])[0][:160]}",
                        example(case, response),
                    )

        try:
            send()
        except BudgetSpent:
            run.cut.append(f"{label} {mode.value}")
        except hypothesis.errors.Unsatisfiable:
            # no input to make invalid (GET /api/ping takes none): nothing to send in this mode
            assert mode is GenerationMode.NEGATIVE, f"{label}: no valid request could be generated"
            run.nothing_to_negate.append(label)


def state_dependent(label: str, failure, response) -> bool:
    """A valid request refused only because of what an earlier one did (STATE_DEPENDENT)."""
    if (
        label not in STATE_DEPENDENT
        or response.status_code != 422
        or not isinstance(failure, RejectedPositiveData)
    ):
        return False
    name, message = STATE_DEPENDENT[label]
    try:
        return response.json()["errors"] == {name: [message]}
    except (ValueError, KeyError):
        return False


def probe_undocumented_methods(run: Run, web) -> None:
    """Every method a path does not document: 405 JSON of the error shape, with an Allow header."""
    for path, item in run.document["paths"].items():
        concrete = re.sub(r"\{\w+\}", "1", path.replace("{jobRun}", "00000000-0000-0000-0000-000000000000"))
        for method in sorted(set(METHODS) - set(item)):
            reply = requests.request(method.upper(), web.url(concrete), headers=JSON, json={}, timeout=30)
            label = f"{method.upper()} {path}"
            run.statuses[f"{reply.status_code // 100}xx"] += 1
            run.sent["(undocumented methods)"] += 1
            if reply.status_code != 405 or not reply.headers.get("Allow"):
                run.finding(
                    label,
                    "an undocumented method is not a 405 with Allow",
                    f"{reply.status_code} {reply.text[:200]}",
                )
            wrapped = schemathesis.Response.from_any(reply)
            if problem := error_shape_problem(run.document, wrapped):
                run.finding(label, f"405 not the documented error: {problem}", reply.text[:200])


def seed_rows(http: requests.Session, web) -> dict[str, list]:
    """Rows of the fuzzing user for the path parameters: tasks, an attachment, a job run."""
    tasks = []
    for i in range(4):
        reply = http.post(web.url("/api/tasks"), json={"title": f"Fuzzed task {i}"}, headers=JSON, timeout=15)
        assert reply.status_code == 201, reply.text
        tasks.append(reply.json()["data"]["id"])
    reply = http.post(
        web.url(f"/api/tasks/{tasks[0]}/attachments"),
        files={"file": ("notes.txt", io.BytesIO(b"fuzzing notes\n" * 8), "text/plain")},
        headers=JSON | {"X-Requested-With": "XMLHttpRequest"},
        timeout=30,
    )
    assert reply.status_code == 201, reply.text
    attachments = [reply.json()["data"]["id"]]
    reply = http.post(web.url("/api/jobs"), json={"numbers": [1, 2, 3]}, headers=JSON, timeout=15)
    assert reply.status_code == 202, reply.text
    return {"tasks": tasks, "attachments": attachments, "jobs": [reply.json()["data"]["id"]]}


@pytest.fixture
def fuzzed_web(web_factory, object_store):
    """One instance of the variant with 1 CPU and 512 MiB like its pod, its object store and the
    small /api/slow and /api/stress bounds (BOUNDS)."""
    return web_factory(object_store.app_env() | BOUNDS, cpus="1", memory="512m")


@pytest.mark.criterion("api-fuzzing")
def test_fuzzing_the_openapi_document_finds_no_5xx_no_undocumented_error_and_nothing_slower_than_the_timeout(
    fuzzed_web, record_metric
):
    web = fuzzed_web
    served = requests.get(web.url("/api/openapi.json"), timeout=15)
    assert served.status_code == 200, served.text[:300]
    assert served.headers["Content-Type"].startswith("application/json")
    document = served.json()
    assert document["components"]["parameters"]["SlowMs"]["schema"]["maximum"] == int(
        BOUNDS["SLOW_MAX_MS"]
    ), "the served document does not carry the instance's /api/slow bound"
    cookie = document["components"]["securitySchemes"]["session"]["name"]
    timeout_s = request_timeout_s(web)

    owner = requests.Session()
    log_in_new_user(owner, web.url, "Fuzz Owner")
    pools = seed_rows(owner, web)
    # logout ends the session it rides on: each logout example logs this account in afresh
    spare = log_in_new_user(requests.Session(), web.url, "Fuzz Spare")

    def fresh_login() -> tuple[str, str]:
        http = requests.Session()
        reply = http.post(
            web.url("/api/auth/login"),
            json={"email": spare["email"], "password": PASSWORD},
            headers=JSON,
            timeout=15,
        )
        assert reply.status_code == 200, f"login for a logout example: {reply.status_code} {reply.text[:200]}"
        return http.cookies[cookie], reply.json()["meta"]["csrf_token"]

    schema = schemathesis.openapi.from_dict(
        document,
        config=schemathesis.Config.from_dict({"base-url": web.url(""), "request-timeout": timeout_s + 5}),
    )

    @schema.auth(refresh_interval=None)
    class SessionAuth:
        """The owner's session cookie and CSRF token on every operation that declares security."""

        def get(self, case, context):
            if not case.operation.definition.raw.get("security"):
                return None
            if case.operation.label == "POST /api/auth/logout":
                return fresh_login()
            return owner.cookies[cookie], owner.headers["X-CSRF-TOKEN"]

        def set(self, case, data, context):
            case.cookies = {**(case.cookies or {}), cookie: data[0]}
            case.headers = {**(case.headers or {}), "X-CSRF-TOKEN": data[1]}

    operations = [result.ok() for result in schema.get_all_operations()]
    # deletes last (attachments before their tasks), so the other operations meet the rows in place
    operations.sort(key=lambda op: (op.method == "delete", op.path.startswith("/api/tasks")))
    started = time.monotonic()
    run = Run(
        document=document, timeout_s=timeout_s, deadline=started + BUDGET_S, slots_left=2 * len(operations)
    )
    for operation in operations:
        fuzz_operation(run, operation, pools)
    probe_undocumented_methods(run, web)
    wall_s = time.monotonic() - started

    summary = (
        f"seed {SEED}: {len(operations)} operations, {sum(run.sent.values())} requests in {wall_s:.0f} s "
        f"({dict(sorted(run.statuses.items()))}), slowest {run.slowest[0]:.2f} s ({run.slowest[1]}), "
        f"request timeout {timeout_s:.0f} s, {len(run.cut)} of {2 * len(operations)} operation modes cut short by the {BUDGET_S} s budget, "
        f"no invalid request possible for {run.nothing_to_negate}"
    )
    print(summary)
    for label, counts in run.by_operation.items():
        print(f"  {label}: {dict(sorted(counts.items()))}")
    record_metric("api-crud", "fuzzing: requests sent", sum(run.sent.values()), "requests")
    record_metric("api-crud", "fuzzing: 5xx responses", run.statuses["5xx"], "responses")
    record_metric("api-crud", "fuzzing: slowest response", run.slowest[0], "s")
    record_metric("api-crud", "fuzzing: wall time", wall_s, "s")

    assert not run.findings, f"{summary}\n{len(run.findings)} findings:\n" + "\n".join(
        f"- {operation}: {problem}\n    e.g. {first}"
        for (operation, problem), first in sorted(run.findings.items())
    )
    assert run.statuses["5xx"] == 0, summary
    # an operation with little to vary (GET /api/ping) ends before EXAMPLES: hypothesis ran out of new cases
    unsent = [op.label for op in operations if not run.sent[op.label]]
    assert not unsent, f"{summary}\noperations the budget left without a request: {unsent}"
