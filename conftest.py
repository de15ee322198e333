"""Root of the acceptance suite: options, markers and tier selection.

Tiers (markers): static (files and linters, no Docker), app (PHP unit/feature tests in the
offline PHP runtime with real Redis and MariaDB), container (real images), k8s (a real kind
cluster). `slow` marks long tests. Container and k8s tests are opt-in: they run only when
`-m` selects them (`make test-container`, `make test-k8s`).
"""

from __future__ import annotations

import pytest

pytest_plugins = [
    "plugins.acceptance",
    "plugins.capabilities",
    "plugins.artifacts",
    "plugins.criteria_index",
    "fixtures.docker",
    "fixtures.redis",
    "fixtures.seaweedfs",
    "fixtures.mariadb",
    "fixtures.phpunit",
    "fixtures.fpm",
    "fixtures.cluster",
    "fixtures.k8s_app",
    "fixtures.prometheus",
    "fixtures.victorialogs",
    "fixtures.jaeger",
    "fixtures.web",
]

TIERS = ("static", "app", "container", "k8s")
OPT_IN = ("container", "k8s")


def pytest_addoption(parser: pytest.Parser) -> None:
    # --kubeconfig PATH (use an existing cluster), --keep-cluster, --kind-bin, --kind-image and
    # --cluster-name come from the pytest-kind-ng plugin; fixtures/cluster.py honours them.
    group = parser.getgroup("laravel-k8s-showcase")
    group.addoption(
        "--variant",
        choices=("fpm", "swoole", "both"),
        default="both",
        help="runtime variant(s) the app fixture is parametrized over (default: both)",
    )
    group.addoption(
        "--profile",
        choices=("online", "offline", "auto"),
        default="auto",
        help="build profile: online (registries reachable), offline (Debian/PyPI/Go proxy only), "
        "auto (offline when no registry name resolves)",
    )
    group.addoption(
        "--artifacts",
        default="artifacts",
        metavar="DIR",
        help="where logs of failed tests are exported (default: artifacts/)",
    )
    group.addoption(
        "--reports-dir",
        dest="reports_dir",
        default="reports",
        metavar="DIR",
        help="where the acceptance report is written (default: reports/)",
    )
    group.addoption(
        "--fresh-report",
        dest="fresh_report",
        action="store_true",
        default=False,
        help="write the acceptance report from this run only, instead of merging it with the "
        "earlier tiers' results already in reports/acceptance.json",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "static: reads files and runs linters; needs no Docker")
    config.addinivalue_line("markers", "app: PHP unit and feature tests against real Redis and MariaDB")
    config.addinivalue_line("markers", "container: real images and containers (opt-in with -m)")
    config.addinivalue_line("markers", "k8s: a real kind cluster (opt-in with -m)")
    config.addinivalue_line("markers", "slow: takes more than a few seconds")
    config.addinivalue_line(
        "markers",
        "demo: runs a demo of DEMO.md end to end (make verify and make test-k8s run it; "
        ".ci/run leaves it out, it repeats the rollout tests' work)",
    )


def _tier(item: pytest.Item) -> str | None:
    for name in TIERS:
        if item.get_closest_marker(name):
            return name
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    untiered = [i.nodeid for i in items if _tier(i) is None]
    if untiered:
        raise pytest.UsageError(
            "tests without a tier marker (static/app/container/k8s): " + ", ".join(untiered)
        )
    markexpr = config.option.markexpr or ""
    if not markexpr:
        # slow tiers are opt-in: without -m only static and app run
        keep, drop = [], []
        for item in items:
            (drop if _tier(item) in OPT_IN else keep).append(item)
        if drop:
            config.hook.pytest_deselected(items=drop)
            items[:] = keep
    # cheap tiers first, k8s last
    items.sort(key=lambda i: (TIERS.index(_tier(i)), bool(i.get_closest_marker("slow"))))
