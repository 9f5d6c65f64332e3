"""Finds the Aurora clusters' backups region by region and checks them against the backup schedule.

Two sources count as a backup: Aurora cluster snapshots (automated and manual) and AWS Backup recovery
points in the configured vaults. AWS Backup recovery points of Aurora are cluster snapshots, so the newest
backup of either kind can be restored with `restore_db_cluster_from_snapshot`.

Each region is read on its own: when one is unreachable (its endpoints refuse connections during an
outage) the other's backups are still found and checked, and the unreachable region is named. Backups
are judged against their own schedule (`backupMaxAgeHours`), not the RPO: the RPO of an Aurora global
database is its replication lag, checked by `dr status`. A "DR copy" is only a recovery point that AWS
Backup copied from the primary vault (its `SourceBackupVaultArn`), never the secondary's own snapshots.
`--restore-test` restores the newest backup into a throwaway cluster in the backup's own region, with
that region's subnet group and security group from the outputs, waits for it, checks it and deletes it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ops.aws import RegionUnreachableError, call, error_code
from ops.config import DrConfig
from ops.errors import OpsError
from ops.runtime import Runtime, wait_until

log = logging.getLogger("ops.backup")

RESTORE_TEST_PREFIX = "ops-restore-test-"
RESTORE_TEST_TAG = {"Key": "platform-ops:purpose", "Value": "restore-test"}
READ_NEXT_STEP = (
    "re-run `platform-ops backup verify`; if it keeps failing, check the backup plan in the AWS console"
)


@dataclass(frozen=True)
class BackupPoint:
    """One restorable backup of an Aurora cluster."""

    kind: str  # "cluster-snapshot" or "aws-backup"
    arn: str
    restore_identifier: str  # SnapshotIdentifier for restore_db_cluster_from_snapshot (name or ARN)
    region: str
    location: str  # vault name or "rds snapshots"
    source_cluster_arn: str
    created: datetime
    encrypted: bool
    kms_key_id: str | None
    engine: str | None
    copied_from: str | None = None  # source vault ARN of an AWS Backup copy

    def is_copy_from(self, region: str, vault: str) -> bool:
        """True for a recovery point AWS Backup copied here from `vault` in `region`."""
        if not self.copied_from:
            return False
        parts = self.copied_from.split(":")
        return len(parts) >= 7 and parts[3] == region and parts[6] == vault

    def age_seconds(self, now: datetime) -> float:
        return (now - self.created).total_seconds()

    def as_dict(self, now: datetime) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "arn": self.arn,
            "region": self.region,
            "location": self.location,
            "sourceClusterArn": self.source_cluster_arn,
            "created": self.created.isoformat(),
            "ageMinutes": round(self.age_seconds(now) / 60, 1),
            "encrypted": self.encrypted,
            "copiedFrom": self.copied_from,
        }


def cluster_snapshots(runtime: Runtime, region: str, cluster_identifier: str) -> list[BackupPoint]:
    """Available automated and manual snapshots of one cluster."""
    rds = runtime.client("rds", region)
    points: list[BackupPoint] = []
    marker: str | None = None
    while True:
        params: dict[str, Any] = {"DBClusterIdentifier": cluster_identifier}
        if marker:
            params["Marker"] = marker
        try:
            response = call(rds, "describe_db_cluster_snapshots", next_step=READ_NEXT_STEP, **params)
        except OpsError as exc:
            if error_code(exc) == "DBClusterNotFoundFault":
                return points
            raise
        for snap in response.get("DBClusterSnapshots", []):
            if snap.get("Status") != "available" or "SnapshotCreateTime" not in snap:
                continue
            points.append(
                BackupPoint(
                    kind="cluster-snapshot",
                    arn=snap["DBClusterSnapshotArn"],
                    restore_identifier=snap["DBClusterSnapshotIdentifier"],
                    region=region,
                    location=f"rds {snap.get('SnapshotType', 'manual')} snapshots",
                    source_cluster_arn=snap.get("DBClusterIdentifier", cluster_identifier),
                    created=snap["SnapshotCreateTime"],
                    encrypted=bool(snap.get("StorageEncrypted")),
                    kms_key_id=snap.get("KmsKeyId"),
                    engine=snap.get("Engine"),
                )
            )
        marker = response.get("Marker")
        if not marker:
            return points


def snapshot_identifier(arn: str) -> str:
    """`arn:...:cluster-snapshot:awsbackup:job-1` -> `awsbackup:job-1`, its identifier in its region."""
    marker = ":cluster-snapshot:"
    return arn.split(marker, 1)[1] if marker in arn else arn


def vault_recovery_points(
    runtime: Runtime, region: str, vault: str, cluster_arns: set[str]
) -> list[BackupPoint]:
    """Completed AWS Backup recovery points of the given Aurora clusters in one vault."""
    backup = runtime.client("backup", region)
    points: list[BackupPoint] = []
    token: str | None = None
    while True:
        params: dict[str, Any] = {"BackupVaultName": vault, "ByResourceType": "Aurora"}
        if token:
            params["NextToken"] = token
        response = call(backup, "list_recovery_points_by_backup_vault", next_step=READ_NEXT_STEP, **params)
        for point in response.get("RecoveryPoints", []):
            if point.get("Status") != "COMPLETED" or point.get("ResourceArn") not in cluster_arns:
                continue
            points.append(
                BackupPoint(
                    kind="aws-backup",
                    arn=point["RecoveryPointArn"],
                    restore_identifier=snapshot_identifier(point["RecoveryPointArn"]),
                    region=region,
                    location=f"vault {vault}",
                    source_cluster_arn=point["ResourceArn"],
                    created=point.get("CompletionDate") or point["CreationDate"],
                    encrypted=bool(point.get("IsEncrypted")),
                    kms_key_id=point.get("EncryptionKeyArn"),
                    engine=None,
                    copied_from=point.get("SourceBackupVaultArn"),
                )
            )
        token = response.get("NextToken")
        if not token:
            return points


@dataclass(frozen=True)
class BackupInventory:
    """Every backup found, per region, and the regions that could not be read."""

    points: list[BackupPoint]
    unreachable: dict[str, str]  # region -> what failed
    failed_reads: list[str]  # other read failures (permissions, missing vault, throttling)
    regions_read: tuple[str, ...] = ()  # regions that were asked (reachable or not)

    def in_region(self, region: str) -> list[BackupPoint]:
        return [p for p in self.points if p.region == region]

    @property
    def newest(self) -> BackupPoint | None:
        return max(self.points, key=lambda p: p.created) if self.points else None

    def newest_in(self, region: str) -> BackupPoint | None:
        points = self.in_region(region)
        return max(points, key=lambda p: p.created) if points else None

    def newest_copy(self, config: DrConfig) -> BackupPoint | None:
        """Newest recovery point copied from the primary vault into the DR vault."""
        copies = [
            p
            for p in self.in_region(config.dr_region)
            if p.is_copy_from(config.primary_region, config.backup_vault_name)
        ]
        return max(copies, key=lambda p: p.created) if copies else None


def inventory(runtime: Runtime, config: DrConfig, regions: tuple[str, ...] | None = None) -> BackupInventory:
    """Snapshots and recovery points of both clusters, region by region (either may write after a move)."""
    cluster_arns = {config.primary_cluster_arn, config.secondary_cluster_arn}
    sources = {
        config.primary_region: (config.primary_cluster_identifier, config.backup_vault_name),
        config.dr_region: (config.secondary_cluster_identifier, config.dr_backup_vault_name),
    }
    points: list[BackupPoint] = []
    unreachable: dict[str, str] = {}
    failed: list[str] = []
    for region, (cluster_id, vault) in sources.items():
        if regions is not None and region not in regions:
            continue
        try:
            points += _read_region(runtime, region, cluster_id, vault, cluster_arns, failed)
        except RegionUnreachableError as exc:
            unreachable[region] = exc.message
            log.warning("%s", exc.message)
    asked = tuple(region for region in sources if regions is None or region in regions)
    return BackupInventory(points=points, unreachable=unreachable, failed_reads=failed, regions_read=asked)


def _read_region(
    runtime: Runtime, region: str, cluster_id: str, vault: str, cluster_arns: set[str], failed: list[str]
) -> list[BackupPoint]:
    """One region's snapshots and recovery points; an unreachable region raises, other failures are noted."""
    points: list[BackupPoint] = []
    try:
        points += cluster_snapshots(runtime, region, cluster_id)
    except RegionUnreachableError:
        raise
    except OpsError as exc:
        failed.append(exc.message)
    try:
        points += vault_recovery_points(runtime, region, vault, cluster_arns)
    except RegionUnreachableError:
        raise
    except OpsError as exc:
        failed.append(exc.message)
    return points


