"""Memory-leak prevention under Octane, measured: thousands of requests through ONE Swoole worker,
its resident memory sampled from /metrics (swoole_worker_rss_bytes{worker="0"}, recorded by the
worker after every request) while it serves them.

- /api/ping with recycling off: the app itself does not grow.
- the test-only leaky route (OCTANE_TEST_LEAK_ROUTE: a static array that keeps N KB per request)
  with recycling off (OCTANE_MAX_REQUESTS=0): RSS grows with every request, nothing brings it back;
- the same route with max_requests on: Swoole recycles the worker and RSS stays bounded.
The route does not exist (404) unless enabled. Every loop is bounded in requests and seconds.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

import pytest
import requests

pytestmark = [pytest.mark.container, pytest.mark.slow]

MIB = 1024 * 1024
LEAK_KB = 32  # per request: 2,000 requests keep 62.5 MiB, below the CLI's memory_limit (128M)
REQUESTS = 2000
PING_REQUESTS = 3000
MAX_SECONDS = 120  # per soak loop
SAMPLE_EVERY = 200
RECYCLE_AFTER = 200  # OCTANE_MAX_REQUESTS when recycling is on (the /metrics samples count too)
LEAK = f"/api/_test/leak?kb={LEAK_KB}"


def swoole_only(variant: str) -> None:
    if variant != "swoole":
        pytest.skip(
            "Octane/Swoole workers only: FPM starts every request in a clean process (pm.max_requests)"
        )


def worker_series(web, name: str, worker: str = "0") -> float:
    text = web.get("/metrics", headers={"Accept": "text/plain"}).text
    found = re.findall(rf'^{name}\{{worker="{worker}"\}} ([0-9.eE+-]+)$', text, flags=re.MULTILINE)
    assert len(found) == 1, f'{name}{{worker="{worker}"}}: expected one sample on /metrics, found {found}'
    return float(found[0])


@dataclass
class Soak:
    rss: list[float] = field(default_factory=list)  # bytes, one sample every SAMPLE_EVERY requests
    served: list[float] = field(default_factory=list)  # swoole_worker_requests at each sample
    seconds: float = 0.0

    @property
    def growth_mib(self) -> float:
        return (self.rss[-1] - self.rss[0]) / MIB

    @property
    def peak_over_first_mib(self) -> float:
        return (max(self.rss) - self.rss[0]) / MIB

    def describe(self) -> str:
        return (
            f"RSS MiB {[round(r / MIB, 1) for r in self.rss]}, worker requests {[int(s) for s in self.served]}, "
            f"{self.seconds:.1f}s"
        )


def soak(web, path: str, count: int) -> Soak:
    """`count` GETs of `path` on one keep-alive connection, bounded by MAX_SECONDS; an RSS sample
    before the first and after every SAMPLE_EVERY requests."""
    result = Soak()
    start = time.monotonic()
    with requests.Session() as http:
        http.get(web.url(path), timeout=15).raise_for_status()  # warm: first-request allocations
        result.rss.append(worker_series(web, "swoole_worker_rss_bytes"))
        result.served.append(worker_series(web, "swoole_worker_requests"))
        for i in range(1, count + 1):
            assert time.monotonic() - start < MAX_SECONDS, (
                f"{i} of {count} requests in {MAX_SECONDS}s: {result.describe()}"
            )
            reply = http.get(web.url(path), timeout=15)
            assert reply.status_code == 200, f"request {i}: HTTP {reply.status_code} {reply.text[:200]}"
            if i % SAMPLE_EVERY == 0:
                result.rss.append(worker_series(web, "swoole_worker_rss_bytes"))
                result.served.append(worker_series(web, "swoole_worker_requests"))
    result.seconds = time.monotonic() - start
    return result


def one_worker(web_factory, max_requests: int, leak_route: bool):
    env = {
        "OCTANE_WORKERS": "1",
        "OCTANE_TASK_WORKERS": "1",
        "OCTANE_MAX_REQUESTS": str(max_requests),
        "OCTANE_TEST_LEAK_ROUTE": "true" if leak_route else "false",
    }
    if leak_route:
        # the route never exists in production (config/octane.php), and the tier runs the
        # deployed environment (APP_ENV=production): this instance is a test one
        env["APP_ENV"] = "testing"
    return web_factory(env=env, cpus="1", memory="512m")


@pytest.mark.criterion("swoole-memory-leak-prevention", variant="swoole")
def test_thousands_of_requests_through_one_worker_do_not_grow_its_memory_and_the_leak_route_is_off_by_default(
    variant, web_factory, record_metric
):
    swoole_only(variant)
    web = one_worker(web_factory, 0, leak_route=False)
    assert web.get(LEAK).status_code == 404, "the leaky test route must not exist unless enabled"
    run = soak(web, "/api/ping", PING_REQUESTS)
    print(f"/api/ping x {PING_REQUESTS}, max_requests off: {run.describe()}")
    record_metric(
        "swoole-memory-leak-prevention",
        f"RSS growth of one worker over {PING_REQUESTS} /api/ping",
        round(run.growth_mib, 1),
        "MiB",
    )
    assert run.served[-1] > PING_REQUESTS, "the worker was recycled although max_requests was off"
    assert run.growth_mib < 8, (
        f"one worker grew {run.growth_mib:.1f} MiB over {PING_REQUESTS} requests: {run.describe()}"
    )


@pytest.mark.criterion("swoole-memory-leak-prevention", variant="swoole")
def test_a_leaking_worker_grows_without_recycling_and_stays_bounded_with_max_requests(
    variant, web_factory, record_metric
):
    swoole_only(variant)
    kept_mib = REQUESTS * LEAK_KB / 1024

    leaking = one_worker(web_factory, 0, leak_route=True)
    off = soak(leaking, LEAK, REQUESTS)
    print(f"leak x {REQUESTS}, max_requests off: {off.describe()}")
    leaking.remove()

    recycled = one_worker(web_factory, RECYCLE_AFTER, leak_route=True)
    on = soak(recycled, LEAK, REQUESTS)
    print(f"leak x {REQUESTS}, max_requests {RECYCLE_AFTER}: {on.describe()}")

    record_metric(
        "swoole-memory-leak-prevention",
        f"RSS growth, leaky route x {REQUESTS}, max_requests off",
        round(off.growth_mib, 1),
        "MiB",
    )
    record_metric(
        "swoole-memory-leak-prevention",
        f"RSS peak over start, leaky route x {REQUESTS}, max_requests {RECYCLE_AFTER}",
        round(on.peak_over_first_mib, 1),
        "MiB",
    )
    # without recycling the kept memory shows in the process (at least 60% of it: allocator slack aside)
    assert off.served[-1] > REQUESTS, f"recycled although max_requests was off: {off.describe()}"
    assert off.growth_mib > 0.6 * kept_mib, f"expected ~{kept_mib:.0f} MiB of growth: {off.describe()}"
    # with recycling: a fresh process every RECYCLE_AFTER requests (+ up to half of it: Swoole's
    # max_request_grace staggers the recycling of workers), memory never far above the start
    assert max(on.served) <= 1.5 * RECYCLE_AFTER, (
        f"worker served more than max_requests + grace: {on.describe()}"
    )
    assert min(on.served[1:]) < RECYCLE_AFTER, f"the worker was never recycled: {on.describe()}"
    bound = 1.5 * RECYCLE_AFTER * LEAK_KB / 1024 + 12
    assert on.peak_over_first_mib < bound, (
        f"RSS rose {on.peak_over_first_mib:.1f} MiB (bound {bound:.0f}): {on.describe()}"
    )
    assert on.peak_over_first_mib < off.growth_mib / 3, (
        f"recycling did not bound the leak: on {on.describe()} / off {off.describe()}"
    )
