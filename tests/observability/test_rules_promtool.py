"""The rendered rules pass `promtool check rules`, and `promtool test rules` shows every alert fires on
series that should trigger it and stays quiet on series that should not, burn-rate alerts included."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from infra.monitoring_data.rules import alert_names, render_rule_groups
from infra.standards import to_yaml

API = 'job="memory-api", namespace="memory", instance="10.0.1.5:8000"'
API_LABELS = {"job": "memory-api", "namespace": "memory"}
SEARCH = f'{API}, method="POST", endpoint="/v1/memories/search"'
POD = 'namespace="memory", pod="memory-api-7d9f-abcde", container="memory-api", job="kubelet"'


def _rendered_alert(alert: str, severity: str) -> dict[str, Any]:
    for group in render_rule_groups():
        for rule in group["rules"]:
            if rule.get("alert") == alert and rule["labels"]["severity"] == severity:
                return rule
    raise LookupError(f"no {severity} rule for {alert}")


def expect(alert: str, severity: str, labels: dict[str, str], description: str) -> dict[str, Any]:
    """One expected firing alert: the rule's own labels plus the series labels, and its annotations."""
    rule = _rendered_alert(alert, severity)
    return {
        "exp_labels": {**rule["labels"], **labels},
        "exp_annotations": {
            "summary": rule["annotations"]["summary"],
            "description": description,
            "runbook_url": rule["annotations"]["runbook_url"],
        },
    }


def group(series: dict[str, str], alert: str, eval_time: str, expected: list[dict[str, Any]], interval="1m"):
    return {
        "interval": interval,
        "input_series": [{"series": name, "values": values} for name, values in series.items()],
        "alert_rule_test": [{"eval_time": eval_time, "alertname": alert, "exp_alerts": expected}],
    }


@dataclass
class AlertCase:
    alert: str
    fires: list[dict[str, Any]]
    quiet: list[dict[str, Any]] = field(default_factory=list)


def _latency_buckets(labels: str, counts: dict[str, str]) -> dict[str, str]:
    return {f'http_request_duration_seconds_bucket{{{labels}, le="{le}"}}': v for le, v in counts.items()}


def _requests(ok_per_minute: int, errors_per_minute: int, minutes: int) -> dict[str, str]:
    ok = f'http_requests_total{{{API}, method="POST", endpoint="/v1/memories", status_code="201"}}'
    failed = f'http_requests_total{{{API}, method="POST", endpoint="/v1/memories", status_code="500"}}'
    return {ok: f"0+{ok_per_minute}x{minutes}", failed: f"0+{errors_per_minute}x{minutes}"}


def _burn_description(slo_title: str, ratio: str, budget: str, pairs: str) -> str:
    return (
        f"SLO: {slo_title} The error ratio is {ratio}, burning the 30-day error budget of {budget} faster "
        f"than allowed ({pairs})."
    )


PAGE_PAIRS = "14.4x over 1h and 5m, 6x over 6h and 30m"
TICKET_PAIRS = "3x over 1d and 2h, 1x over 3d and 6h"
SLO_LABELS = {"service": "memory-api"}
AVAILABILITY = "99.9 % of API requests succeed (no 5xx)."
ALERT = "MemoryApiAvailabilityBudgetBurn"


def _availability(ratio: str, kind: str, severity: str) -> dict[str, Any]:
    pairs = PAGE_PAIRS if kind == "page" else TICKET_PAIRS
    return expect(
        ALERT,
        severity,
        {**SLO_LABELS, "slo": "availability", "burn_rate_alert": kind},
        _burn_description(AVAILABILITY, ratio, "0.1 %", pairs),
    )


def _errors_stopped() -> dict[str, str]:
    """4.8 % errors for an hour, then none for 40 minutes."""
    series = _requests(100, 5, 100)
    failed = next(name for name in series if 'status_code="500"' in name)
    series[failed] = "0+5x60 300x40"
    return series