@dataclass(frozen=True)
class Check:
    """One named pass/fail result of `backup verify`."""

    name: str
    passed: bool
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "passed": self.passed, "detail": self.detail}


def _age(point: BackupPoint, now: datetime) -> str:
    hours = point.age_seconds(now) / 3600
    return f"{hours:.1f} h old (created {point.created.isoformat()})"


def verify_checks(found: BackupInventory, config: DrConfig, now: datetime) -> list[Check]:
    """Reachable, exists, within the backup schedule, encrypted; plus a copy in the DR vault."""
    checks = [
        Check(
            f"region {region} is reachable",
            False,
            f"{message}; its backups were not checked (`--region` limits the check to one region)",
        )
        for region, message in found.unreachable.items()
    ]
    checks += [Check("backups could be listed", False, message) for message in found.failed_reads]
    newest = found.newest
    limit = config.backup_max_age_hours
    if newest is None:
        return [
            *checks,
            Check(
                "newest backup exists",
                False,
                f"no snapshot of {config.primary_cluster_identifier}/{config.secondary_cluster_identifier}"
                f" and no recovery point in {config.backup_vault_name}/{config.dr_backup_vault_name} "
                "(in the regions that could be read)",
            ),
        ]
    checks += [
        Check(
            "newest backup exists", True, f"{newest.kind} {newest.arn} ({newest.location}, {newest.region})"
        ),
        Check(
            f"newest backup is younger than {limit} h (backup schedule)",
            newest.age_seconds(now) <= config.backup_max_age_seconds,
            _age(newest, now),
        ),
        Check(
            "newest backup is encrypted",
            newest.encrypted,
            f"KMS key {newest.kms_key_id}" if newest.encrypted else "storage is NOT encrypted",
        ),
    ]
    if config.dr_region in found.unreachable or config.dr_region not in found.regions_read:
        return checks
    copy = found.newest_copy(config)
    fresh = copy is not None and copy.age_seconds(now) <= config.backup_max_age_seconds
    checks.append(
        Check(
            f"a fresh copy of the primary vault's backups is in {config.dr_backup_vault_name} "
            f"({config.dr_region})",
            fresh,
            f"newest copy {copy.arn}, {_age(copy, now)}, from {copy.copied_from}"
            if copy
            else f"no recovery point in {config.dr_backup_vault_name} was copied from "
            f"{config.backup_vault_name} ({config.primary_region}); the secondary's own snapshots "
            "do not count",
        )
    )
    return checks


