"""`platform-ops` and the Pulumi program agree on DNS, so `pulumi up` after a failover keeps it.

The production program (with `dr.dns` set) is planned offline; its Route 53 health check and failover
records are created in moto exactly as registered, and its `disasterRecovery` output is the outputs file.
After `dr failover` (primary region unreachable) the tool prints a `pulumi config set`; applying that very
command to the stack config and planning again must register the records the tool left in Route 53.
Then `dr switchover --to primary` and its command bring both back to the original records.
"""

from __future__ import annotations

import dataclasses
import json
import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from ops_testkit import Clients, Result

from offline_plan.document import PlanDocument
from offline_plan.project import load_stack
from offline_plan.runner import run_program
from ops.config import load_config
from tests.conftest import ROOT, of_type

DNS = {
    "hostedZoneId": "Z0123456789ABC",
    "apiHostname": "api.memory.example.com",
    "primaryApiTarget": "primary-alb.us-east-1.elb.amazonaws.com",
    "drApiTarget": "dr-alb.us-west-2.elb.amazonaws.com",
}
COMMAND = re.compile(r"pulumi config set --stack (?P<stack>\S+) --path '(?P<key>[^']+)' (?P<value>\S+)")
Records = dict[str, tuple[str, bool]]


def plan_production(commands: list[re.Match[str]]) -> PlanDocument:
    """The production plan with `dr.dns` set and the given `pulumi config set --path` commands applied."""
    settings = load_stack(ROOT, "production")
    config = dict(settings.config)
    dr = json.loads(config["memory-platform:dr"])
    dr["dns"] = DNS
    config["memory-platform:dr"] = json.dumps(dr)
    for command in commands:
        assert command["stack"] == "production"
        namespace, path = command["key"].split(":", 1)
        top, *rest = path.split(".")
        value = json.loads(config[f"{namespace}:{top}"])
        target = value
        for part in rest[:-1]:
            target = target.setdefault(part, {})
        target[rest[-1]] = command["value"]
        config[f"{namespace}:{top}"] = json.dumps(value)
    return run_program(dataclasses.replace(settings, config=config), preview=False)


def program_records(plan: PlanDocument) -> tuple[Records, str]:
    """{role: (target, has health check)} and the health check's FQDN, as the program registers them."""
    [check] = of_type(plan, "aws:route53/healthCheck:HealthCheck")
    records = {
        r["inputs"]["failoverRoutingPolicies"][0]["type"]: (
            r["inputs"]["records"][0],
            bool(r["propertyDependencies"].get("healthCheckId")),
        )
        for r in of_type(plan, "aws:route53/record:Record")
    }
    return records, check["inputs"]["fqdn"]


def moto_records(zone_id: str) -> tuple[Records, str]:
    route53 = boto3.client("route53")
    found = route53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    records = {
        r["Failover"]: (r["ResourceRecords"][0]["Value"], "HealthCheckId" in r)
        for r in found
        if "Failover" in r
    }
    [check_id] = {r["HealthCheckId"] for r in found if "HealthCheckId" in r}
    config = route53.get_health_check(HealthCheckId=check_id)["HealthCheck"]["HealthCheckConfig"]
    return records, config["FullyQualifiedDomainName"]


