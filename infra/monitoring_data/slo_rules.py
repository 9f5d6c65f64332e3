"""The memory API's SLOs (seed 001) as Prometheus rules: error ratios over the SRE-workbook windows, the
remaining error budget, and multiwindow, multi-burn-rate alerts in the shape Sloth generates.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from infra.monitoring_data.rule_settings import (
    RuleSettings,
    Slo,
    alert_rule,
    bucket_matcher,
    duration_seconds,
    promql_number,
)


def service_level_objectives(settings: RuleSettings) -> tuple[Slo, ...]:
    """The three SLOs of seed 001, expressed over the memory API's metrics."""
    target, objectives = settings.target, settings.objectives
    requests = target.request_selector
    return (
        Slo(
            name="availability",
            alert_name="MemoryApiAvailabilityBudgetBurn",
            title=f"{promql_number(objectives.availability_percent)} % of API requests succeed (no 5xx).",
            objective_percent=objectives.availability_percent,
            error_query=(
                f'(sum(rate(http_requests_total{{{requests}, status_code=~"5.."}}[{{window}}])) or vector(0))'
            ),
            total_query=f"sum(rate(http_requests_total{{{requests}}}[{{window}}]))",
        ),
        Slo(
            name="latency",
            alert_name="MemoryApiLatencyBudgetBurn",
            title=(
                f"{promql_number(objectives.latency_percent)} % of API requests finish within "
                f"{promql_number(objectives.latency_threshold_seconds)} s."
            ),
            objective_percent=objectives.latency_percent,
            error_query=(
                f"(sum(rate(http_request_duration_seconds_count{{{requests}}}[{{window}}]))"
                f" - sum(rate(http_request_duration_seconds_bucket{{{requests}, "
                f"{bucket_matcher(objectives.latency_threshold_seconds)}}}[{{window}}])))"
            ),
            total_query=f"sum(rate(http_request_duration_seconds_count{{{requests}}}[{{window}}]))",
        ),
        Slo(
            name="memory-operations",
            alert_name="MemoryOperationsBudgetBurn",
            title=f"{promql_number(objectives.memory_operations_percent)} % of memory operations succeed.",
            objective_percent=objectives.memory_operations_percent,
            error_query=(
                f'(sum(rate(memory_operations_total{{{target.selector}, status="error"}}[{{window}}]))'
                " or vector(0))"
            ),
            total_query=f"sum(rate(memory_operations_total{{{target.selector}}}[{{window}}]))",
        ),
    )


def recording_windows(settings: RuleSettings) -> list[str]:
    """Every window a burn-rate alert reads, plus 5m for the current burn rate, shortest first."""
    windows = {"5m"}
    for policy in settings.burn_rate_policies:
        for pair in policy.window_pairs:
            windows.update((pair.long_window, pair.short_window))
    return sorted(windows, key=duration_seconds)


def _slo_labels(settings: RuleSettings, slo: Slo) -> dict[str, str]:
    """A fresh dict per call, so YAML output carries no anchors."""
    return {"slo": slo.name, "service": settings.target.service}


def _slo_selector(settings: RuleSettings, slo: Slo) -> str:
    return ", ".join(f'{key}="{value}"' for key, value in _slo_labels(settings, slo).items())


def slo_recording_rules(settings: RuleSettings) -> list[dict[str, Any]]:
    """SLI error ratios per window: `slo:sli_error:ratio_rate<window>{slo, service}`."""
    rules = []
    for slo in service_level_objectives(settings):
        for window in recording_windows(settings):
            rules.append(
                {
                    "record": f"slo:sli_error:ratio_rate{window}",
                    "expr": f"({slo.error_query.replace('{window}', window)})"
                    f" / ({slo.total_query.replace('{window}', window)})",
                    "labels": _slo_labels(settings, slo),
                }
            )
    return rules


def slo_budget_rules(settings: RuleSettings) -> list[dict[str, Any]]:
    """Objective, budget, burn rates and the error budget remaining over the SLO period."""
    period = f"{settings.objectives.period_days}d"
    rules: list[dict[str, Any]] = []
    for slo in service_level_objectives(settings):
        selector = _slo_selector(settings, slo)
        budget = promql_number(slo.error_budget_ratio)
        objective = promql_number(Decimal(str(slo.objective_percent)) / 100)
        rules += [
            {
                "record": "slo:objective:ratio",
                "expr": f"vector({objective})",
                "labels": _slo_labels(settings, slo),
            },
            {
                "record": "slo:error_budget:ratio",
                "expr": f"vector({budget})",
                "labels": _slo_labels(settings, slo),
            },
            {
                "record": "slo:time_period:days",
                "expr": f"vector({settings.objectives.period_days})",
                "labels": _slo_labels(settings, slo),
            },
            {
                "record": "slo:current_burn_rate:ratio",
                "expr": f"slo:sli_error:ratio_rate5m{{{selector}}} / {budget}",
                "labels": _slo_labels(settings, slo),
            },
            {
                # The mean of 5m ratios over the period, as Sloth computes it: cheap, and exact
                # when traffic is steady.
                "record": f"slo:sli_error:ratio_rate{period}",
                "expr": f"sum_over_time(slo:sli_error:ratio_rate5m{{{selector}}}[{period}])"
                f" / count_over_time(slo:sli_error:ratio_rate5m{{{selector}}}[{period}])",
                "labels": _slo_labels(settings, slo),
            },
            {
                "record": "slo:period_burn_rate:ratio",
                "expr": f"slo:sli_error:ratio_rate{period}{{{selector}}} / {budget}",
                "labels": _slo_labels(settings, slo),
            },
            {
                "record": "slo:period_error_budget_remaining:ratio",
                "expr": f"1 - slo:period_burn_rate:ratio{{{selector}}}",
                "labels": _slo_labels(settings, slo),
            },
        ]
    return rules


def burn_rate_alerts(settings: RuleSettings) -> list[dict[str, Any]]:
    """Multiwindow, multi-burn-rate alerts (SRE workbook, chapter 5), one per SLO and policy."""
    alerts = []
    period_days = settings.objectives.period_days
    for slo in service_level_objectives(settings):
        selector = _slo_selector(settings, slo)
        budget = promql_number(slo.error_budget_ratio)
        for policy in settings.burn_rate_policies:
            conditions = []
            for pair in policy.window_pairs:
                limit = f"({promql_number(pair.burn_rate_factor)} * {budget})"
                conditions.append(
                    f"(slo:sli_error:ratio_rate{pair.long_window}{{{selector}}} > {limit}"
                    f" and slo:sli_error:ratio_rate{pair.short_window}{{{selector}}} > {limit})"
                )
            pairs_text = ", ".join(
                f"{promql_number(p.burn_rate_factor)}x over {p.long_window} and {p.short_window}"
                for p in policy.window_pairs
            )
            alerts.append(
                alert_rule(
                    settings,
                    slo.alert_name,
                    " or ".join(conditions),
                    policy.severity,
                    f"Memory API {slo.name} SLO is burning its error budget too fast ({policy.kind})",
                    f"SLO: {slo.title} The error ratio is {{{{ $value | humanizePercentage }}}}, burning the "
                    f"{period_days}-day error budget of {promql_number(slo.error_budget_ratio * 100)} % "
                    "faster than "
                    f"allowed ({pairs_text}).",
                    extra_labels={"slo": slo.name, "burn_rate_alert": policy.kind},
                )
            )
    return alerts