@dataclass(frozen=True)
class RestoreNetwork:
    """Where a throwaway cluster goes in one region."""

    subnet_group: str | None
    security_group_ids: list[str]


def restore_network(config: DrConfig, region: str) -> RestoreNetwork:
    """The subnet group and security group of `region` (each region has its own)."""
    if region == config.primary_region:
        subnet, group = config.primary_db_subnet_group_name, config.primary_db_security_group_id
    else:
        subnet, group = config.dr_db_subnet_group_name, config.dr_db_security_group_id
    return RestoreNetwork(subnet, [group] if group else [])


def _snapshot_engine(runtime: Runtime, point: BackupPoint) -> str:
    if point.engine:
        return point.engine
    rds = runtime.client("rds", point.region)
    response = call(
        rds,
        "describe_db_cluster_snapshots",
        DBClusterSnapshotIdentifier=point.restore_identifier,
        next_step="the recovery point may not be an Aurora snapshot; restore it from the AWS Backup console",
    )
    snapshots = response.get("DBClusterSnapshots", [])
    if not snapshots:
        raise OpsError(f"snapshot {point.arn} was not found in {point.region}", READ_NEXT_STEP)
    return str(snapshots[0]["Engine"])


def restore_test(
    runtime: Runtime,
    point: BackupPoint,
    *,
    network: RestoreNetwork,
    timeout_seconds: float,
    interval_seconds: float,
) -> list[Check]:
    """Restore `point` into a throwaway cluster, check it, and always delete it again."""
    rds = runtime.client("rds", point.region)
    engine = _snapshot_engine(runtime, point)
    identifier = RESTORE_TEST_PREFIX + runtime.now().strftime("%Y%m%d%H%M%S")
    cleanup_hint = (
        f"delete the throwaway cluster by hand: aws rds delete-db-cluster --region {point.region} "
        f"--db-cluster-identifier {identifier} --skip-final-snapshot"
    )
    params: dict[str, Any] = {
        "DBClusterIdentifier": identifier,
        "SnapshotIdentifier": point.restore_identifier,
        "Engine": engine,
        "DeletionProtection": False,
        "Tags": [RESTORE_TEST_TAG],
    }
    if network.subnet_group:
        params["DBSubnetGroupName"] = network.subnet_group
    if network.security_group_ids:
        params["VpcSecurityGroupIds"] = network.security_group_ids
    log.info("restoring %s into throwaway cluster %s in %s", point.arn, identifier, point.region)
    call(
        rds,
        "restore_db_cluster_from_snapshot",
        next_step=f"if AWS rejected the network, pass {point.region}'s subnet group and security group "
        "(--primary-db-subnet-group-name/--primary-db-security-group-id, or the --dr-db-... pair), "
        "then re-run",
        **params,
    )
    described: dict[str, Any] = {}
    try:

        def probe() -> tuple[bool, str]:
            response = call(
                rds, "describe_db_clusters", DBClusterIdentifier=identifier, next_step=cleanup_hint
            )
            described.update(response["DBClusters"][0])
            status = str(described.get("Status"))
            return status == "available", f"status {status}"

        wait_until(
            runtime,
            f"restored cluster {identifier}",
            probe,
            timeout_seconds=timeout_seconds,
            interval_seconds=interval_seconds,
            next_step="the restore is slower than expected; inspect it in the RDS console, then "
            + cleanup_hint,
        )
        checks = [
            Check(
                "restore test: cluster became available",
                True,
                f"{identifier} in {point.region}, subnet group {described.get('DBSubnetGroup')}",
            ),
            Check(
                "restore test: restored storage is encrypted",
                bool(described.get("StorageEncrypted")),
                f"KMS key {described.get('KmsKeyId')}",
            ),
            Check(
                "restore test: engine matches the backup",
                described.get("Engine") == engine,
                f"{described.get('Engine')} {described.get('EngineVersion')} (backup: {engine})",
            ),
        ]
    except BaseException as failure:
        try:
            _delete_throwaway(
                runtime,
                rds,
                identifier,
                cleanup_hint,
                timeout_seconds=timeout_seconds,
                interval=interval_seconds,
            )
        except OpsError as cleanup_failure:
            raise OpsError(
                f"{failure} - and deleting the throwaway cluster failed too: {cleanup_failure.message}",
                cleanup_hint,
            ) from failure
        raise
    _delete_throwaway(
        runtime, rds, identifier, cleanup_hint, timeout_seconds=timeout_seconds, interval=interval_seconds
    )
    return checks


def _delete_throwaway(
    runtime: Runtime,
    rds: Any,
    identifier: str,
    cleanup_hint: str,
    *,
    timeout_seconds: float,
    interval: float,
) -> None:
    log.info("deleting throwaway cluster %s", identifier)
    call(
        rds,
        "delete_db_cluster",
        DBClusterIdentifier=identifier,
        SkipFinalSnapshot=True,
        next_step=cleanup_hint,
    )

    def gone() -> tuple[bool, str]:
        try:
            response = call(
                rds, "describe_db_clusters", DBClusterIdentifier=identifier, next_step=cleanup_hint
            )
        except OpsError as exc:
            if error_code(exc) == "DBClusterNotFoundFault":
                return True, "deleted"
            raise
        return False, f"status {response['DBClusters'][0].get('Status')}"

    wait_until(
        runtime,
        f"deletion of {identifier}",
        gone,
        timeout_seconds=timeout_seconds,
        interval_seconds=interval,
        next_step=cleanup_hint,
    )
