"""Policies see a resource's `customTimeouts` in seconds, parsed as the Go durations Pulumi records."""

from __future__ import annotations

import pytest

from offline_plan.policy_check import _options


@pytest.mark.parametrize(
    ("duration", "seconds"),
    [("500ms", 0.5), ("30m", 1800.0), ("1h30m", 5400.0), ("2.5s", 2.5), ("1m30s", 90.0), ("", 0.0)],
)
def test_custom_timeouts_reach_policies_in_seconds(duration: str, seconds: float) -> None:
    record = {"options": {"customTimeouts": {"create": duration, "update": duration, "delete": duration}}}
    timeouts = _options(record).custom_timeouts
    assert (timeouts.create_seconds, timeouts.update_seconds, timeouts.delete_seconds) == pytest.approx(
        (seconds, seconds, seconds)
    )
