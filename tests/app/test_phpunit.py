"""The app's PHPUnit suite, run once inside the offline PHP runtime (php-test image) against real
Redis and MariaDB containers. One test per acceptance criterion: its PHPUnit group must exist,
must have run, and every test in it must have passed."""

from __future__ import annotations

import pytest

from plugins.capabilities import SWOOLE_OFFLINE_REASON

pytestmark = pytest.mark.app

CRITERIA = [
    "api-crud",
    "auth-redis-sessions",
    "migrations",
    "queue-redis",
    "stress-endpoint",
    "uploads-object-storage",
    "laravel-health-checks",
    "custom-prometheus-metrics",
    "php-laravel-metrics",
    "structured-logs",
    "tracing",
    "config-env",
    "octane-swoole-config",
    "api-fuzzing",
]


@pytest.mark.parametrize(
    "criterion", [pytest.param(c, marks=pytest.mark.criterion(c), id=c) for c in CRITERIA]
)
def test_the_phpunit_group_of_the_criterion_ran_and_passed_against_real_redis_and_mariadb(
    phpunit_run, criterion
):
    tests = phpunit_run.group(criterion)
    assert tests, f"no PHPUnit test carries #[Group('{criterion}')]"
    not_passed = {t: o for t, o in tests.items() if o[0] != "passed"}
    assert not not_passed, (
        f"{len(not_passed)} of {len(tests)} PHPUnit tests of {criterion} did not pass:\n"
        + "\n".join(f"{t}: {o[0]} {o[1][:800]}" for t, o in not_passed.items())
    )


def test_the_whole_phpunit_suite_passes(phpunit_run):
    bad = {t: o for t, o in phpunit_run.outcomes.items() if o[0] in ("failed", "error")}
    assert not bad, "\n".join(f"{t}: {o[0]} {o[1][:800]}" for t, o in bad.items())
    assert phpunit_run.returncode == 0, phpunit_run.output[-3000:]
    assert len(phpunit_run.outcomes) >= 60, "the suite ran fewer tests than it has"


SWOOLE_GROUPS = ("swoole-metrics", "swoole-memory-leak-prevention")


@pytest.mark.parametrize(
    "group",
    [
        pytest.param(g, marks=pytest.mark.criterion(g, variant="swoole"), id=g)
        for g in (*SWOOLE_GROUPS, "octane-swoole-config")
    ],
)
def test_the_swoole_phpunit_group_passes_in_the_php_test_image_with_swoole_and_octane(
    swoole_phpunit_run, group
):
    # runs wherever laravel-k8s-showcase/php-test-swoole exists (the fixture skips with the offline reason elsewhere)
    tests = swoole_phpunit_run.group(group)
    assert tests, f"no PHPUnit test carries #[Group('{group}')]"
    not_passed = {t: o for t, o in tests.items() if o[0] != "passed"}
    assert not not_passed, "\n".join(f"{t}: {o[0]} {o[1][:800]}" for t, o in not_passed.items())
    assert swoole_phpunit_run.returncode == 0, swoole_phpunit_run.output[-3000:]


@pytest.mark.parametrize("group", SWOOLE_GROUPS)
def test_the_swoole_groups_skip_with_exactly_the_offline_reason_in_the_image_without_swoole(
    phpunit_run, group
):
    # the FPM php-test image has no ext-swoole: never a failure there, never another reason
    tests = phpunit_run.group(group)
    assert tests, f"no PHPUnit test carries #[Group('{group}')]"
    assert {o for o, _ in tests.values()} == {"skipped"}, tests
    assert {reason for _, reason in tests.values()} == {SWOOLE_OFFLINE_REASON}
