"""Dashboards are valid Grafana JSON whose every PromQL expression parses (checked by promtool) and whose
SLO panels read series the rules really record."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from infra.monitoring_data.dashboards import render_dashboards
from infra.monitoring_data.rules import render_rule_groups
from infra.standards import to_yaml

# Grafana replaces these before the query reaches Prometheus; promtool gets a representative value.
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "1d"}


def _expressions() -> list[tuple[str, str, str]]:
    found = []
    for file_name, dashboard in render_dashboards().items():
        for panel in dashboard["panels"]:
            for target in panel["targets"]:
                found.append((file_name, panel["title"], target["expr"]))
    return found


def _grafana_to_promql(expr: str) -> str:
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    return expr


def test_every_dashboard_expression_parses_with_promtool(promtool: str, tmp_path: Path) -> None:
    expressions = _expressions()
    assert len(expressions) >= 20
    rules = [
        {"record": f"dashboard:expression_{index}:check", "expr": _grafana_to_promql(expr)}
        for index, (_, _, expr) in enumerate(expressions)
    ]
    path = tmp_path / "dashboard-expressions.rules.yml"
    path.write_text(to_yaml({"groups": [{"name": "dashboard-expressions", "rules": rules}]}))
    result = subprocess.run(
        [promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(rules)} rules found" in result.stdout


def test_a_broken_expression_is_caught(promtool: str, tmp_path: Path) -> None:
    """The check above can fail: promtool rejects a malformed query in the same wrapping."""
    path = tmp_path / "broken.rules.yml"
    path.write_text(
        to_yaml({"groups": [{"name": "g", "rules": [{"record": "x:y:z", "expr": "sum(rate(x[5m])"}]}]})
    )
    result = subprocess.run(
        [promtool, "check", "rules", str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode != 0


def test_dashboards_are_grafana_json_with_unique_ids_and_the_required_views() -> None:
    dashboards = render_dashboards()
    assert {d["uid"] for d in dashboards.values()} == {"memory-api", "qdrant", "memory-api-slo"}
    for dashboard in dashboards.values():
        json.loads(json.dumps(dashboard))
        ids = [panel["id"] for panel in dashboard["panels"]]
        assert len(ids) == len(set(ids)), dashboard["uid"]
        for panel in dashboard["panels"]:
            assert panel["gridPos"]["w"] > 0
            assert panel["targets"], panel["title"]
    api_exprs = " ".join(expr for f, _, expr in _expressions() if f == "memory-api.json")
    for metric in (
        "http_requests_total",
        "http_request_duration_seconds_bucket",
        "cache_hits_total",
        "cache_misses_total",
        "rate_limit_exceeded_total",
        "embedding_generation_duration_seconds_bucket",
    ):
        assert metric in api_exprs


def test_slo_dashboard_reads_only_series_the_rules_record() -> None:
    recorded = {
        rule["record"] for group in render_rule_groups() for rule in group["rules"] if "record" in rule
    }
    slo_exprs = [expr for f, _, expr in _expressions() if f == "memory-api-slo.json"]
    assert slo_exprs
    for expr in slo_exprs:
        series = {
            word for word in expr.replace("{", " ").replace("/", " ").split() if word.startswith("slo:")
        }
        assert series, expr
        assert series <= recorded, series - recorded
