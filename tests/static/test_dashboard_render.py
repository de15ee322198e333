"""The dashboards drawn without Grafana (monitoring/grafana/render.py), against a made-up
Prometheus: every panel of every committed dashboard is queried with its own PromQL (variables
filled in), drawn with its title and unit, and a panel without data or with a refused query is
reported as such. The k8s tier renders them from the cluster's Prometheus."""

from __future__ import annotations

import pytest

from monitoring.grafana import render
from monitoring.grafana.panels import load, panels

pytestmark = [pytest.mark.static, pytest.mark.criterion("grafana-comparison-dashboard")]

VARIABLES = {
    "namespace": "laravel",
    "pod": ".*",
    "__rate_interval": "1m",
    "__interval": "15s",
    "__range": "15m",
}
END = 1_796_000_000.0


def fake_prometheus(asked: list[str], empty: str = "", refuse: str = ""):
    def query_range(expr: str, start: float, end: float, step: float) -> list[dict]:
        asked.append(expr)
        if refuse and refuse in expr:
            raise ValueError("bad_data: parse error")
        if empty and empty in expr:
            return []
        values = [[start + i * step, str(i % 7)] for i in range(int((end - start) / step))]
        return [{"metric": {"route": "ping", "runtime": "fpm", "pod": "web-1"}, "values": values}]

    return query_range


@pytest.mark.parametrize("path", sorted(render.DASHBOARDS.glob("*.json")), ids=lambda p: p.stem)
def test_every_panel_of_the_dashboard_is_queried_with_its_variables_filled_in_and_drawn(path, tmp_path):
    asked: list[str] = []
    out = tmp_path / f"{path.stem}.png"
    dashboard = load(path)
    results = render.render(dashboard, fake_prometheus(asked), out, VARIABLES, END - 900, END)
    drawn = [p for p in panels(dashboard) if p.get("targets")]
    assert [r.title for r in results] == [p["title"] for p in drawn]
    # one series per target from the fake Prometheus, every point of the range kept
    assert [r.series for r in results] == [len(p["targets"]) for p in drawn]
    assert all(r.points == 60 * r.series for r in results), results
    assert len(asked) == sum(len(p["targets"]) for p in drawn)
    assert not [e for e in asked if "$" in e], "a variable was left in a query"
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_panel_without_data_and_a_refused_query_are_reported_not_drawn_as_data(tmp_path):
    dashboard = load(render.DASHBOARDS / "php-fpm-dashboard.json")
    asked: list[str] = []
    results = render.render(
        dashboard,
        fake_prometheus(asked, empty="php_fpm_pool", refuse="opcache_"),
        tmp_path / "x.png",
        VARIABLES,
        END - 900,
        END,
    )
    by_title = {r.title: r for r in results}
    only_pool = [
        p["title"]
        for p in panels(dashboard)
        if "php_fpm_pool" in str(p.get("targets")) and "opcache_" not in str(p.get("targets"))
    ]
    assert only_pool, "the FPM dashboard has no pool panel"
    assert all(by_title[title].series == 0 for title in only_pool), [by_title[t] for t in only_pool]
    refused = [r for r in results if r.errors]
    assert refused, "no panel reported the refused opcache query"
    assert all("parse error" in e for r in refused for e in r.errors)


def test_legend_formats_and_units_come_from_the_dashboard_json():
    assert render.legend("{{runtime}} p95", {"runtime": "swoole"}, "A") == "swoole p95"
    assert render.legend("", {"runtime": "swoole"}, "A") == "A"
    assert render.unit_of({"fieldConfig": {"defaults": {"unit": "reqps"}}}) == "req/s"
    assert render.unit_of({}) == ""