def _latency(ratio: str, kind: str, severity: str) -> dict[str, Any]:
    return expect(
        "MemoryApiLatencyBudgetBurn",
        severity,
        {**SLO_LABELS, "slo": "latency", "burn_rate_alert": kind},
        _burn_description(
            "95 % of API requests finish within 2 s.",
            ratio,
            "5 %",
            PAGE_PAIRS if kind == "page" else TICKET_PAIRS,
        ),
    )


def _operations(successes_per_minute: int, errors_per_minute: int, minutes: int) -> dict[str, str]:
    return {
        f'memory_operations_total{{{API}, operation="create", status="success"}}': (
            f"0+{successes_per_minute}x{minutes}"
        ),
        f'memory_operations_total{{{API}, operation="create", status="error"}}': (
            f"0+{errors_per_minute}x{minutes}"
        ),
    }


def _operations_alert(ratio: str, kind: str, severity: str) -> dict[str, Any]:
    return expect(
        "MemoryOperationsBudgetBurn",
        severity,
        {**SLO_LABELS, "slo": "memory-operations", "burn_rate_alert": kind},
        _burn_description(
            "99 % of memory operations succeed.", ratio, "1 %", PAGE_PAIRS if kind == "page" else TICKET_PAIRS
        ),
    )


CASES = [
    AlertCase(
        "MemoryApiDown",
        fires=[
            group(
                {f"up{{{API}}}": "0x10"},
                "MemoryApiDown",
                "2m",
                [
                    expect(
                        "MemoryApiDown",
                        "critical",
                        {**API_LABELS, "instance": "10.0.1.5:8000"},
                        "Prometheus could not scrape the memory API (job memory-api, instance 10.0.1.5:8000) "
                        "for 1m; an empty instance means no target was discovered at all.",
                    )
                ],
            ),
            # No target discovered at all: absent() fires.
            group(
                {'up{job="qdrant", namespace="memory", instance="10.0.2.7:6333"}': "1x10"},
                "MemoryApiDown",
                "2m",
                [
                    expect(
                        "MemoryApiDown",
                        "critical",
                        API_LABELS,
                        "Prometheus could not scrape the memory API (job memory-api, instance ) "
                        "for 1m; an empty instance means no target was discovered at all.",
                    )
                ],
            ),
        ],
        quiet=[
            group({f"up{{{API}}}": "1x10"}, "MemoryApiDown", "5m", []),
            # One failed scrape is shorter than `for: 1m`.
            group({f"up{{{API}}}": "1 0 1 1 1 1 1 1"}, "MemoryApiDown", "3m", [], interval="30s"),
        ],
    ),
    AlertCase(
        "MemoryApiHighLatency",
        fires=[
            group(
                _latency_buckets(
                    f'{API}, method="GET", endpoint="/v1/memories"',
                    {"0.5": "0x20", "1.0": "0x20", "2.0": "0+10x20", "+Inf": "0+10x20"},
                ),
                "MemoryApiHighLatency",
                "12m",
                [
                    expect(
                        "MemoryApiHighLatency",
                        "warning",
                        API_LABELS,
                        "The 95th percentile request duration is 1.95s, above 1s, in namespace memory.",
                    )
                ],
            )
        ],
        quiet=[
            group(
                {
                    **_latency_buckets(
                        f'{API}, method="GET", endpoint="/v1/memories"',
                        {"0.5": "0+10x20", "1.0": "0+10x20", "2.0": "0+10x20", "+Inf": "0+10x20"},
                    ),
                    # Slow readiness probes are not user traffic.
                    **_latency_buckets(
                        f'{API}, method="GET", endpoint="/health/ready"',
                        {"0.5": "0x20", "1.0": "0x20", "2.0": "0x20", "+Inf": "0+50x20"},
                    ),
                },
                "MemoryApiHighLatency",
                "12m",
                [],
            )
        ],
    ),
    AlertCase(
        "MemoryApiHighMemory",
        fires=[
            group(
                {f"process_resident_memory_bytes{{{API}}}": "3221225472x10"},
                "MemoryApiHighMemory",
                "6m",
                [
                    expect(
                        "MemoryApiHighMemory",
                        "warning",
                        {**API_LABELS, "instance": "10.0.1.5:8000"},
                        "Instance 10.0.1.5:8000 has 3GiB resident, above 2 GiB.",
                    )
                ],
            )
        ],
        quiet=[
            group(
                {f"process_resident_memory_bytes{{{API}}}": "1073741824x10"}, "MemoryApiHighMemory", "6m", []
            )
        ],
    ),
    AlertCase(
        "DatabaseConnectionFailures",
        fires=[
            group(
                {f"database_connection_errors_total{{{API}}}": "0+3x10"},
                "DatabaseConnectionFailures",
                "7m",
                [
                    expect(
                        "DatabaseConnectionFailures",
                        "critical",
                        API_LABELS,
                        "15 database connection errors in the last 5 minutes in namespace memory.",
                    )
                ],
            )
        ],
        quiet=[
            group(
                {f"database_connection_errors_total{{{API}}}": "0+0.5x10"},
                "DatabaseConnectionFailures",
                "7m",
                [],
            )
        ],
    ),
    AlertCase(
        "VectorStoreErrors",
        fires=[
            group(
                {f'vector_store_operation_errors_total{{{API}, operation="search"}}': "0+5x10"},
                "VectorStoreErrors",
                "8m",
                [
                    expect(
                        "VectorStoreErrors",
                        "warning",
                        {**API_LABELS, "operation": "search"},
                        "25 vector store search errors in the last 5 minutes.",
                    )
                ],
            )
        ],
        quiet=[
            group(
                {f'vector_store_operation_errors_total{{{API}, operation="search"}}': "0+1x10"},
                "VectorStoreErrors",
                "8m",
                [],
            )
        ],
    ),
    AlertCase(
        "HighRateLimitHits",
        fires=[
            group(
                {f'rate_limit_exceeded_total{{{API}, window="minute"}}': "0+20x10"},
                "HighRateLimitHits",
                "8m",
                [
                    expect(
                        "HighRateLimitHits",
                        "warning",
                        API_LABELS,
                        "100 requests were rejected with 429 in the last 5 minutes.",
                    )
                ],
            )
        ],
        quiet=[
            group(
                {f'rate_limit_exceeded_total{{{API}, window="minute"}}': "0+5x10"},
                "HighRateLimitHits",
                "8m",
                [],
            )
        ],
    ),
    AlertCase(
        "MemoryApiCpuThrottling",
        fires=[
            group(
                {
                    f"container_cpu_cfs_periods_total{{{POD}}}": "0+600x12",
                    f"container_cpu_cfs_throttled_periods_total{{{POD}}}": "0+300x12",
                },
                "MemoryApiCpuThrottling",
                "10m",
                [
                    expect(
                        "MemoryApiCpuThrottling",
                        "warning",
                        {"namespace": "memory", "pod": "memory-api-7d9f-abcde", "container": "memory-api"},
                        "Pod memory-api-7d9f-abcde was throttled in 50% of its CPU periods "
                        "over the last 5 minutes.",
                    )
                ],
            )
        ],
        quiet=[
            group(
                {
                    f"container_cpu_cfs_periods_total{{{POD}}}": "0+600x12",
                    f"container_cpu_cfs_throttled_periods_total{{{POD}}}": "0+60x12",
                },
                "MemoryApiCpuThrottling",
                "10m",
                [],
            )
        ],
    ),
    AlertCase(
        "EmbeddingGenerationSlow",
        fires=[
            group(
                {
                    f'embedding_generation_duration_seconds_bucket{{{API}, embedder="openai", le="{le}"}}': v
                    for le, v in {"1.0": "0x10", "5.0": "0x10", "10.0": "0+4x10", "+Inf": "0+4x10"}.items()
                },
                "EmbeddingGenerationSlow",
                "8m",
                [
                    expect(
                        "EmbeddingGenerationSlow",
                        "warning",
                        {**API_LABELS, "embedder": "openai"},
                        "The 95th percentile embedding time of embedder openai is 9.75s, above 5s.",
                    )
                ],
            )
        ],
        quiet=[
            group(
                {
                    f'embedding_generation_duration_seconds_bucket{{{API}, embedder="openai", le="{le}"}}': v
                    for le, v in {
                        "1.0": "0+4x10",
                        "5.0": "0+4x10",
                        "10.0": "0+4x10",
                        "+Inf": "0+4x10",
                    }.items()
                },
                "EmbeddingGenerationSlow",
                "8m",
                [],
            )
        ],
    ),
    AlertCase(
        "MemoryApiHigh5xxRatio",
        fires=[
            group(
                _requests(90, 10, 12),
                "MemoryApiHigh5xxRatio",
                "10m",
                [
                    expect(
                        "MemoryApiHigh5xxRatio",
                        "critical",
                        API_LABELS,
                        "10% of requests failed with a 5xx status over the last 5 minutes (threshold 5 %).",
                    )
                ],
            )
        ],
        quiet=[
            group(
                {
                    **_requests(98, 2, 12),
                    # A failing readiness probe is not a user-facing error.
                    f'http_requests_total{{{API}, method="GET", endpoint="/health/ready", '
                    'status_code="503"}': ("0+100x12"),
                },
                "MemoryApiHigh5xxRatio",
                "10m",
                [],
            )
        ],
    ),
    AlertCase(
        "DatabaseConnectionsNearLimit",
        fires=[
            group(
                {
                    f"database_connections_active{{{API}}}": "27x10",
                    f"database_connections_max{{{API}}}": "30x10",
                },
                "DatabaseConnectionsNearLimit",
                "6m",
                [
                    expect(
                        "DatabaseConnectionsNearLimit",
                        "warning",
                        {**API_LABELS, "instance": "10.0.1.5:8000"},
                        "Instance 10.0.1.5:8000 has 90% of its database connections checked out.",
                    )
                ],
            )
        ],
        quiet=[
            group(
                {
                    f"database_connections_active{{{API}}}": "10x10",
                    f"database_connections_max{{{API}}}": "30x10",
                },
                "DatabaseConnectionsNearLimit",
                "6m",
                [],
            ),
            # A pool that reports no size yet must not divide into +Inf.
            group(
                {
                    f"database_connections_active{{{API}}}": "1x10",
                    f"database_connections_max{{{API}}}": "0x10",
                },
                "DatabaseConnectionsNearLimit",
                "6m",
                [],
            ),
        ],
    ),
    AlertCase(
        ALERT,
        fires=[
            # 4.8 % errors: faster than 14.4x the 0.1 % budget, so it pages, and the ticket fires too.
            group(
                _requests(100, 5, 80),
                ALERT,
                "70m",
                [_availability("4.762%", "page", "critical"), _availability("4.762%", "ticket", "warning")],
            ),
            # 0.5 % errors: above 3x but below 6x the budget, a ticket only.
            group(_requests(199, 1, 150), ALERT, "140m", [_availability("0.5%", "ticket", "warning")]),
            # The errors stopped 35 minutes ago: the clean 5m and 30m windows silence the page while the
            # ticket, over 2h and 1d, keeps firing.
            group(_errors_stopped(), ALERT, "95m", [_availability("3.061%", "ticket", "warning")]),
        ],
        quiet=[
            # 0.05 % errors is within budget.
            group(_requests(1999, 1, 150), ALERT, "140m", []),
        ],
    ),
    AlertCase(
        "MemoryApiLatencyBudgetBurn",
        fires=[
            group(
                _latency_buckets(
                    f'{API}, method="POST", endpoint="/v1/memories/search"',
                    {"1.0": "0x80", "2.0": "0x80", "5.0": "0+10x80", "+Inf": "0+10x80"},
                )
                | {f"http_request_duration_seconds_count{{{SEARCH}}}": "0+10x80"},
                "MemoryApiLatencyBudgetBurn",
                "70m",
                [_latency("100%", "page", "critical"), _latency("100%", "ticket", "warning")],
            )
        ],
        quiet=[
            group(
                _latency_buckets(
                    f'{API}, method="POST", endpoint="/v1/memories/search"',
                    {"1.0": "0+10x80", "2.0": "0+10x80", "5.0": "0+10x80", "+Inf": "0+10x80"},
                )
                | {f"http_request_duration_seconds_count{{{SEARCH}}}": "0+10x80"},
                "MemoryApiLatencyBudgetBurn",
                "70m",
                [],
            )
        ],
    ),
    AlertCase(
        "MemoryOperationsBudgetBurn",
        fires=[
            group(
                _operations(successes_per_minute=80, errors_per_minute=20, minutes=80),
                "MemoryOperationsBudgetBurn",
                "70m",
                [_operations_alert("20%", "page", "critical"), _operations_alert("20%", "ticket", "warning")],
            )
        ],
        quiet=[
            group(
                _operations(successes_per_minute=199, errors_per_minute=1, minutes=150),
                "MemoryOperationsBudgetBurn",
                "140m",
                [],
            )
        ],
    ),
]


