"""Prometheus alerting and SLO rules for the memory API, rendered as `PrometheusRule` groups.

Alerts: every alert seed 000 defined (service down, p95 latency, resident memory, database connection
failures, vector store errors, rate-limit hits, CPU throttling, slow embeddings), plus a 5xx ratio and a
connection-pool saturation alert, rewritten for the metric names and labels the memory API really exposes
(see the metrics contract in `app/`). CPU throttling uses cAdvisor's throttled-periods ratio, which does not
depend on the CPU limit the way seed 000's throttled-seconds rate did.

SLOs: seed 001's objectives (availability 99.9 %, p95 latency under 2 s, memory operations 99 %) recorded as
error ratios over the SRE-workbook windows and alerted on with multiwindow, multi-burn-rate rules in the
shape Sloth generates (`slo:sli_error:ratio_rate<window>`, `slo:period_error_budget_remaining:ratio`).
"p95 under 2 s" is the ratio SLO "95 % of requests finish within 2 s", which is the same statement.

Defaults are the seeds' values; every threshold, window and objective is a parameter. The renderer returns
plain dicts: the Observability component wraps them in a `monitoring.coreos.com/v1 PrometheusRule`, the
offline plan writes them to a file, and the tests hand them to `promtool`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from infra.monitoring_data.rule_settings import RuleSettings, alert_rule, promql_number
from infra.monitoring_data.slo_rules import (
    burn_rate_alerts,
    service_level_objectives,
    slo_budget_rules,
    slo_recording_rules,
)


def symptom_alerts(settings: RuleSettings) -> list[dict[str, Any]]:
    """Seed 000's alerts plus the 5xx ratio and pool saturation alerts."""
    t, target = settings.thresholds, settings.target
    sel, requests, container = target.selector, target.request_selector, target.container_selector
    by = "namespace, job"
    memory_bytes = int(Decimal(str(t.resident_memory_gib)) * 1024**3)
    return [
        alert_rule(
            settings,
            "MemoryApiDown",
            f"up{{{sel}}} == 0 or absent(up{{{sel}}})",
            "critical",
            "Memory API target is down",
            "Prometheus could not scrape the memory API (job {{ $labels.job }}, instance "
            "{{ $labels.instance }}) for " + t.service_down_for + "; an empty instance means no target "
            "was discovered at all.",
            for_duration=t.service_down_for,
        ),
        alert_rule(
            settings,
            "MemoryApiHighLatency",
            f"histogram_quantile(0.95, sum by (le, {by}) "
            f"(rate(http_request_duration_seconds_bucket{{{requests}}}[5m])))"
            f" > {promql_number(t.latency_p95_seconds)}",
            "warning",
            "Memory API p95 latency is high",
            "The 95th percentile request duration is {{ $value | humanize }}s, above "
            + promql_number(t.latency_p95_seconds)
            + "s, in namespace {{ $labels.namespace }}.",
            for_duration=t.latency_for,
        ),
        alert_rule(
            settings,
            "MemoryApiHighMemory",
            f"process_resident_memory_bytes{{{sel}}} > {memory_bytes}",
            "warning",
            "Memory API process uses a lot of memory",
            "Instance {{ $labels.instance }} has {{ $value | humanize1024 }}B resident, above "
            + promql_number(t.resident_memory_gib)
            + " GiB.",
            for_duration=t.resident_memory_for,
        ),
        alert_rule(
            settings,
            "DatabaseConnectionFailures",
            f"sum by ({by}) (increase(database_connection_errors_total{{{sel}}}[5m]))"
            f" > {t.database_connection_errors_per_5m}",
            "critical",
            "Memory API cannot connect to PostgreSQL",
            "{{ $value | humanize }} database connection errors in the last 5 minutes in namespace "
            "{{ $labels.namespace }}.",
            for_duration=t.database_connection_errors_for,
        ),
        alert_rule(
            settings,
            "VectorStoreErrors",
            f"sum by ({by}, operation) (increase(vector_store_operation_errors_total{{{sel}}}[5m]))"
            f" > {t.vector_store_errors_per_5m}",
            "warning",
            "Qdrant operations are failing",
            "{{ $value | humanize }} vector store {{ $labels.operation }} errors in the last 5 minutes.",
            for_duration=t.vector_store_errors_for,
        ),
        alert_rule(
            settings,
            "HighRateLimitHits",
            f"sum by ({by}) (increase(rate_limit_exceeded_total{{{sel}}}[5m])) > {t.rate_limit_hits_per_5m}",
            "warning",
            "Many requests are rejected by the rate limiter",
            "{{ $value | humanize }} requests were rejected with 429 in the last 5 minutes.",
            for_duration=t.rate_limit_hits_for,
        ),
        alert_rule(
            settings,
            "MemoryApiCpuThrottling",
            f"sum by (namespace, pod, container) "
            f"(increase(container_cpu_cfs_throttled_periods_total{{{container}}}[5m]))"
            f" / sum by (namespace, pod, container) "
            f"(increase(container_cpu_cfs_periods_total{{{container}}}[5m]))"
            f" > {promql_number(t.cpu_throttled_periods_ratio)}",
            "warning",
            "Memory API pods are CPU throttled",
            "Pod {{ $labels.pod }} was throttled in {{ $value | humanizePercentage }} of its CPU periods "
            "over the last 5 minutes.",
            for_duration=t.cpu_throttling_for,
        ),
        alert_rule(
            settings,
            "EmbeddingGenerationSlow",
            f"histogram_quantile(0.95, sum by (le, {by}, embedder) "
            f"(rate(embedding_generation_duration_seconds_bucket{{{sel}}}[5m])))"
            f" > {promql_number(t.embedding_p95_seconds)}",
            "warning",
            "Embedding generation is slow",
            "The 95th percentile embedding time of embedder {{ $labels.embedder }} is "
            "{{ $value | humanize }}s, above " + promql_number(t.embedding_p95_seconds) + "s.",
            for_duration=t.embedding_for,
        ),
        alert_rule(
            settings,
            "MemoryApiHigh5xxRatio",
            f'sum by ({by}) (rate(http_requests_total{{{requests}, status_code=~"5.."}}[5m]))'
            f" / sum by ({by}) (rate(http_requests_total{{{requests}}}[5m]))"
            f" > {promql_number(t.server_error_ratio)}",
            "critical",
            "Memory API answers many requests with 5xx",
            "{{ $value | humanizePercentage }} of requests failed with a 5xx status over the last 5 minutes "
            "(threshold " + promql_number(t.server_error_ratio * 100) + " %).",
            for_duration=t.server_error_for,
        ),
        alert_rule(
            settings,
            "DatabaseConnectionsNearLimit",
            f"database_connections_active{{{sel}}} / (database_connections_max{{{sel}}} > 0)"
            f" > {promql_number(t.database_connections_used_ratio)}",
            "warning",
            "Memory API database pool is nearly exhausted",
            "Instance {{ $labels.instance }} has {{ $value | humanizePercentage }} of its database "
            "connections checked out.",
            for_duration=t.database_connections_for,
        ),
    ]