def deploy_like(plan: PlanDocument) -> str:
    """Create in moto the global database and the Route 53 records the plan describes; returns the zone id."""
    outputs = plan.outputs["disasterRecovery"]
    east = boto3.client("rds", region_name=outputs["primaryRegion"])
    west = boto3.client("rds", region_name=outputs["drRegion"])
    common: dict[str, Any] = {
        "Engine": "aurora-postgresql",
        "EngineVersion": "16.6",
        "MasterUsername": "memory",
        "MasterUserPassword": secrets.token_urlsafe(16),
        "GlobalClusterIdentifier": outputs["globalClusterIdentifier"],
    }
    east.create_global_cluster(
        GlobalClusterIdentifier=outputs["globalClusterIdentifier"], Engine="aurora-postgresql"
    )
    east.create_db_cluster(DBClusterIdentifier=outputs["primaryClusterIdentifier"], **common)
    west.create_db_cluster(DBClusterIdentifier=outputs["secondaryClusterIdentifier"], **common)

    route53 = boto3.client("route53")
    zone_id = route53.create_hosted_zone(Name="memory.example.com", CallerReference="program")["HostedZone"][
        "Id"
    ].rsplit("/", 1)[-1]
    [check] = of_type(plan, "aws:route53/healthCheck:HealthCheck")
    check_id = route53.create_health_check(
        CallerReference="program-hc",
        HealthCheckConfig={
            "Type": check["inputs"]["type"],
            "FullyQualifiedDomainName": check["inputs"]["fqdn"],
            "Port": check["inputs"]["port"],
            "ResourcePath": check["inputs"]["resourcePath"],
        },
    )["HealthCheck"]["Id"]
    changes = []
    for record in of_type(plan, "aws:route53/record:Record"):
        inputs = record["inputs"]
        change: dict[str, Any] = {
            "Name": inputs["name"],
            "Type": inputs["type"],
            "SetIdentifier": inputs["setIdentifier"],
            "Failover": inputs["failoverRoutingPolicies"][0]["type"],
            "TTL": inputs["ttl"],
            "ResourceRecords": [{"Value": value} for value in inputs["records"]],
        }
        if record["propertyDependencies"].get("healthCheckId"):
            change["HealthCheckId"] = check_id
        changes.append({"Action": "CREATE", "ResourceRecordSet": change})
    route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})
    return zone_id


def write_outputs(tmp_path: Path, plan: PlanDocument, name: str) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"disasterRecovery": plan.outputs["disasterRecovery"]}))
    return path


@pytest.fixture(scope="module")
def before() -> PlanDocument:
    return plan_production([])


def test_the_programs_output_is_what_platform_ops_reads(before: PlanDocument, tmp_path: Path) -> None:
    """The writer validates with the shared model; the reader accepts the result and finds what it needs."""
    config = load_config(write_outputs(tmp_path, before, "outputs.json"), {})
    assert (config.stack, config.project, config.configured_active_region) == (
        "production",
        "memory-platform",
        "us-east-1",
    )
    assert config.dns_configured
    assert config.dr_db_subnet_group_name and config.dr_db_security_group_id
    assert config.primary_db_subnet_group_name and config.primary_db_security_group_id
    assert config.backup_max_age_hours == 24 + 1 + 6  # daily plan, 1 h start and 6 h completion windows


def test_failover_and_fail_back_agree_with_the_next_pulumi_up(
    before: PlanDocument, clients: Clients, tmp_path: Path, run_cli: Callable[..., Result]
) -> None:
    zone_id = deploy_like(before)
    assert moto_records(zone_id) == program_records(before)
    primary, dr = DNS["primaryApiTarget"], DNS["drApiTarget"]
    assert program_records(before) == ({"PRIMARY": (primary, True), "SECONDARY": (dr, False)}, primary)

    clients.unreachable.add("us-east-1")
    outputs = write_outputs(tmp_path, before, "before.json")
    failover = run_cli("--outputs", str(outputs), "--hosted-zone-id", zone_id, "dr", "failover", "--yes")

    assert failover.code == 0, failover.err
    to_dr = COMMAND.search(failover.out)
    assert to_dr is not None, failover.out
    after = plan_production([to_dr])
    assert after.outputs["disasterRecovery"]["activeRegion"] == "us-west-2"
    assert moto_records(zone_id) == program_records(after)
    assert program_records(after) == ({"PRIMARY": (dr, True), "SECONDARY": (primary, False)}, dr)

    clients.unreachable.clear()
    outputs = write_outputs(tmp_path, after, "after.json")
    back = run_cli(
        "--outputs", str(outputs), "--hosted-zone-id", zone_id, "dr", "switchover", "--to", "primary", "--yes"
    )

    assert back.code == 0, back.err
    to_primary = COMMAND.search(back.out)
    assert to_primary is not None, back.out
    assert to_primary["value"] == "us-east-1"
    again = plan_production([to_primary])
    assert moto_records(zone_id) == program_records(again) == program_records(before)
