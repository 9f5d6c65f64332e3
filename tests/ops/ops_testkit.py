"""Helpers for the operator CLI tests: constants, fake clock, client factory, moto deployment, narrow fakes.

moto (5.2) implements neither `failover_global_cluster`/`switchover_global_cluster` nor AWS Backup's
`list_recovery_points_by_backup_vault`. Each is served by one narrow fake at the client boundary
(botocore's `before-call` event, which is where Stubber plugs in too), backed by state rather than by a
script: `GlobalClusterFake` moves the writer inside moto's own global cluster (so moto's
`describe_global_clusters` reports it), `VaultFake` lists recovery points the test put into a vault.
A region in `Clients.unreachable` gets clients whose endpoint refuses connections (a closed local port),
so botocore raises EndpointConnectionError after its retries, as it does when a region is down.
"""

from __future__ import annotations

import json
import secrets
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from botocore.stub import Stubber
from moto.rds.models import rds_backends

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
PRIMARY_TARGET = f"api-{PRIMARY_REGION}.memory.example.com"  # each region's own API name
DR_TARGET = f"api-{DR_REGION}.memory.example.com"
PRIMARY_ALB = "k8s-memory-memoryap-1111111111-1111111111.us-east-1.elb.amazonaws.com"
DR_ALB = "k8s-memory-memoryap-2222222222-2222222222.us-west-2.elb.amazonaws.com"
PRIMARY_EKS = "memory-production"
DR_EKS = "memory-production-dr"
# The DR compute part of the `disasterRecovery` output (infra/contracts.py).
COMPUTE = {
    "primaryClusterName": PRIMARY_EKS,
    "drClusterName": DR_EKS,
    "apiNamespace": "memory",
    "apiDeployment": "memory-api",
    "qdrantNamespace": "qdrant",
    "qdrantStatefulSet": "qdrant",
    "drApiReplicas": 3,
    "drQdrantReplicas": 3,
}
VAULT = "memory-backups"
DR_VAULT = "memory-backups-dr"
VAULT_ARN = f"arn:aws:backup:{PRIMARY_REGION}:{ACCOUNT}:backup-vault:{VAULT}"
DR_VAULT_ARN = f"arn:aws:backup:{DR_REGION}:{ACCOUNT}:backup-vault:{DR_VAULT}"
RPO_MINUTES = 60
BACKUP_MAX_AGE_HOURS = 31
STACK = "production"
PROJECT = "memory-platform"
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


