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

import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

PromDuration = Annotated[str, StringConstraints(pattern=r"^([0-9]+(ms|s|m|h|d|w|y))+$")]
Severity = Literal["critical", "warning", "info"]

DEFAULT_RUNBOOK_BASE_URL = "https://github.com/memory-platform/memory-platform/blob/main/docs/runbooks/alerts"
RUNBOOK_DIRECTORY = "docs/runbooks/alerts"

_DURATION_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


def duration_seconds(duration: str) -> float:
    """Seconds in a Prometheus duration such as `1h30m`."""
    parts = re.findall(r"([0-9]+)(ms|s|m|h|d|w|y)", duration)
    if not parts or "".join(n + u for n, u in parts) != duration:
        raise ValueError(f"{duration!r} is not a Prometheus duration; write it like 30s, 5m, 1h or 3d")
    return sum(int(number) * _DURATION_UNIT_SECONDS[unit] for number, unit in parts)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ScrapeTarget(_Frozen):
    """Where the memory API's series come from and which labels identify them."""

    job: str = Field("memory-api", description="Prometheus `job` label of the memory API's scrape target.")
    namespace: str = Field("memory", description="Kubernetes namespace the memory API runs in.")
    container: str = Field("memory-api", description="Container name, as cAdvisor labels it.")
    service: str = Field("memory-api", description="Value of the `service` label every alert carries.")
    excluded_endpoints_regex: str = Field(
        "/health/.*|/metrics",
        description="Route templates left out of request SLIs (probes and scrapes are not user traffic).",
    )

    @property
    def selector(self) -> str:
        return f'job="{self.job}", namespace="{self.namespace}"'

    @property
    def request_selector(self) -> str:
        return f'{self.selector}, endpoint!~"{self.excluded_endpoints_regex}"'

    @property
    def container_selector(self) -> str:
        return f'namespace="{self.namespace}", container="{self.container}"'


class AlertThresholds(_Frozen):
    """Thresholds and `for` durations of the symptom alerts; defaults are seed 000's."""

    service_down_for: PromDuration = Field("1m", description="How long the target must be down.")
    latency_p95_seconds: float = Field(1.0, gt=0, description="p95 request duration that warns.")
    latency_for: PromDuration = "5m"
    resident_memory_gib: float = Field(2.0, gt=0, description="Resident memory per process that warns.")
    resident_memory_for: PromDuration = "5m"
    database_connection_errors_per_5m: int = Field(5, ge=0, description="Connection errors in 5m that page.")
    database_connection_errors_for: PromDuration = "1m"
    vector_store_errors_per_5m: int = Field(10, ge=0, description="Vector store errors in 5m that warn.")
    vector_store_errors_for: PromDuration = "2m"
    rate_limit_hits_per_5m: int = Field(50, ge=0, description="Rejected requests (429) in 5m that warn.")
    rate_limit_hits_for: PromDuration = "2m"
    cpu_throttled_periods_ratio: float = Field(
        0.25, gt=0, le=1, description="Share of CFS periods throttled that warns (kube-prometheus uses 25 %)."
    )
    cpu_throttling_for: PromDuration = "5m"
    embedding_p95_seconds: float = Field(5.0, gt=0, description="p95 embedding generation time that warns.")
    embedding_for: PromDuration = "3m"
    server_error_ratio: float = Field(0.05, gt=0, le=1, description="Share of 5xx responses that pages.")
    server_error_for: PromDuration = "5m"
    database_connections_used_ratio: float = Field(
        0.8, gt=0, le=1, description="Checked-out share of the pool (size + overflow) that warns."
    )
    database_connections_for: PromDuration = "5m"


class SloObjectives(_Frozen):
    """Seed 001's service level objectives for the memory API."""

    availability_percent: float = Field(99.9, gt=0, lt=100, description="Share of requests without a 5xx.")
    latency_threshold_seconds: float = Field(
        2.0, gt=0, description="Latency bound; must be a bucket boundary of http_request_duration_seconds."
    )
    latency_percent: float = Field(95.0, gt=0, lt=100, description="Share of requests within the bound.")
    memory_operations_percent: float = Field(99.0, gt=0, lt=100, description="Share of successful ops.")
    period_days: int = Field(30, ge=1, description="Rolling window the error budget is measured over.")


