"""Helpers for the operator CLI tests: constants, fake clock, recording client factory, moto deployment.

APIs moto does not implement (switchover/failover_global_cluster, AWS Backup recovery points) are served by
botocore's Stubber on the one client that needs them; every other client of the same test stays on moto.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from botocore.stub import Stubber

from ops.aws import client_config

ACCOUNT = "123456789012"
PRIMARY_REGION = "us-east-1"
DR_REGION = "us-west-2"
GLOBAL_ID = "memory-global"
PRIMARY_ID = "memory-primary"
SECONDARY_ID = "memory-dr"
PRIMARY_ARN = f"arn:aws:rds:{PRIMARY_REGION}:{ACCOUNT}:cluster:{PRIMARY_ID}"
SECONDARY_ARN = f"arn:aws:rds:{DR_REGION}:{ACCOUNT}:cluster:{SECONDARY_ID}"
HOSTNAME = "api.memory.example.com"
PRIMARY_TARGET = "api-use1.elb.example.net"
DR_TARGET = "api-usw2.elb.example.net"
VAULT = "memory-backups"
DR_VAULT = "memory-backups-dr"
RPO_MINUTES = 60
READ_PREFIXES = ("Describe", "List", "Get")


class FakeClock:
    """`now` starts at the real time (moto stamps snapshots with it) and only moves when `sleep` is called."""

    def __init__(self) -> None:
        self.current = datetime.now(UTC)
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        return self.current

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.current += timedelta(seconds=seconds)


@dataclass
class Clients:
    """Client factory for the CLI: moto-backed boto3 clients, optional Stubber overrides, and a call log."""

    max_attempts: int = 3
    calls: list[tuple[str, str | None, str]] = field(default_factory=list)
    stubs: dict[tuple[str, str | None], Stubber] = field(default_factory=dict)
    _cache: dict[tuple[str, str | None], Any] = field(default_factory=dict)

    def make(self, service: str, region: str | None) -> Any:
        config = client_config(self.max_attempts)
        client = boto3.client(service, region_name=region or PRIMARY_REGION, config=config)

        def record(model: Any, **_: Any) -> None:
            self.calls.append((service, region, model.name))

        client.meta.events.register_first("before-call.*.*", record)
        return client

    def __call__(self, service: str, region: str | None) -> Any:
        key = (service, region)
        if key not in self._cache:
            self._cache[key] = self.make(service, region)
        return self._cache[key]

    def stub(self, service: str, region: str | None) -> Stubber:
        """Serve every call of this (service, region) client from a Stubber instead of moto."""
        client = self(service, region)
        stubber = Stubber(client)
        stubber.activate()
        self.stubs[(service, region)] = stubber
        return stubber

    def write_calls(self) -> list[str]:
        return [op for _, _, op in self.calls if not op.startswith(READ_PREFIXES)]

    def ops(self) -> list[str]:
        return [op for _, _, op in self.calls]


def throttle(client: Any, operation: str, times: int) -> list[int]:
    """Make the next `times` HTTP attempts of `operation` answer 400 Throttling; returns the attempt log."""
    attempts: list[int] = []

    class Body:
        def stream(self, **_: Any) -> Iterator[bytes]:
            yield (
                b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
                b"<Message>Rate exceeded</Message></Error><RequestId>t</RequestId></ErrorResponse>"
            )

    def handler(request: Any, **_: Any) -> AWSResponse | None:
        if f"Action={operation}" not in (
            request.body.decode() if isinstance(request.body, bytes) else str(request.body)
        ):
            return None
        attempts.append(1)
        if len(attempts) > times:
            return None
        return AWSResponse(request.url, 400, {}, Body())

    client.meta.events.register_first("before-send.*", handler)
    return attempts


@dataclass
class Deployment:
    """What the tests created in moto, plus the outputs file that describes it."""

    outputs: Path
    zone_id: str
    primary_health_check: str
    dr_health_check: str

    def outputs_dict(self) -> dict[str, Any]:
        return dict(json.loads(self.outputs.read_text())["disasterRecovery"])

    def write_outputs(self, **changes: Any) -> Path:
        values = self.outputs_dict()
        values.update(changes)
        for key in [k for k, v in changes.items() if v is None]:
            values.pop(key)
        self.outputs.write_text(json.dumps({"disasterRecovery": values, "otherOutput": "ignored"}))
        return self.outputs


def create_deployment(
    tmp_path: Path, *, with_secondary: bool = True, encrypted: bool = True, restorable: bool = False
) -> Deployment:
    """Global cluster, primary (us-east-1) and secondary (us-west-2), a snapshot, vaults and DNS records.

    `restorable=True` builds the primary standalone first and then the global cluster from it: moto keeps
    no master password for clusters created inside a global cluster and so cannot restore their snapshots.
    (In that mode moto does not mark the primary as writer; only backup tests use it.)
    """
    east = boto3.client("rds", region_name=PRIMARY_REGION)
    west = boto3.client("rds", region_name=DR_REGION)
    common: dict[str, Any] = {
        "Engine": "aurora-postgresql",
        "EngineVersion": "15.4",
        "StorageEncrypted": encrypted,
        "MasterUsername": "memory",
        "MasterUserPassword": secrets.token_urlsafe(16),  # generated per run, never stored
    }
    if encrypted:
        common["KmsKeyId"] = f"arn:aws:kms:{PRIMARY_REGION}:{ACCOUNT}:key/test"
    if restorable:
        east.create_db_cluster(DBClusterIdentifier=PRIMARY_ID, **common)
        east.create_global_cluster(GlobalClusterIdentifier=GLOBAL_ID, SourceDBClusterIdentifier=PRIMARY_ARN)
    else:
        east.create_global_cluster(
            GlobalClusterIdentifier=GLOBAL_ID,
            Engine="aurora-postgresql",
            EngineVersion="15.4",
            StorageEncrypted=encrypted,
        )
        east.create_db_cluster(DBClusterIdentifier=PRIMARY_ID, GlobalClusterIdentifier=GLOBAL_ID, **common)
    common["GlobalClusterIdentifier"] = GLOBAL_ID
    if with_secondary:
        west.create_db_cluster(DBClusterIdentifier=SECONDARY_ID, **common)
    east.create_db_cluster_snapshot(
        DBClusterIdentifier=PRIMARY_ID, DBClusterSnapshotIdentifier="memory-manual-1"
    )
    for region, vault in ((PRIMARY_REGION, VAULT), (DR_REGION, DR_VAULT)):
        boto3.client("backup", region_name=region).create_backup_vault(BackupVaultName=vault)

    route53 = boto3.client("route53")
    zone_id = route53.create_hosted_zone(Name="memory.example.com", CallerReference="ops-tests")[
        "HostedZone"
    ]["Id"]
    zone_id = zone_id.rsplit("/", 1)[-1]
    checks = {}
    for name, target in (("primary", PRIMARY_TARGET), ("dr", DR_TARGET)):
        checks[name] = route53.create_health_check(
            CallerReference=f"hc-{name}",
            HealthCheckConfig={
                "Type": "HTTPS",
                "FullyQualifiedDomainName": target,
                "ResourcePath": "/health",
            },
        )["HealthCheck"]["Id"]
    route53.change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "CREATE",
                    "ResourceRecordSet": {
                        "Name": HOSTNAME,
                        "Type": "CNAME",
                        "SetIdentifier": role.lower(),
                        "Failover": role,
                        "TTL": 60,
                        "HealthCheckId": checks[name],
                        "ResourceRecords": [{"Value": target}],
                    },
                }
                for role, name, target in (
                    ("PRIMARY", "primary", PRIMARY_TARGET),
                    ("SECONDARY", "dr", DR_TARGET),
                )
            ]
        },
    )
    outputs = tmp_path / "outputs.json"
    outputs.write_text(
        json.dumps(
            {
                "disasterRecovery": {
                    "primaryRegion": PRIMARY_REGION,
                    "drRegion": DR_REGION,
                    "globalClusterIdentifier": GLOBAL_ID,
                    "primaryClusterIdentifier": PRIMARY_ID,
                    "primaryClusterArn": PRIMARY_ARN,
                    "secondaryClusterIdentifier": SECONDARY_ID,
                    "secondaryClusterArn": SECONDARY_ARN,
                    "backupVaultName": VAULT,
                    "drBackupVaultName": DR_VAULT,
                    "rpoMinutes": RPO_MINUTES,
                    "hostedZoneId": zone_id,
                    "apiHostname": HOSTNAME,
                    "primaryApiTarget": PRIMARY_TARGET,
                    "drApiTarget": DR_TARGET,
                }
            }
        )
    )
    return Deployment(outputs, zone_id, checks["primary"], checks["dr"])


@dataclass
class Result:
    code: int
    out: str
    err: str


def recovery_point(
    arn: str, resource_arn: str, created: datetime, *, encrypted: bool = True
) -> dict[str, Any]:
    """One ListRecoveryPointsByBackupVault entry as AWS Backup returns it for an Aurora cluster."""
    return {
        "RecoveryPointArn": arn,
        "ResourceArn": resource_arn,
        "ResourceType": "Aurora",
        "Status": "COMPLETED",
        "CreationDate": created,
        "CompletionDate": created,
        "IsEncrypted": encrypted,
        "EncryptionKeyArn": f"arn:aws:kms:{DR_REGION}:{ACCOUNT}:key/dr" if encrypted else None,
        "BackupVaultName": DR_VAULT,
    }


def stub_vaults(
    clients: Clients, primary_points: list[dict[str, Any]], dr_points: list[dict[str, Any]]
) -> None:
    """AWS Backup recovery points (moto has no ListRecoveryPointsByBackupVault): served by Stubber."""
    for region, vault, points in ((PRIMARY_REGION, VAULT, primary_points), (DR_REGION, DR_VAULT, dr_points)):
        stubber = clients.stub("backup", region)
        cleaned = [{k: v for k, v in p.items() if v is not None} for p in points]
        stubber.add_response(
            "list_recovery_points_by_backup_vault",
            {"RecoveryPoints": cleaned},
            {"BackupVaultName": vault, "ByResourceType": "Aurora"},
        )
