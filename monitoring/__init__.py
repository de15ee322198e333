"""The monitoring of the app as code: Grafana dashboards (grafana/) and the alerts' runbook links
(runbook.py). The rules, alerts and dashboards themselves are the YAML and JSON files beside."""
