"""The production plan, "deployed" into moto: what the drills run `platform-ops` against.

`plan_production` plans the production program offline (optionally after `pulumi config set --path`
commands the tool printed); `deploy_like` creates in moto what the plan registers and the tool touches:
the global database, every Route 53 health check and record (regional names, failover pair), the backup
vaults, and the EKS clusters the `disasterRecovery` output names. `outputs` is that output, completed
with the DR compute keys (`COMPUTE`) where the program does not export them yet.
"""

from __future__ import annotations

import dataclasses
import json
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from ops_testkit import ACCOUNT, COMPUTE

from offline_plan.document import PlanDocument
from offline_plan.project import load_stack
from offline_plan.runner import run_program
from tests.conftest import ROOT, of_type

COMMAND = re.compile(r"pulumi config set --stack (?P<stack>\S+) --path '(?P<key>[^']+)' (?P<value>\S+)")
HEALTH_CHECK = "aws:route53/healthCheck:HealthCheck"
RECORD = "aws:route53/record:Record"
Records = dict[str, tuple[str, str | None]]  # failover role or record name -> (target, checked fqdn)


def plan_production(commands: list[re.Match[str]]) -> PlanDocument:
    """The production plan with the given `pulumi config set --path` commands applied to its config."""
    settings = load_stack(ROOT, "production")
    config = dict(settings.config)
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


def outputs_of(plan: PlanDocument) -> dict[str, Any]:
    """The plan's `disasterRecovery` output, with the DR compute keys it does not export yet."""
    return {**COMPUTE, **plan.outputs["disasterRecovery"]}


def program_records(plan: PlanDocument) -> Records:
    """{failover role or record name: (target, FQDN of its health check)}, as the program registers them."""
    checks = {check["urn"]: check["inputs"]["fqdn"] for check in of_type(plan, HEALTH_CHECK)}
    records: Records = {}
    for record in of_type(plan, RECORD):
        inputs = record["inputs"]
        [check_urn] = record["propertyDependencies"].get("healthCheckId") or [None]
        key = inputs["failoverRoutingPolicies"][0]["type"] if inputs.get("failoverRoutingPolicies") else None
        records[key or inputs["name"]] = (inputs["records"][0], checks.get(check_urn) if check_urn else None)
    return records


def moto_records(zone_id: str) -> Records:
    route53 = boto3.client("route53")
    found = route53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    records: Records = {}
    for record in found:
        if record["Type"] != "CNAME":
            continue
        fqdn = None
        if "HealthCheckId" in record:
            config = route53.get_health_check(HealthCheckId=record["HealthCheckId"])["HealthCheck"]
            fqdn = config["HealthCheckConfig"]["FullyQualifiedDomainName"]
        records[record.get("Failover") or record["Name"].rstrip(".")] = (
            record["ResourceRecords"][0]["Value"],
            fqdn,
        )
    return records


def resolve_api(zone_id: str) -> list[str]:
    """The CNAME chain of the API hostname while its PRIMARY record is healthy: [regional name, ALB]."""
    records = moto_records(zone_id)
    chain = [records["PRIMARY"][0]]
    while chain[-1] in records and len(chain) < 5:
        chain.append(records[chain[-1]][0])
    return chain


@dataclass
class Deployed:
    zone_id: str
    outputs: dict[str, Any]

    def write(self, tmp_path: Path, name: str, **changes: Any) -> Path:
        path = tmp_path / name
        path.write_text(json.dumps({"disasterRecovery": {**self.outputs, **changes}}))
        return path


def deploy_like(plan: PlanDocument) -> Deployed:
    """Create in moto what `plan` registers and `platform-ops` reads or changes."""
    outputs = outputs_of(plan)
    east = boto3.client("rds", region_name=outputs["primaryRegion"])
    west = boto3.client("rds", region_name=outputs["drRegion"])
    common: dict[str, Any] = {
        "Engine": "aurora-postgresql",
        "EngineVersion": "16.6",
        "MasterUsername": "memory",
        "MasterUserPassword": secrets.token_urlsafe(16),  # generated per run, never stored
        "GlobalClusterIdentifier": outputs["globalClusterIdentifier"],
        "StorageEncrypted": True,  # as the plan's clusters are (each with its region's CMK)
    }
    east.create_global_cluster(
        GlobalClusterIdentifier=outputs["globalClusterIdentifier"], Engine="aurora-postgresql"
    )
    east.create_db_cluster(DBClusterIdentifier=outputs["primaryClusterIdentifier"], **common)
    west.create_db_cluster(DBClusterIdentifier=outputs["secondaryClusterIdentifier"], **common)
    for region, vault in (
        (outputs["primaryRegion"], outputs["backupVaultName"]),
        (outputs["drRegion"], outputs["drBackupVaultName"]),
    ):
        boto3.client("backup", region_name=region).create_backup_vault(BackupVaultName=vault)
    for region, cluster in (
        (outputs["primaryRegion"], outputs["primaryClusterName"]),
        (outputs["drRegion"], outputs["drClusterName"]),
    ):
        boto3.client("eks", region_name=region).create_cluster(
            name=cluster,
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/{cluster}-cluster",
            resourcesVpcConfig={"subnetIds": [f"subnet-{region}"]},
        )

    route53 = boto3.client("route53")
    zone = ".".join(outputs["apiHostname"].split(".")[1:])
    zone_id = route53.create_hosted_zone(Name=zone, CallerReference="program")["HostedZone"]["Id"]
    zone_id = zone_id.rsplit("/", 1)[-1]
    check_ids: dict[str, str] = {}
    for check in of_type(plan, HEALTH_CHECK):
        inputs = check["inputs"]
        check_ids[check["urn"]] = route53.create_health_check(
            CallerReference=check["urn"][-60:],
            HealthCheckConfig={
                "Type": inputs["type"],
                "FullyQualifiedDomainName": inputs["fqdn"],
                "Port": inputs["port"],
                "ResourcePath": inputs["resourcePath"],
                "RequestInterval": inputs["requestInterval"],
                "FailureThreshold": inputs["failureThreshold"],
                "EnableSNI": inputs["enableSni"],
            },
        )["HealthCheck"]["Id"]
    changes = []
    for record in of_type(plan, RECORD):
        inputs = record["inputs"]
        change: dict[str, Any] = {
            "Name": inputs["name"],
            "Type": inputs["type"],
            "TTL": inputs["ttl"],
            "ResourceRecords": [{"Value": value} for value in inputs["records"]],
        }
        if inputs.get("failoverRoutingPolicies"):
            change["SetIdentifier"] = inputs["setIdentifier"]
            change["Failover"] = inputs["failoverRoutingPolicies"][0]["type"]
        [check_urn] = record["propertyDependencies"].get("healthCheckId") or [None]
        if check_urn:
            change["HealthCheckId"] = check_ids[check_urn]
        changes.append({"Action": "CREATE", "ResourceRecordSet": change})
    route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})
    return Deployed(zone_id, {**outputs, "hostedZoneId": zone_id})