def refused_endpoint() -> str:
    """A local URL nothing listens on: connecting to it is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _answer(parsed: dict[str, Any], status: int = 200) -> tuple[AWSResponse, dict[str, Any]]:
    parsed.setdefault("ResponseMetadata", {"HTTPStatusCode": status, "RetryAttempts": 0})
    return AWSResponse("https://fake.invalid", status, {}, None), parsed


def fake_error(code: str, message: str) -> tuple[AWSResponse, dict[str, Any]]:
    return _answer({"Error": {"Code": code, "Message": message}}, 400)


@dataclass
class GlobalClusterFake:
    """Switchover/failover of moto's global cluster: moves `IsWriter` to the target member.

    A switchover needs the current writer's region to be reachable (AWS waits for the secondary to catch
    up with it); a failover with AllowDataLoss does not. Requests are recorded as (operation, params).
    """

    unreachable: set[str]
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def handle(self, model: Any, params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        body = params.get("body") or {}
        self.requests.append((model.name, dict(body)))
        global_id, target = body.get("GlobalClusterIdentifier"), body.get("TargetDbClusterIdentifier")
        clusters = rds_backends[ACCOUNT][PRIMARY_REGION].global_clusters
        if global_id not in clusters:
            return fake_error("GlobalClusterNotFoundFault", f"{global_id} not found")
        members = clusters[global_id].members
        chosen = [m for m in members if m.db_cluster_arn == target]
        if not chosen:
            return fake_error("DBClusterNotFoundFault", f"{target} is not a member of {global_id}")
        writer = next((m for m in members if m.is_writer), None)
        planned = model.name == "SwitchoverGlobalCluster" or body.get("Switchover") == "true"
        writer_region = writer.db_cluster_arn.split(":")[3] if writer is not None else None
        if planned and writer_region in self.unreachable:
            return fake_error(
                "InvalidGlobalClusterStateFault", f"the writer's region {writer_region} is down"
            )
        if model.name == "FailoverGlobalCluster" and not planned and body.get("AllowDataLoss") != "true":
            return fake_error("InvalidParameterCombination", "specify AllowDataLoss or Switchover")
        for member in members:
            member.is_writer = member.db_cluster_arn == target
        return _answer({"GlobalCluster": {"GlobalClusterIdentifier": global_id}})


@dataclass
class VaultFake:
    """AWS Backup recovery points per (region, vault), listed like ListRecoveryPointsByBackupVault."""

    points: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)

    def put(self, region: str, vault: str, point: dict[str, Any]) -> None:
        self.points.setdefault((region, vault), []).append({k: v for k, v in point.items() if v is not None})

    def handler(self, region: str) -> Any:
        def handle(params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
            query = params.get("query_string") or {}
            vault = params["url_path"].split("/")[2]
            points = self.points.get((region, vault), [])
            wanted = query.get("resourceType")
            return _answer(
                {"RecoveryPoints": [p for p in points if not wanted or p["ResourceType"] == wanted]}
            )

        return handle


@dataclass
class Clients:
    """Client factory for the CLI: moto-backed boto3 clients, the narrow fakes, a call log, outages."""

    max_attempts: int = 3
    unreachable: set[str] = field(default_factory=set)
    calls: list[tuple[str, str | None, str]] = field(default_factory=list)
    stubs: dict[tuple[str, str | None], Stubber] = field(default_factory=dict)
    vaults: VaultFake = field(default_factory=VaultFake)
    _cache: dict[tuple[str, str | None], Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.global_clusters = GlobalClusterFake(self.unreachable)

    def make(self, service: str, region: str | None) -> Any:
        config = client_config(self.max_attempts)
        down = (region or PRIMARY_REGION) in self.unreachable and service != "route53"
        client = boto3.client(
            service,
            region_name=region or PRIMARY_REGION,
            config=config,
            endpoint_url=refused_endpoint() if down else None,
        )

        def record(model: Any, **_: Any) -> None:
            self.calls.append((service, region, model.name))

        client.meta.events.register_first("before-call.*.*", record)
        if not down and service == "rds":
            for operation in ("FailoverGlobalCluster", "SwitchoverGlobalCluster"):
                client.meta.events.register(f"before-call.rds.{operation}", self.global_clusters.handle)
        if not down and service == "backup":
            client.meta.events.register(
                "before-call.backup.ListRecoveryPointsByBackupVault",
                self.vaults.handler(region or PRIMARY_REGION),
            )
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
    checks = create_failover_records(zone_id)
    for region, cluster in ((PRIMARY_REGION, PRIMARY_EKS), (DR_REGION, DR_EKS)):
        boto3.client("eks", region_name=region).create_cluster(
            name=cluster,
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/{cluster}-cluster",
            resourcesVpcConfig={"subnetIds": [f"subnet-{region}"]},
        )
    subnet_groups = {region: subnet_group(region) for region in (PRIMARY_REGION, DR_REGION)}
    outputs = tmp_path / "outputs.json"
    outputs.write_text(
        json.dumps(
            {
                "disasterRecovery": {
                    "schemaVersion": 1,
                    "stack": STACK,
                    "project": PROJECT,
                    "primaryRegion": PRIMARY_REGION,
                    "drRegion": DR_REGION,
                    "activeRegion": PRIMARY_REGION,
                    "globalClusterIdentifier": GLOBAL_ID,
                    "primaryClusterIdentifier": PRIMARY_ID,
                    "primaryClusterArn": PRIMARY_ARN,
                    "secondaryClusterIdentifier": SECONDARY_ID,
                    "secondaryClusterArn": SECONDARY_ARN,
                    "backupVaultName": VAULT,
                    "drBackupVaultName": DR_VAULT,
                    "rpoMinutes": RPO_MINUTES,
                    "backupMaxAgeHours": BACKUP_MAX_AGE_HOURS,
                    "primaryDbSubnetGroupName": subnet_groups[PRIMARY_REGION],
                    "drDbSubnetGroupName": subnet_groups[DR_REGION],
                    "hostedZoneId": zone_id,
                    "apiHostname": HOSTNAME,
                    "primaryApiTarget": PRIMARY_TARGET,
                    "drApiTarget": DR_TARGET,
                }
            }
        )
    )
    return Deployment(outputs, zone_id, checks[PRIMARY_TARGET], checks[DR_TARGET])


def subnet_group(region: str) -> str:
    """A DB subnet group over two subnets of a new VPC in `region` (each region has its own)."""
    ec2 = boto3.client("ec2", region_name=region)
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{n}.0/24", AvailabilityZone=f"{region}{zone}")[
            "Subnet"
        ]["SubnetId"]
        for n, zone in ((1, "a"), (2, "b"))
    ]
    name = f"memory-aurora-{region}"
    boto3.client("rds", region_name=region).create_db_subnet_group(
        DBSubnetGroupName=name, DBSubnetGroupDescription=f"Aurora in {region}", SubnetIds=subnets
    )
    return name


def create_failover_records(zone_id: str) -> dict[str, str]:
    """The records as the program's `FailoverDns` registers them with the primary active: each region's
    name a CNAME to its ALB with an HTTPS check of /health/ready, and the API hostname's failover pair
    pointing at the regional names, each with its target's check. Returns {regional name: check id}."""
    route53 = boto3.client("route53")
    checks: dict[str, str] = {}
    changes = []
    for regional, alb in ((PRIMARY_TARGET, PRIMARY_ALB), (DR_TARGET, DR_ALB)):
        checks[regional] = route53.create_health_check(
            CallerReference=f"hc-{zone_id}-{regional}",
            HealthCheckConfig={
                "Type": "HTTPS",
                "FullyQualifiedDomainName": regional,
                "Port": 443,
                "ResourcePath": "/health/ready",
                "RequestInterval": 30,
                "FailureThreshold": 3,
                "EnableSNI": True,
            },
        )["HealthCheck"]["Id"]
        changes.append(
            {
                "Action": "CREATE",
                "ResourceRecordSet": {
                    "Name": regional,
                    "Type": "CNAME",
                    "TTL": 60,
                    "ResourceRecords": [{"Value": alb}],
                },
            }
        )
    for role, target in (("PRIMARY", PRIMARY_TARGET), ("SECONDARY", DR_TARGET)):
        record: dict[str, Any] = {
            "Name": HOSTNAME,
            "Type": "CNAME",
            "SetIdentifier": f"memory-{role.lower()}",
            "Failover": role,
            "TTL": 60,
            "ResourceRecords": [{"Value": target}],
            "HealthCheckId": checks[target],
        }
        changes.append({"Action": "CREATE", "ResourceRecordSet": record})
    route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})
    return checks


