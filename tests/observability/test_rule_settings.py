"""Rule settings are parameters with the seeds' values as defaults, and bad values are refused clearly."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from infra.monitoring_data.rule_settings import AlertThresholds, RuleSettings, SloObjectives
from infra.monitoring_data.rules import render_rule_groups
from infra.monitoring_data.slo_rules import recording_windows


def _alert(settings: RuleSettings, name: str, severity: str | None = None) -> dict:
    for group in render_rule_groups(settings):
        for rule in group["rules"]:
            if rule.get("alert") == name and severity in (None, rule["labels"]["severity"]):
                return rule
    raise LookupError(name)


def test_defaults_are_the_seeds_values() -> None:
    settings = RuleSettings()
    assert _alert(settings, "MemoryApiDown")["for"] == "1m"
    assert _alert(settings, "MemoryApiHighLatency")["expr"].endswith("> 1")
    assert _alert(settings, "EmbeddingGenerationSlow")["for"] == "3m"
    assert "> (14.4 * 0.001)" in _alert(settings, "MemoryApiAvailabilityBudgetBurn", "critical")["expr"]
    assert "> (6 * 0.05)" in _alert(settings, "MemoryApiLatencyBudgetBurn", "critical")["expr"]
    assert "> (1 * 0.01)" in _alert(settings, "MemoryOperationsBudgetBurn", "warning")["expr"]
    assert recording_windows(settings) == ["5m", "30m", "1h", "2h", "6h", "1d", "3d"]


def test_thresholds_and_objectives_change_the_rendered_rules() -> None:
    settings = RuleSettings(
        thresholds=AlertThresholds(latency_p95_seconds=0.5, latency_for="10m"),
        objectives=SloObjectives(availability_percent=99.5),
    )
    latency = _alert(settings, "MemoryApiHighLatency")
    assert latency["expr"].endswith("> 0.5")
    assert latency["for"] == "10m"
    assert "> (14.4 * 0.005)" in _alert(settings, "MemoryApiAvailabilityBudgetBurn", "critical")["expr"]


def test_a_bad_duration_is_refused_naming_the_field() -> None:
    with pytest.raises(ValidationError, match="latency_for"):
        AlertThresholds(latency_for="five minutes")


def test_an_objective_of_100_percent_is_refused() -> None:
    with pytest.raises(ValidationError, match="availability_percent"):
        SloObjectives(availability_percent=100)


def test_unknown_settings_are_refused() -> None:
    with pytest.raises(ValidationError, match="latency_p99_seconds"):
        AlertThresholds(latency_p99_seconds=3)