def _run(promtool: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([promtool, *args], capture_output=True, text=True, timeout=60, check=False)


def test_promtool_check_rules_accepts_the_rendered_rules(promtool: str, rules_file: Path) -> None:
    result = _run(promtool, "check", "rules", str(rules_file))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_alert_has_a_firing_and_a_quiet_case() -> None:
    assert sorted(case.alert for case in CASES) == sorted(alert_names())
    for case in CASES:
        assert case.fires, case.alert
        assert case.quiet, case.alert
        assert all(test["exp_alerts"] for g in case.fires for test in g["alert_rule_test"]), case.alert
        assert not any(test["exp_alerts"] for g in case.quiet for test in g["alert_rule_test"]), case.alert


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.alert)
def test_alert_fires_on_triggering_series_and_stays_quiet_otherwise(
    case: AlertCase, promtool: str, rules_file: Path, tmp_path: Path
) -> None:
    tests_file = tmp_path / f"{case.alert}.test.yml"
    tests_file.write_text(
        to_yaml(
            {"rule_files": [str(rules_file)], "evaluation_interval": "1m", "tests": case.fires + case.quiet}
        )
    )
    result = _run(promtool, "test", "rules", str(tests_file))
    assert result.returncode == 0, result.stdout + result.stderr


def _expr_test(series: dict[str, str], eval_time: str, expr: str, samples: list[tuple[str, float]]):
    return {
        "interval": "1m",
        "input_series": [{"series": name, "values": values} for name, values in series.items()],
        "promql_expr_test": [
            {
                "expr": expr,
                "eval_time": eval_time,
                "exp_samples": [{"labels": labels, "value": value} for labels, value in samples],
            }
        ],
    }