@dataclass
class Result:
    code: int
    out: str
    err: str


def recovery_point(
    arn: str,
    resource_arn: str,
    created: datetime,
    *,
    encrypted: bool = True,
    vault: str = DR_VAULT,
    copied_from: str | None = None,
) -> dict[str, Any]:
    """One ListRecoveryPointsByBackupVault entry as AWS Backup returns it for an Aurora cluster.

    `copied_from` is the source vault ARN AWS Backup sets on a copy (`SourceBackupVaultArn`).
    """
    region = DR_REGION if vault == DR_VAULT else PRIMARY_REGION
    return {
        "RecoveryPointArn": arn,
        "ResourceArn": resource_arn,
        "ResourceType": "Aurora",
        "Status": "COMPLETED",
        "CreationDate": created,
        "CompletionDate": created,
        "IsEncrypted": encrypted,
        "EncryptionKeyArn": f"arn:aws:kms:{region}:{ACCOUNT}:key/backup" if encrypted else None,
        "BackupVaultName": vault,
        "BackupVaultArn": f"arn:aws:backup:{region}:{ACCOUNT}:backup-vault:{vault}",
        "SourceBackupVaultArn": copied_from,
    }


def stub_vaults(
    clients: Clients, primary_points: list[dict[str, Any]], dr_points: list[dict[str, Any]]
) -> None:
    """Put recovery points into the two vaults of the `VaultFake` (moto has no such listing)."""
    for region, vault, points in ((PRIMARY_REGION, VAULT, primary_points), (DR_REGION, DR_VAULT, dr_points)):
        for point in points:
            clients.vaults.put(region, vault, point)
