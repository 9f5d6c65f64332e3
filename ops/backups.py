"""Finds the newest backup of the Aurora clusters and checks it: exists, younger than the RPO, encrypted.

Two sources count as a backup: Aurora cluster snapshots (automated and manual) and AWS Backup recovery
points in the configured vaults. AWS Backup recovery points of Aurora are cluster snapshots, so the newest
backup of either kind can be restored with `restore_db_cluster_from_snapshot`. `--restore-test` does that
into a throwaway cluster, waits for it, checks it and deletes it, also when a step fails.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ops.aws import call, error_code
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
                    restore_identifier=point["RecoveryPointArn"],
                    region=region,
                    location=f"vault {vault}",
                    source_cluster_arn=point["ResourceArn"],
                    created=point.get("CompletionDate") or point["CreationDate"],
                    encrypted=bool(point.get("IsEncrypted")),
                    kms_key_id=point.get("EncryptionKeyArn"),
                    engine=None,
                )
            )
        token = response.get("NextToken")
        if not token:
            return points


@dataclass(frozen=True)
class BackupInventory:
    """Every backup found in the primary and the DR region."""

    primary_region: list[BackupPoint]
    dr_region: list[BackupPoint]

    @property
    def newest(self) -> BackupPoint | None:
        everything = self.primary_region + self.dr_region
        return max(everything, key=lambda p: p.created) if everything else None

    @property
    def newest_dr_copy(self) -> BackupPoint | None:
        return max(self.dr_region, key=lambda p: p.created) if self.dr_region else None


def inventory(runtime: Runtime, config: DrConfig) -> BackupInventory:
    """Snapshots and recovery points of both clusters (either may be the writer after a failover)."""
    cluster_arns = {config.primary_cluster_arn, config.secondary_cluster_arn}
    primary = cluster_snapshots(runtime, config.primary_region, config.primary_cluster_identifier)
    primary += vault_recovery_points(runtime, config.primary_region, config.backup_vault_name, cluster_arns)
    dr = cluster_snapshots(runtime, config.dr_region, config.secondary_cluster_identifier)
    dr += vault_recovery_points(runtime, config.dr_region, config.dr_backup_vault_name, cluster_arns)
    return BackupInventory(primary_region=primary, dr_region=dr)


@dataclass(frozen=True)
class Check:
    """One named pass/fail result of `backup verify`."""

    name: str
    passed: bool
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "passed": self.passed, "detail": self.detail}


def verify_checks(found: BackupInventory, config: DrConfig, now: datetime) -> list[Check]:
    """Exists, younger than the RPO, encrypted; plus a copy in the DR region."""
    newest = found.newest
    if newest is None:
        return [
            Check(
                "newest backup exists",
                False,
                f"no snapshot of {config.primary_cluster_identifier}/{config.secondary_cluster_identifier}"
                " and "
                f"no recovery point in {config.backup_vault_name}/{config.dr_backup_vault_name}",
            )
        ]
    age_minutes = newest.age_seconds(now) / 60
    checks = [
        Check(
            "newest backup exists", True, f"{newest.kind} {newest.arn} ({newest.location}, {newest.region})"
        ),
        Check(
            "newest backup is younger than the RPO",
            age_minutes <= config.rpo_minutes,
            f"{age_minutes:.0f} min old, RPO {config.rpo_minutes} min (created {newest.created.isoformat()})",
        ),
        Check(
            "newest backup is encrypted",
            newest.encrypted,
            f"KMS key {newest.kms_key_id}" if newest.encrypted else "storage is NOT encrypted",
        ),
    ]
    copy = found.newest_dr_copy
    checks.append(
        Check(
            f"a backup exists in the DR region {config.dr_region}",
            copy is not None,
            f"newest {copy.kind} {copy.arn}, {copy.age_seconds(now) / 60:.0f} min old"
            if copy
            else f"nothing in vault {config.dr_backup_vault_name} nor snapshots of "
            f"{config.secondary_cluster_identifier}",
        )
    )
    return checks


def _snapshot_engine(runtime: Runtime, point: BackupPoint) -> str:
    if point.engine:
        return point.engine
    rds = runtime.client("rds", point.region)
    response = call(
        rds,
        "describe_db_cluster_snapshots",
        DBClusterSnapshotIdentifier=point.arn,
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
    subnet_group: str | None,
    security_group_ids: list[str],
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
    if subnet_group:
        params["DBSubnetGroupName"] = subnet_group
    if security_group_ids:
        params["VpcSecurityGroupIds"] = security_group_ids
    log.info("restoring %s into throwaway cluster %s in %s", point.arn, identifier, point.region)
    call(
        rds,
        "restore_db_cluster_from_snapshot",
        next_step="pass --subnet-group/--security-group-id of the data-tier VPC if AWS rejected the network, "
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
            Check("restore test: cluster became available", True, f"{identifier} in {point.region}"),
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