def test_slo_recordings_give_error_ratio_and_error_budget_remaining(
    promtool: str, rules_file: Path, tmp_path: Path
) -> None:
    availability = 'slo:period_error_budget_remaining:ratio{service="memory-api", slo="availability"}'
    latency_ratio = 'slo:sli_error:ratio_rate5m{service="memory-api", slo="latency"}'
    search = f'{API}, method="POST", endpoint="/v1/memories/search"'
    half_slow = {"1.0": "0+5x30", "+Inf": "0+10x30"}
    tests = [
        # 0.05 % errors against a 0.1 % budget leaves half of it.
        _expr_test(_requests(1999, 1, 60), "60m", availability, [(availability, 0.5)]),
        # No 5xx series exists yet: the error ratio is 0, not missing, and the whole budget remains.
        _expr_test(
            {
                f'http_requests_total{{{API}, method="GET", endpoint="/v1/memories", status_code="200"}}': (
                    "0+10x60"
                )
            },
            "60m",
            availability,
            [(availability, 1)],
        ),
        # The 2 s bucket matches whether the client wrote its bound as "2.0" (Python) or "2" (Go).
        *(
            _expr_test(
                _latency_buckets(search, {**half_slow, bound: "0+5x30"})
                | {f"http_request_duration_seconds_count{{{search}}}": "0+10x30"},
                "20m",
                latency_ratio,
                [(latency_ratio, 0.5)],
            )
            for bound in ("2.0", "2")
        ),
    ]
    tests_file = tmp_path / "slo.test.yml"
    tests_file.write_text(
        to_yaml({"rule_files": [str(rules_file)], "evaluation_interval": "1m", "tests": tests})
    )
    result = _run(promtool, "test", "rules", str(tests_file))
    assert result.returncode == 0, result.stdout + result.stderr
