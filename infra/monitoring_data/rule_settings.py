"""Typed inputs of the memory API's Prometheus rules, and the PromQL helpers the rule renderers share.

Defaults are the seeds' values (see `rules.py`); every threshold, window, objective and label is a parameter.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, field_validator

from infra.monitoring_data.model import Frozen

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


class ScrapeTarget(Frozen):
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


class AlertThresholds(Frozen):
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


class SloObjectives(Frozen):
    """Seed 001's service level objectives for the memory API."""

    availability_percent: float = Field(99.9, gt=0, lt=100, description="Share of requests without a 5xx.")
    latency_threshold_seconds: float = Field(
        2.0, gt=0, description="Latency bound; must be a bucket boundary of http_request_duration_seconds."
    )
    latency_percent: float = Field(95.0, gt=0, lt=100, description="Share of requests within the bound.")
    memory_operations_percent: float = Field(99.0, gt=0, lt=100, description="Share of successful ops.")
    period_days: int = Field(30, ge=1, description="Rolling window the error budget is measured over.")


class BurnRateWindowPair(Frozen):
    """Both windows must burn faster than `burn_rate_factor` for the alert to fire."""

    long_window: PromDuration
    short_window: PromDuration
    burn_rate_factor: float = Field(gt=0, description="Multiple of the sustainable error rate.")


class BurnRatePolicy(Frozen):
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


class Slo(Frozen):
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


HIGH_MEMORY_SHARE_OF_LIMIT = Decimal("0.9")


def high_memory_threshold_gib(memory_limit_gib: Decimal) -> float:
    """`MemoryApiHighMemory`'s threshold: 90 % of the container's memory limit.

    At the limit itself the kernel OOM-kills the process, so an alert there could never fire.
    """
    return float(memory_limit_gib * HIGH_MEMORY_SHARE_OF_LIMIT)


def memory_api_rule_settings(memory_limit_gib: Decimal) -> RuleSettings:
    """The seeds' settings, with the memory alert derived from the API container's memory limit."""
    return RuleSettings(
        thresholds=AlertThresholds(resident_memory_gib=high_memory_threshold_gib(memory_limit_gib))
    )


class RuleSettings(Frozen):
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


def promql_number(value: float | Decimal) -> str:
    """Shortest PromQL literal for a number (0.001, not 0.0010000000000000009)."""
    return format(Decimal(str(value)).normalize(), "f")


def bucket_matcher(seconds: float) -> str:
    """Matches a histogram bucket however the client wrote its bound: Go writes `2`, Python `2.0`."""
    text = repr(float(seconds))
    if text.endswith(".0"):
        return f'le=~"{text[:-2]}|{text[:-2]}\\\\.0"'
    return f'le="{text}"'


def alert_rule(
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