class BurnRateWindowPair(_Frozen):
    """Both windows must burn faster than `burn_rate_factor` for the alert to fire."""

    long_window: PromDuration
    short_window: PromDuration
    burn_rate_factor: float = Field(gt=0, description="Multiple of the sustainable error rate.")


class BurnRatePolicy(_Frozen):
    """One alert per SLO: fires when any of its window pairs burns too fast."""

    kind: Literal["page", "ticket"]
    severity: Severity
    window_pairs: tuple[BurnRateWindowPair, ...] = Field(min_length=1)


DEFAULT_BURN_RATE_POLICIES = (
    BurnRatePolicy(
        kind="page",
        severity="critical",
        window_pairs=(
            BurnRateWindowPair(long_window="1h", short_window="5m", burn_rate_factor=14.4),
            BurnRateWindowPair(long_window="6h", short_window="30m", burn_rate_factor=6),
        ),
    ),
    BurnRatePolicy(
        kind="ticket",
        severity="warning",
        window_pairs=(
            BurnRateWindowPair(long_window="1d", short_window="2h", burn_rate_factor=3),
            BurnRateWindowPair(long_window="3d", short_window="6h", burn_rate_factor=1),
        ),
    ),
)


class Slo(_Frozen):
    """A ratio SLO: `error_query / total_query` over a window is the SLI error ratio."""

    name: str = Field(pattern=r"^[a-z][a-z0-9-]*$", description="Value of the `slo` label.")
    alert_name: str = Field(pattern=r"^[A-Z][A-Za-z0-9]*$", description="Name of its burn-rate alert.")
    title: str = Field(description="What the SLO promises, in a sentence.")
    objective_percent: float = Field(gt=0, lt=100)
    error_query: str = Field(description="PromQL for failed events per second, with a {window} placeholder.")
    total_query: str = Field(description="PromQL for all events per second, with a {window} placeholder.")

    @field_validator("error_query", "total_query")
    @classmethod
    def _has_window_placeholder(cls, query: str) -> str:
        if "{window}" not in query:
            raise ValueError("the query must contain the {window} placeholder, e.g. rate(x[{window}])")
        return query

    @property
    def error_budget_ratio(self) -> Decimal:
        return (Decimal(100) - Decimal(str(self.objective_percent))) / Decimal(100)


class RuleSettings(_Frozen):
    """Everything the rule renderer needs; the defaults are the seeds' values."""

    target: ScrapeTarget = ScrapeTarget()
    thresholds: AlertThresholds = AlertThresholds()
    objectives: SloObjectives = SloObjectives()
    burn_rate_policies: tuple[BurnRatePolicy, ...] = Field(DEFAULT_BURN_RATE_POLICIES, min_length=1)
    runbook_base_url: str = Field(
        DEFAULT_RUNBOOK_BASE_URL,
        pattern=r"^https?://\S+$",
        description="URL of docs/runbooks/alerts in the repository; `<alert>.md` is appended.",
    )

    def runbook_url(self, alert_name: str) -> str:
        return f"{self.runbook_base_url.rstrip('/')}/{alert_name}.md"


def runbook_path(alert_name: str) -> str:
    """Repository path of an alert's runbook page."""
    return f"{RUNBOOK_DIRECTORY}/{alert_name}.md"


def _number(value: float | Decimal) -> str:
    """Shortest PromQL literal for a number (0.001, not 0.0010000000000000009)."""
    return format(Decimal(str(value)).normalize(), "f")


def _bucket_matcher(seconds: float) -> str:
    """Matches a histogram bucket however the client wrote its bound: Go writes `2`, Python `2.0`."""
    text = repr(float(seconds))
    if text.endswith(".0"):
        return f'le=~"{text[:-2]}|{text[:-2]}\\\\.0"'
    return f'le="{text}"'


