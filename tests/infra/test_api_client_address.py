"""The API tells clients apart behind the load balancer: it believes X-Forwarded-For from the ALB's subnets only.

The app takes the client address from X-Forwarded-For only when the peer is inside
`MEMORY_API_LOAD_BALANCER_CIDRS`; unset, every request through the ALB would come from the ALB's own
addresses, so all clients would share one per-address rate limit and one failed-login budget.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from memory_api.core.config import Settings

from offline_plan.document import PlanDocument
from tests.conftest import of_type


def _api_env(plan: PlanDocument) -> dict[str, Any]:
    (deployment,) = [
        d
        for d in of_type(plan, "kubernetes:apps/v1:Deployment")
        if d["inputs"]["metadata"]["name"] == "memory-api" and ":dr:DrRegion" not in d["urn"]  # the primary's
    ]
    (container,) = [
        c for c in deployment["inputs"]["spec"]["template"]["spec"]["containers"] if c["name"] == "memory-api"
    ]
    return {item["name"]: item.get("value") for item in container["env"]}


def test_the_api_believes_forwarded_addresses_only_from_the_load_balancer_subnets(
    stack_plan: PlanDocument, monkeypatch: pytest.MonkeyPatch
) -> None:
    elb_subnets = {
        ipaddress.ip_network(subnet["inputs"]["cidrBlock"])
        for subnet in of_type(stack_plan, "aws:ec2/subnet:Subnet")
        if (subnet["inputs"].get("tags") or {}).get("kubernetes.io/role/elb") == "1"
        and "-dr-" not in subnet["name"]
    }
    assert elb_subnets, "the plan has no subnets tagged for internet-facing load balancers"
    value = _api_env(stack_plan).get("MEMORY_API_LOAD_BALANCER_CIDRS")
    assert value, "the API is not told which networks its load balancer connects from"
    monkeypatch.setenv("MEMORY_API_LOAD_BALANCER_CIDRS", value)
    settings = Settings()  # reads the variable as the container does
    assert set(settings.load_balancer_cidrs) == elb_subnets