def render_rule_groups(settings: RuleSettings | None = None) -> list[dict[str, Any]]:
    """The `spec.groups` of the memory API's PrometheusRule.

    Each SLO gets one group holding its recordings, then its budget series, then its alerts: rules in a
    group run in order, so every alert reads ratios from the same evaluation, not the previous one.
    """
    settings = settings or RuleSettings()
    service = settings.target.service
    groups: list[dict[str, Any]] = [{"name": f"{service}.alerts", "rules": symptom_alerts(settings)}]
    recordings, budgets, alerts = (
        slo_recording_rules(settings),
        slo_budget_rules(settings),
        burn_rate_alerts(settings),
    )
    for slo in service_level_objectives(settings):
        groups.append(
            {
                "name": f"{service}.slo.{slo.name}",
                "rules": [
                    rule for rule in (*recordings, *budgets, *alerts) if rule["labels"].get("slo") == slo.name
                ],
            }
        )
    return groups


def render_rules_file(settings: RuleSettings | None = None) -> dict[str, Any]:
    """A Prometheus rule file (`{"groups": [...]}`), as `promtool` and `rule_files` read it."""
    return {"groups": render_rule_groups(settings)}


def alert_names(settings: RuleSettings | None = None) -> list[str]:
    """Every distinct alert name the rules define, in order of appearance."""
    names: dict[str, None] = {}
    for group in render_rule_groups(settings):
        for rule in group["rules"]:
            if "alert" in rule:
                names[rule["alert"]] = None
    return list(names)