def service_level_objectives(settings: RuleSettings) -> tuple[Slo, ...]:
    """The three SLOs of seed 001, expressed over the memory API's metrics."""
    target, objectives = settings.target, settings.objectives
    requests = target.request_selector
    return (
        Slo(
            name="availability",
            alert_name="MemoryApiAvailabilityBudgetBurn",
            title=f"{_number(objectives.availability_percent)} % of API requests succeed (no 5xx).",
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
                f"{_number(objectives.latency_percent)} % of API requests finish within "
                f"{_number(objectives.latency_threshold_seconds)} s."
            ),
            objective_percent=objectives.latency_percent,
            error_query=(
                f"(sum(rate(http_request_duration_seconds_count{{{requests}}}[{{window}}]))"
                f" - sum(rate(http_request_duration_seconds_bucket{{{requests}, "
                f"{_bucket_matcher(objectives.latency_threshold_seconds)}}}[{{window}}])))"
            ),
            total_query=f"sum(rate(http_request_duration_seconds_count{{{requests}}}[{{window}}]))",
        ),
        Slo(
            name="memory-operations",
            alert_name="MemoryOperationsBudgetBurn",
            title=f"{_number(objectives.memory_operations_percent)} % of memory operations succeed.",
            objective_percent=objectives.memory_operations_percent,
            error_query=(
                f'(sum(rate(memory_operations_total{{{target.selector}, status="error"}}[{{window}}]))'
                " or vector(0))"
            ),
            total_query=f"sum(rate(memory_operations_total{{{target.selector}}}[{{window}}]))",
        ),
    )


