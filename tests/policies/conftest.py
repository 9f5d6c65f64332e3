"""Fixtures of the policy tests; the helpers live in policy_testkit.py."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from policy_testkit import run_policy

from offline_plan.policy_check import Violation


@pytest.fixture
def policy_runner() -> Callable[..., list[Violation]]:
    return run_policy
