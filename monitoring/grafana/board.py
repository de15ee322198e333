"""What every dashboard is built from: a Board that lays panels out on Grafana's 24-column grid,
query helpers over the dashboards' one series selector, the template variables and the dashboard
envelope.

Conventions: stable uids; a `datasource` variable used by every panel and query variable; the
series selectors of a dashboard live in its template variables (`namespace`, and `pod`, which
lists the pods of one runtime from app_info{runtime}), so every panel query reads
`{namespace="$namespace", pod=~"$pod"}` (SEL).
"""

from __future__ import annotations

DS = {"type": "prometheus", "uid": "${datasource}"}
SEL = 'namespace="$namespace", pod=~"$pod"'
NS = 'namespace="$namespace"'
CADVISOR = f'job="kubelet-cadvisor", {SEL}, container!="", container!="POD"'
RATE = "[$__rate_interval]"

Query = tuple[str, str]  # (PromQL, legend)


def gauge(metric: str, legend: str, sel: str = SEL) -> Query:
    """The series of `metric` under the dashboard's selector."""
    return f"{metric}{{{sel}}}", legend


def rate_of(metric: str, sel: str = SEL, fn: str = "rate") -> str:
    """Per-second rate (or `fn`: increase) of a counter over Grafana's rate interval."""
    return f"{fn}({metric}{{{sel}}}{RATE})"


def rate(metric: str, legend: str, sel: str = SEL, fn: str = "rate") -> Query:
    return rate_of(metric, sel, fn), legend


def pod_gauges(metric: str, *parts: str, legend: str = "{{pod}}") -> list[Query]:
    """One gauge per part: `metric` with `{}` replaced by the part, legend "<legend> <part>"."""
    return [gauge(metric.format(part), f"{legend} {part}") for part in parts]


def target(expr: str, legend: str, ref: str) -> dict:
    return {"datasource": DS, "expr": expr, "legendFormat": legend, "refId": ref, "range": True}


TIMESERIES_OPTIONS = {
    "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
    "tooltip": {"mode": "multi", "sort": "desc"},
}
STAT_OPTIONS = {
    "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
    "colorMode": "value",
    "graphMode": "area",
    "textMode": "auto",
}


class Board:
    """Panels in the order they are added, left to right in rows of 24 columns, 8 high."""

    def __init__(self) -> None:
        self.panels: list[dict] = []
        self.x = 0
        self.y = 0

    def row(self, title: str) -> None:
        if self.x:
            self.x, self.y = 0, self.y + 8
        self.panels.append(
            {
                "id": len(self.panels) + 1,
                "type": "row",
                "title": title,
                "collapsed": False,
                "gridPos": {"h": 1, "w": 24, "x": 0, "y": self.y},
                "panels": [],
            }
        )
        self.y += 1

    def panel(
        self,
        title: str,
        description: str,
        queries: list[Query],
        unit: str = "short",
        kind: str = "timeseries",
        width: int = 8,
        minimum: float | None = None,
    ) -> None:
        if self.x + width > 24:
            self.x, self.y = 0, self.y + 8
        defaults: dict = {"unit": unit}
        if minimum is not None:
            defaults["min"] = minimum
        self.panels.append(
            {
                "id": len(self.panels) + 1,
                "type": kind,
                "title": title,
                "description": description,
                "datasource": DS,
                "gridPos": {"h": 8, "w": width, "x": self.x, "y": self.y},
                "targets": [
                    target(expr, legend, chr(ord("A") + i)) for i, (expr, legend) in enumerate(queries)
                ],
                "fieldConfig": {"defaults": defaults, "overrides": []},
                "options": TIMESERIES_OPTIONS if kind == "timeseries" else STAT_OPTIONS,
            }
        )
        self.x += width

    def ratio(self, title: str, description: str, queries: list[Query], unit: str = "percentunit") -> None:
        """A panel of a share (0 and up)."""
        self.panel(title, description, queries, unit=unit, minimum=0)


def datasource_var() -> dict:
    return {
        "name": "datasource",
        "label": "Data source",
        "type": "datasource",
        "query": "prometheus",
        "current": {},
        "hide": 0,
        "refresh": 1,
        "regex": "",
        "options": [],
    }


def query_var(name: str, label: str, query: str, multi: bool) -> dict:
    # no allValue: "All" becomes the regex of the listed values, i.e. the pods of one runtime
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": DS,
        "definition": query,
        "query": {"query": query, "refId": f"{name}-variable"},
        "refresh": 2,
        "sort": 1,
        "hide": 0,
        "multi": multi,
        "includeAll": multi,
        "current": {},
        "options": [],
        "regex": "",
    }


def namespace_var() -> dict:
    return query_var("namespace", "Namespace", "label_values(app_info, namespace)", multi=False)


def pod_var(runtime: str) -> dict:
    return query_var("pod", "Pod", f'label_values(app_info{{{NS}, runtime="{runtime}"}}, pod)', multi=True)


def dashboard(
    uid: str, title: str, description: str, tags: list[str], variables: list[dict], board: Board
) -> dict:
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["laravel-k8s-showcase", *tags],
        "timezone": "browser",
        "editable": True,
        "graphTooltip": 1,
        "refresh": "30s",
        "schemaVersion": 39,
        "version": 1,
        "time": {"from": "now-1h", "to": "now"},
        "annotations": {"list": []},
        "links": [],
        "templating": {"list": [datasource_var(), *variables]},
        "panels": board.panels,
    }