def _alert(
    settings: RuleSettings,
    name: str,
    expr: str,
    severity: Severity,
    summary: str,
    description: str,
    *,
    for_duration: str | None = None,
    extra_labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    rule: dict[str, Any] = {"alert": name, "expr": expr}
    if for_duration is not None:
        rule["for"] = for_duration
    rule["labels"] = {"severity": severity, "service": settings.target.service, **(extra_labels or {})}
    rule["annotations"] = {
        "summary": summary,
        "description": description,
        "runbook_url": settings.runbook_url(name),
    }
    return rule


def symptom_alerts(settings: RuleSettings) -> list[dict[str, Any]]:
    """Seed 000's alerts plus the 5xx ratio and pool saturation alerts."""
    t, target = settings.thresholds, settings.target
    sel, requests, container = target.selector, target.request_selector, target.container_selector
    by = "namespace, job"
    memory_bytes = int(Decimal(str(t.resident_memory_gib)) * 1024**3)
    return [
        _alert(
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
        _alert(
            settings,
            "MemoryApiHighLatency",
            f"histogram_quantile(0.95, sum by (le, {by}) "
            f"(rate(http_request_duration_seconds_bucket{{{requests}}}[5m])))"
            f" > {_number(t.latency_p95_seconds)}",
            "warning",
            "Memory API p95 latency is high",
            "The 95th percentile request duration is {{ $value | humanize }}s, above "
            + _number(t.latency_p95_seconds)
            + "s, in namespace {{ $labels.namespace }}.",
            for_duration=t.latency_for,
        ),
        _alert(
            settings,
            "MemoryApiHighMemory",
            f"process_resident_memory_bytes{{{sel}}} > {memory_bytes}",
            "warning",
            "Memory API process uses a lot of memory",
            "Instance {{ $labels.instance }} has {{ $value | humanize1024 }}B resident, above "
            + _number(t.resident_memory_gib)
            + " GiB.",
            for_duration=t.resident_memory_for,
        ),
        _alert(
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
        _alert(
            settings,
            "VectorStoreErrors",
            f"sum by ({by}, operation) (increase(vector_store_operation_errors_total{{{sel}}}[5m]))"
            f" > {t.vector_store_errors_per_5m}",
            "warning",
            "Qdrant operations are failing",
            "{{ $value | humanize }} vector store {{ $labels.operation }} errors in the last 5 minutes.",
            for_duration=t.vector_store_errors_for,
        ),
        _alert(
            settings,
            "HighRateLimitHits",
            f"sum by ({by}) (increase(rate_limit_exceeded_total{{{sel}}}[5m])) > {t.rate_limit_hits_per_5m}",
            "warning",
            "Many requests are rejected by the rate limiter",
            "{{ $value | humanize }} requests were rejected with 429 in the last 5 minutes.",
            for_duration=t.rate_limit_hits_for,
        ),
        _alert(
            settings,
            "MemoryApiCpuThrottling",
            f"sum by (namespace, pod, container) "
            f"(increase(container_cpu_cfs_throttled_periods_total{{{container}}}[5m]))"
            f" / sum by (namespace, pod, container) "
            f"(increase(container_cpu_cfs_periods_total{{{container}}}[5m]))"
            f" > {_number(t.cpu_throttled_periods_ratio)}",
            "warning",
            "Memory API pods are CPU throttled",
            "Pod {{ $labels.pod }} was throttled in {{ $value | humanizePercentage }} of its CPU periods "
            "over the last 5 minutes.",
            for_duration=t.cpu_throttling_for,
        ),
        _alert(
            settings,
            "EmbeddingGenerationSlow",
            f"histogram_quantile(0.95, sum by (le, {by}, embedder) "
            f"(rate(embedding_generation_duration_seconds_bucket{{{sel}}}[5m])))"
            f" > {_number(t.embedding_p95_seconds)}",
            "warning",
            "Embedding generation is slow",
            "The 95th percentile embedding time of embedder {{ $labels.embedder }} is "
            "{{ $value | humanize }}s, above " + _number(t.embedding_p95_seconds) + "s.",
            for_duration=t.embedding_for,
        ),
        _alert(
            settings,
            "MemoryApiHigh5xxRatio",
            f'sum by ({by}) (rate(http_requests_total{{{requests}, status_code=~"5.."}}[5m]))'
            f" / sum by ({by}) (rate(http_requests_total{{{requests}}}[5m]))"
            f" > {_number(t.server_error_ratio)}",
            "critical",
            "Memory API answers many requests with 5xx",
            "{{ $value | humanizePercentage }} of requests failed with a 5xx status over the last 5 minutes "
            "(threshold " + _number(t.server_error_ratio * 100) + " %).",
            for_duration=t.server_error_for,
        ),
        _alert(
            settings,
            "DatabaseConnectionsNearLimit",
            f"database_connections_active{{{sel}}} / (database_connections_max{{{sel}}} > 0)"
            f" > {_number(t.database_connections_used_ratio)}",
            "warning",
            "Memory API database pool is nearly exhausted",
            "Instance {{ $labels.instance }} has {{ $value | humanizePercentage }} of its database "
            "connections checked out.",
            for_duration=t.database_connections_for,
        ),
    ]


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
        budget = _number(slo.error_budget_ratio)
        objective = _number(Decimal(str(slo.objective_percent)) / 100)
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
        budget = _number(slo.error_budget_ratio)
        for policy in settings.burn_rate_policies:
            conditions = []
            for pair in policy.window_pairs:
                limit = f"({_number(pair.burn_rate_factor)} * {budget})"
                conditions.append(
                    f"(slo:sli_error:ratio_rate{pair.long_window}{{{selector}}} > {limit}"
                    f" and slo:sli_error:ratio_rate{pair.short_window}{{{selector}}} > {limit})"
                )
            pairs_text = ", ".join(
                f"{_number(p.burn_rate_factor)}x over {p.long_window} and {p.short_window}"
                for p in policy.window_pairs
            )
            alerts.append(
                _alert(
                    settings,
                    slo.alert_name,
                    " or ".join(conditions),
                    policy.severity,
                    f"Memory API {slo.name} SLO is burning its error budget too fast ({policy.kind})",
                    f"SLO: {slo.title} The error ratio is {{{{ $value | humanizePercentage }}}}, burning the "
                    f"{period_days}-day error budget of {_number(slo.error_budget_ratio * 100)} % "
                    "faster than "
                    f"allowed ({pairs_text}).",
                    extra_labels={"slo": slo.name, "burn_rate_alert": policy.kind},
                )
            )
    return alerts


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
