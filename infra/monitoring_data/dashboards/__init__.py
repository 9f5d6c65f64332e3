"""Grafana dashboards as data: the memory API, Qdrant, and the SLO / error-budget view.

Built in Python so panels share one layout helper and read the same selectors and SLO names as the rules.
The Observability component ships each dashboard as a ConfigMap the Grafana sidecar loads; the offline
plan writes them as JSON. Queries use Grafana's `$__rate_interval`; everything else is plain PromQL.
"""

from __future__ import annotations

from typing import Any

from infra.monitoring_data.rule_settings import RuleSettings
from infra.monitoring_data.slo_rules import service_level_objectives

DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
_WIDTH = 24
_PANEL_WIDTH = 12
_PANEL_HEIGHT = 8


def _target(expr: str, legend: str, ref_id: str) -> dict[str, Any]:
    return {"datasource": DATASOURCE, "expr": expr, "legendFormat": legend, "refId": ref_id}


def _panels(specs: list[tuple[str, str, list[tuple[str, str]]]]) -> list[dict[str, Any]]:
    """Time-series panels two per row, from (title, unit, [(expr, legend)])."""
    panels = []
    for index, (title, unit, queries) in enumerate(specs):
        panels.append(
            {
                "id": index + 1,
                "type": "timeseries",
                "title": title,
                "datasource": DATASOURCE,
                "gridPos": {
                    "x": (index % 2) * _PANEL_WIDTH,
                    "y": (index // 2) * _PANEL_HEIGHT,
                    "w": _PANEL_WIDTH,
                    "h": _PANEL_HEIGHT,
                },
                "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
                "targets": [
                    _target(expr, legend, chr(ord("A") + i)) for i, (expr, legend) in enumerate(queries)
                ],
            }
        )
    return panels


def _dashboard(uid: str, title: str, tags: list[str], panels: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "uid": uid,
        "title": title,
        "tags": ["memory-platform", *tags],
        "timezone": "utc",
        "schemaVersion": 39,
        "editable": False,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {
            "list": [
                {"name": "datasource", "type": "datasource", "query": "prometheus", "label": "Data source"}
            ]
        },
        "panels": panels,
    }


def memory_api_dashboard(settings: RuleSettings) -> dict[str, Any]:
    sel, req = settings.target.selector, settings.target.request_selector
    window = "$__rate_interval"
    hit = f"sum by (cache) (rate(cache_hits_total{{{sel}}}[{window}]))"
    miss = f"sum by (cache) (rate(cache_misses_total{{{sel}}}[{window}]))"
    return _dashboard(
        "memory-api",
        "Memory API",
        ["memory-api"],
        _panels(
            [
                (
                    "Request rate by route",
                    "reqps",
                    [
                        (
                            f"sum by (method, endpoint) (rate(http_requests_total{{{req}}}[{window}]))",
                            "{{method}} {{endpoint}}",
                        )
                    ],
                ),
                (
                    "Error ratio (5xx) by route",
                    "percentunit",
                    [
                        (
                            f"sum by (endpoint) "
                            f'(rate(http_requests_total{{{req}, status_code=~"5.."}}[{window}]))'
                            f" / sum by (endpoint) (rate(http_requests_total{{{req}}}[{window}]))",
                            "{{endpoint}}",
                        )
                    ],
                ),
                (
                    "Request duration p50 / p95 / p99 by route",
                    "s",
                    [
                        (
                            f"histogram_quantile({q}, sum by (le, endpoint) "
                            f"(rate(http_request_duration_seconds_bucket{{{req}}}[{window}])))",
                            f"p{int(q * 100)} {{{{endpoint}}}}",
                        )
                        for q in (0.5, 0.95, 0.99)
                    ],
                ),
                ("Cache hit ratio", "percentunit", [(f"{hit} / ({hit} + {miss})", "{{cache}}")]),
                (
                    "Rate-limit rejections",
                    "reqps",
                    [(f"sum by (window) (rate(rate_limit_exceeded_total{{{sel}}}[{window}]))", "{{window}}")],
                ),
                (
                    "Embedding generation p95",
                    "s",
                    [
                        (
                            f"histogram_quantile(0.95, sum by (le, embedder) "
                            f"(rate(embedding_generation_duration_seconds_bucket{{{sel}}}[{window}])))",
                            "{{embedder}}",
                        )
                    ],
                ),
                (
                    "Memory operations by outcome",
                    "ops",
                    [
                        (
                            f"sum by (operation, status) (rate(memory_operations_total{{{sel}}}[{window}]))",
                            "{{operation}} {{status}}",
                        )
                    ],
                ),
                (
                    "Database pool in use",
                    "percentunit",
                    [
                        (
                            f"database_connections_active{{{sel}}} / database_connections_max{{{sel}}}",
                            "{{instance}}",
                        )
                    ],
                ),
                (
                    "Vector store errors",
                    "ops",
                    [
                        (
                            f"sum by (operation) "
                            f"(rate(vector_store_operation_errors_total{{{sel}}}[{window}]))",
                            "{{operation}}",
                        )
                    ],
                ),
                ("Resident memory", "bytes", [(f"process_resident_memory_bytes{{{sel}}}", "{{instance}}")]),
            ]
        ),
    )


def qdrant_dashboard(qdrant_job: str = "qdrant") -> dict[str, Any]:
    sel = f'job="{qdrant_job}"'
    window = "$__rate_interval"
    return _dashboard(
        "qdrant",
        "Qdrant",
        ["qdrant"],
        _panels(
            [
                ("Targets up", "short", [(f"up{{{sel}}}", "{{instance}}")]),
                (
                    "REST responses",
                    "reqps",
                    [
                        (
                            f"sum by (instance) (rate(rest_responses_total{{{sel}}}[{window}]))",
                            "total {{instance}}",
                        ),
                        (
                            f"sum by (instance) (rate(rest_responses_fail_total{{{sel}}}[{window}]))",
                            "failed {{instance}}",
                        ),
                    ],
                ),
                (
                    "REST response time (avg / max)",
                    "s",
                    [
                        (
                            f"max by (instance) (rest_responses_avg_duration_seconds{{{sel}}})",
                            "avg {{instance}}",
                        ),
                        (
                            f"max by (instance) (rest_responses_max_duration_seconds{{{sel}}})",
                            "max {{instance}}",
                        ),
                    ],
                ),
                (
                    "gRPC responses",
                    "reqps",
                    [
                        (
                            f"sum by (instance) (rate(grpc_responses_total{{{sel}}}[{window}]))",
                            "total {{instance}}",
                        ),
                        (
                            f"sum by (instance) (rate(grpc_responses_fail_total{{{sel}}}[{window}]))",
                            "failed {{instance}}",
                        ),
                    ],
                ),
                (
                    "Collections and vectors",
                    "short",
                    [
                        (f"max(collections_total{{{sel}}})", "collections"),
                        (f"max(collections_vector_total{{{sel}}})", "vectors"),
                    ],
                ),
                (
                    "Cluster peers and pending operations",
                    "short",
                    [
                        (f"max(cluster_peers_total{{{sel}}})", "peers"),
                        (
                            f"max by (instance) (cluster_pending_operations_total{{{sel}}})",
                            "pending {{instance}}",
                        ),
                    ],
                ),
            ]
        ),
    )


def slo_dashboard(settings: RuleSettings) -> dict[str, Any]:
    service = settings.target.service
    specs: list[tuple[str, str, list[tuple[str, str]]]] = []
    for slo in service_level_objectives(settings):
        labels = f'slo="{slo.name}", service="{service}"'
        specs += [
            (
                f"{slo.name}: error budget remaining ({settings.objectives.period_days}d)",
                "percentunit",
                [(f"slo:period_error_budget_remaining:ratio{{{labels}}}", "remaining")],
            ),
            (
                f"{slo.name}: burn rate",
                "short",
                [
                    (f"slo:current_burn_rate:ratio{{{labels}}}", "current (5m)"),
                    (
                        f"slo:sli_error:ratio_rate1h{{{labels}}} / slo:error_budget:ratio{{{labels}}}",
                        "1h",
                    ),
                    (f"slo:period_burn_rate:ratio{{{labels}}}", "period"),
                ],
            ),
        ]
    return _dashboard("memory-api-slo", "Memory API SLOs and error budgets", ["slo"], _panels(specs))


def render_dashboards(
    settings: RuleSettings | None = None, qdrant_job: str = "qdrant"
) -> dict[str, dict[str, Any]]:
    """Dashboards by file name, ready for `json.dumps`."""
    settings = settings or RuleSettings()
    return {
        "memory-api.json": memory_api_dashboard(settings),
        "qdrant.json": qdrant_dashboard(qdrant_job),
        "memory-api-slo.json": slo_dashboard(settings),
    }
