"""Shared fixtures: the offline plan of each stack, run once per test session."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from offline_plan.document import PlanDocument
from offline_plan.project import load_stack
from offline_plan.runner import run_program

ROOT = Path(__file__).resolve().parent.parent


def _plan(stack: str) -> PlanDocument:
    # Applied values (`pulumi up`), which these tests assert; tests/plan plans in preview mode via the CLI.
    return run_program(load_stack(ROOT, stack), preview=False)


@pytest.fixture(scope="session")
def production_plan() -> PlanDocument:
    return _plan("production")


@pytest.fixture(scope="session")
def staging_plan() -> PlanDocument:
    return _plan("staging")


@pytest.fixture(scope="session", params=["staging", "production"])
def stack_plan(
    request: pytest.FixtureRequest, production_plan: PlanDocument, staging_plan: PlanDocument
) -> PlanDocument:
    return production_plan if request.param == "production" else staging_plan


def of_type(plan: PlanDocument, resource_type: str) -> list[dict[str, Any]]:
    return [resource for resource in plan.resources if resource["type"] == resource_type]


def by_urn(plan: PlanDocument) -> dict[str, dict[str, Any]]:
    return {resource["urn"]: resource for resource in plan.resources}
