"""The production plan's Route 53 failover can pass its health checks and follows `dr.activeRegion`.

A Route 53 HTTPS health check on port 443 sends its `FullyQualifiedDomainName` as the Host header (AWS,
HealthCheckConfig), and the ALB routes by the Ingress's host rules: a check passes only if it probes a
path the API serves as ready on a name some Ingress rule of that region accepts, and that name resolves
(through the zone) to that region's load balancer.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from infra.components.memory_api import PROBE_PATHS
from offline_plan.document import PlanDocument
from offline_plan.project import load_stack
from offline_plan.runner import run_program
from tests.conftest import ROOT, of_type

HEALTH_CHECK = "aws:route53/healthCheck:HealthCheck"
RECORD = "aws:route53/record:Record"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
API_HOST = "api.memory.example.com"


def records(plan: PlanDocument) -> dict[str, dict[str, Any]]:
    """Failover records by role, plain records by name."""
    found: dict[str, dict[str, Any]] = {}
    for record in of_type(plan, RECORD):
        policies = record["inputs"].get("failoverRoutingPolicies")
        found[policies[0]["type"] if policies else record["inputs"]["name"]] = record
    return found


def checks_by_urn(plan: PlanDocument) -> dict[str, dict[str, Any]]:
    return {check["urn"]: check for check in of_type(plan, HEALTH_CHECK)}


def resolve(plan: PlanDocument, name: str) -> str:
    """Follow the zone's plain CNAMEs from `name` to a name outside the zone's records."""
    plain = {k: v for k, v in records(plan).items() if k not in ("PRIMARY", "SECONDARY")}
    while name in plain:
        [name] = plain[name]["inputs"]["records"]
    return name


@pytest.fixture(scope="module")
def dr_active_plan() -> PlanDocument:
    """Production after `pulumi config set --path memory-platform:dr.activeRegion us-west-2`."""
    settings = load_stack(ROOT, "production")
    dr = json.loads(settings.config["memory-platform:dr"])
    dr["activeRegion"] = "us-west-2"
    config = {**settings.config, "memory-platform:dr": json.dumps(dr)}
    return run_program(dataclasses.replace(settings, config=config), preview=False)


def test_production_fails_the_api_hostname_over_between_regions(production_plan: PlanDocument) -> None:
    found = records(production_plan)
    assert found["PRIMARY"]["inputs"]["name"] == found["SECONDARY"]["inputs"]["name"] == API_HOST
    assert found["PRIMARY"]["inputs"]["records"] == ["api-us-east-1.memory.example.com"]
    assert found["SECONDARY"]["inputs"]["records"] == ["api-us-west-2.memory.example.com"]
    assert resolve(production_plan, "api-us-west-2.memory.example.com").endswith(
        ".us-west-2.elb.amazonaws.com"
    )


def test_every_health_check_probes_readiness_with_a_host_the_ingress_accepts(
    production_plan: PlanDocument,
) -> None:
    checks = of_type(production_plan, HEALTH_CHECK)
    assert len(checks) == 2
    for check in checks:
        inputs = check["inputs"]
        assert (inputs["type"], inputs["port"], inputs["resourcePath"]) == (
            "HTTPS",
            443,
            PROBE_PATHS["readiness"],
        )
        assert inputs["enableSni"] is True
        assert "ipAddress" not in inputs  # Route 53 resolves the FQDN and sends it as the Host header
    # One Ingress per region: the primary's, and the DR region's pilot light.
    ingresses = {
        ("us-west-2" if "memory-platform:dr:DrRegion" in i["urn"] else "us-east-1"): i
        for i in of_type(production_plan, INGRESS)
    }
    assert set(ingresses) == {"us-east-1", "us-west-2"}
    for region, ingress in ingresses.items():
        ingress_hosts = {rule["host"] for rule in ingress["inputs"]["spec"]["rules"]}
        regional = f"api-{region}.memory.example.com"
        [check] = [c for c in checks if c["inputs"]["fqdn"] == regional]
        assert regional in ingress_hosts  # the Host header the check sends matches a rule
        assert API_HOST in ingress_hosts
        # The regional name reaches this region's ALB, the one its Ingress's status reports (not typed in).
        alb = resolve(production_plan, regional)
        assert alb.startswith("k8s-memory-") and alb.endswith(f".{region}.elb.amazonaws.com")
        assert set(ingress["inputs"]["spec"]["tls"][0]["hosts"]) == ingress_hosts


def test_both_failover_records_carry_the_health_check_of_the_region_they_point_at(
    production_plan: PlanDocument, dr_active_plan: PlanDocument
) -> None:
    for plan, primary_target in (
        (production_plan, "api-us-east-1.memory.example.com"),
        (dr_active_plan, "api-us-west-2.memory.example.com"),
    ):
        checks = checks_by_urn(plan)
        found = records(plan)
        assert found["PRIMARY"]["inputs"]["records"] == [primary_target]
        for role in ("PRIMARY", "SECONDARY"):
            [check_urn] = found[role]["propertyDependencies"]["healthCheckId"]
            assert checks[check_urn]["inputs"]["fqdn"] == found[role]["inputs"]["records"][0]


def test_the_dns_output_names_the_regional_targets_platform_ops_flips_between(
    production_plan: PlanDocument,
) -> None:
    dr = production_plan.outputs["disasterRecovery"]
    assert (dr["hostedZoneId"], dr["apiHostname"]) == ("Z00000000000000000000", API_HOST)
    assert (dr["primaryApiTarget"], dr["drApiTarget"]) == (
        "api-us-east-1.memory.example.com",
        "api-us-west-2.memory.example.com",
    )


def test_staging_has_no_failover_dns(staging_plan: PlanDocument) -> None:
    assert of_type(staging_plan, RECORD) == of_type(staging_plan, HEALTH_CHECK) == []
    for ingress in of_type(staging_plan, INGRESS):
        assert len(ingress["inputs"]["spec"]["rules"]) == 1
