"""`platform-ops backup verify [--region] [--restore-test]` under moto (recovery points from `VaultFake`)."""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
from ops_testkit import (
    BACKUP_MAX_AGE_HOURS,
    DR_REGION,
    DR_VAULT,
    PRIMARY_ARN,
    PRIMARY_REGION,
    RPO_MINUTES,
    SECONDARY_ARN,
    VAULT,
    VAULT_ARN,
    Clients,
    Deployment,
    FakeClock,
    create_deployment,
    recovery_point,
    stub_vaults,
)

from ops.backups import RESTORE_TEST_PREFIX

COPY_CHECK = f"a fresh copy of the primary vault's backups is in {DR_VAULT} ({DR_REGION})"
FRESH_CHECK = f"newest backup is younger than {BACKUP_MAX_AGE_HOURS} h (backup schedule)"


def checks_by_name(output: str) -> dict[str, bool]:
    return {c["name"]: c["passed"] for c in json.loads(output)["checks"]}


def throwaway_clusters(region: str = PRIMARY_REGION) -> list[str]:
    clusters = boto3.client("rds", region_name=region).describe_db_clusters()["DBClusters"]
    return [
        c["DBClusterIdentifier"] for c in clusters if c["DBClusterIdentifier"].startswith(RESTORE_TEST_PREFIX)
    ]


def dr_copy(clock: FakeClock, age: timedelta = timedelta(hours=2), arn: str | None = None) -> dict[str, Any]:
    """A recovery point AWS Backup copied from the primary vault into the DR vault."""
    arn = arn or f"arn:aws:rds:{DR_REGION}:123456789012:cluster-snapshot:awsbackup:copyjob-1"
    return recovery_point(arn, PRIMARY_ARN, clock.now() - age, copied_from=VAULT_ARN)


def restored_subnet_groups(clients: Clients, region: str) -> list[str]:
    """The DBSubnetGroup AWS reports for every cluster restored through the CLI's client in `region`."""
    seen: list[str] = []

    def record(parsed: dict[str, Any], **_: Any) -> None:
        seen.append(parsed["DBCluster"].get("DBSubnetGroup"))

    clients("rds", region).meta.events.register("after-call.rds.RestoreDBClusterFromSnapshot", record)
    return seen


def test_verify_passes_for_fresh_encrypted_backup_with_dr_copy(
    deployment: Deployment, clients: Clients, clock: FakeClock, run_cli
) -> None:
    stub_vaults(clients, [], [dr_copy(clock)])

    result = run_cli("--outputs", str(deployment.outputs), "backup", "verify", "--json")

    assert result.code == 0, result.err + result.out
    assert checks_by_name(result.out) == {
        "newest backup exists": True,
        FRESH_CHECK: True,
        "newest backup is encrypted": True,
        COPY_CHECK: True,
    }


def test_backup_freshness_follows_the_backup_schedule_not_the_rpo(
    deployment: Deployment, clients: Clients, clock: FakeClock, run_cli
) -> None:
    """A daily backup is hours old by design; only a missed schedule is a failure (RPO is replication lag)."""
    clock.current += timedelta(minutes=RPO_MINUTES * 5)
    stub_vaults(clients, [], [dr_copy(clock)])

    hours_old = run_cli("--outputs", str(deployment.outputs), "backup", "verify", "--json")

    assert hours_old.code == 0, hours_old.out
    assert checks_by_name(hours_old.out)[FRESH_CHECK] is True

    clock.current += timedelta(hours=BACKUP_MAX_AGE_HOURS)
    missed = run_cli("--outputs", str(deployment.outputs), "backup", "verify")

    assert missed.code == 1
    assert f"FAIL  {FRESH_CHECK}: " in missed.out
    assert "FAILED - see docs/runbooks/backup-verify-and-restore.md" in missed.out


def test_the_secondarys_own_backups_are_not_a_dr_copy(
    deployment: Deployment, clients: Clients, clock: FakeClock, run_cli
) -> None:
    """moto keeps automated snapshots of the DR cluster, and its vault holds a backup of it: neither is a copy."""
    own = f"arn:aws:rds:{DR_REGION}:123456789012:cluster-snapshot:awsbackup:job-own"
    stub_vaults(clients, [], [recovery_point(own, SECONDARY_ARN, clock.now() - timedelta(hours=1))])
    assert boto3.client("rds", region_name=DR_REGION).describe_db_cluster_snapshots()["DBClusterSnapshots"]

    result = run_cli("--outputs", str(deployment.outputs), "backup", "verify", "--json")

    assert result.code == 1
    assert checks_by_name(result.out)[COPY_CHECK] is False
    [copy_check] = [c for c in json.loads(result.out)["checks"] if c["name"] == COPY_CHECK]
    assert f"copied from {VAULT}" in copy_check["detail"]


def test_verify_fails_on_unencrypted_snapshot(
    aws: None, tmp_path: Path, clients: Clients, clock: FakeClock, run_cli
) -> None:
    deployment = create_deployment(tmp_path, encrypted=False)
    stub_vaults(clients, [], [dr_copy(clock, timedelta(days=1))])

    result = run_cli("--outputs", str(deployment.outputs), "backup", "verify", "--json")

    assert result.code == 1
    checks = checks_by_name(result.out)
    assert checks["newest backup is encrypted"] is False
    assert checks[FRESH_CHECK] is True


def test_newest_aws_backup_recovery_point_wins_and_is_checked(
    deployment: Deployment, clients: Clients, clock: FakeClock, run_cli
) -> None:
    clock.current += timedelta(hours=BACKUP_MAX_AGE_HOURS + 1)  # moto's snapshots are now late
    fresh_arn = f"arn:aws:rds:{PRIMARY_REGION}:123456789012:cluster-snapshot:awsbackup:job-fresh"
    other_cluster = f"arn:aws:rds:{PRIMARY_REGION}:123456789012:cluster:someone-else"
    stub_vaults(
        clients,
        [
            recovery_point(
                fresh_arn, PRIMARY_ARN, clock.now() - timedelta(minutes=10), encrypted=False, vault=VAULT
            ),
            recovery_point(fresh_arn + "-x", other_cluster, clock.now(), vault=VAULT),  # not ours: ignored
        ],
        [dr_copy(clock, timedelta(minutes=20))],
    )

    result = run_cli("--outputs", str(deployment.outputs), "backup", "verify", "--json")

    report = json.loads(result.out)
    assert report["newestBackup"]["arn"] == fresh_arn
    assert report["newestBackup"]["kind"] == "aws-backup"
    checks = checks_by_name(result.out)
    assert checks[FRESH_CHECK] is True
    assert checks["newest backup is encrypted"] is False
    assert result.code == 1


def test_verify_with_the_primary_region_unreachable_checks_the_dr_region(
    deployment: Deployment, clients: Clients, clock: FakeClock, run_cli
) -> None:
    clients.unreachable.add(PRIMARY_REGION)
    stub_vaults(clients, [], [dr_copy(clock)])

    both = run_cli("--outputs", str(deployment.outputs), "backup", "verify")

    assert both.code == 1  # not everything could be verified
    assert f"UNREACHABLE  {PRIMARY_REGION}" in both.out
    assert f"FAIL  region {PRIMARY_REGION} is reachable: {PRIMARY_REGION} is unreachable" in both.out
    assert f"PASS  {COPY_CHECK}" in both.out
    assert "--region dr" in both.out

    dr_only = run_cli("--outputs", str(deployment.outputs), "backup", "verify", "--region", "dr", "--json")

    assert dr_only.code == 0, dr_only.out + dr_only.err
    assert json.loads(dr_only.out)["newestBackup"]["region"] == DR_REGION
    assert all(checks_by_name(dr_only.out).values())


def test_region_flag_limits_the_check_to_that_region(
    deployment: Deployment, clients: Clients, clock: FakeClock, run_cli
) -> None:
    stub_vaults(clients, [], [])

    result = run_cli(
        "--outputs", str(deployment.outputs), "backup", "verify", "--region", "primary", "--json"
    )

    assert result.code == 0, result.out
    assert json.loads(result.out)["newestBackup"]["region"] == PRIMARY_REGION
    assert COPY_CHECK not in checks_by_name(result.out)
    assert not any(region == DR_REGION for _, region, _ in clients.calls)


def test_restore_test_restores_checks_and_deletes_throwaway_cluster(
    aws: None, tmp_path: Path, clients: Clients, clock: FakeClock, run_cli
) -> None:
    deployment = create_deployment(tmp_path, restorable=True)
    stub_vaults(clients, [], [dr_copy(clock, timedelta(hours=30))])  # older than moto's snapshots
    subnet_groups = restored_subnet_groups(clients, PRIMARY_REGION)

    result = run_cli("--outputs", str(deployment.outputs), "backup", "verify", "--restore-test", "--json")

    assert result.code == 0, result.err + result.out
    checks = checks_by_name(result.out)
    assert checks["restore test: cluster became available"] is True
    assert checks["restore test: restored storage is encrypted"] is True
    assert checks["restore test: engine matches the backup"] is True
    assert subnet_groups == [deployment.outputs_dict()["primaryDbSubnetGroupName"]]
    assert throwaway_clusters() == []


def test_restore_test_in_the_dr_region_uses_the_dr_regions_network(
    aws: None, tmp_path: Path, clients: Clients, clock: FakeClock, run_cli
) -> None:
    """Primary down: the newest backup is the DR copy, restored in the DR region into the DR subnet group."""
    deployment = create_deployment(tmp_path, restorable=True)
    west = boto3.client("rds", region_name=DR_REGION)
    west.create_db_cluster(  # stands in for the copied snapshot's source (moto cannot copy across regions)
        DBClusterIdentifier="copy-source",
        Engine="aurora-postgresql",
        EngineVersion="15.4",
        StorageEncrypted=True,
        MasterUsername="memory",
        MasterUserPassword=secrets.token_urlsafe(16),
    )
    snapshot = west.create_db_cluster_snapshot(
        DBClusterIdentifier="copy-source", DBClusterSnapshotIdentifier="awsbackup-copyjob-1"
    )["DBClusterSnapshot"]
    clock.current += timedelta(minutes=10)  # the copy lands after moto's own snapshots of both clusters
    stub_vaults(clients, [], [dr_copy(clock, timedelta(minutes=1), arn=snapshot["DBClusterSnapshotArn"])])
    clients.unreachable.add(PRIMARY_REGION)
    subnet_groups = restored_subnet_groups(clients, DR_REGION)

    result = run_cli(
        "--outputs", str(deployment.outputs), "backup", "verify", "--region", "dr", "--restore-test", "--json"
    )

    assert result.code == 0, result.err + result.out
    assert checks_by_name(result.out)["restore test: cluster became available"] is True
    assert subnet_groups == [deployment.outputs_dict()["drDbSubnetGroupName"]]
    assert not any(region == PRIMARY_REGION for _, region, _ in clients.calls)
    assert throwaway_clusters(DR_REGION) == []


def test_restore_test_deletes_throwaway_cluster_when_wait_times_out(
    aws: None, tmp_path: Path, clients: Clients, clock: FakeClock, run_cli
) -> None:
    deployment = create_deployment(tmp_path, restorable=True)
    stub_vaults(clients, [], [dr_copy(clock, timedelta(hours=30))])
    rds = clients("rds", PRIMARY_REGION)

    def still_creating(parsed: dict[str, Any], **_: Any) -> None:
        for cluster in parsed.get("DBClusters", []):
            if cluster["DBClusterIdentifier"].startswith(RESTORE_TEST_PREFIX):
                cluster["Status"] = "creating"

    rds.meta.events.register("after-call.rds.DescribeDBClusters", still_creating)

    result = run_cli(
        "--outputs",
        str(deployment.outputs),
        "backup",
        "verify",
        "--restore-test",
        "--timeout-minutes",
        "2",
        "--poll-seconds",
        "30",
    )

    assert result.code == 1
    assert "timed out after 120s waiting for restored cluster ops-restore-test-" in result.err
    assert "delete-db-cluster" in result.err  # the manual cleanup command is printed in case it is needed
    assert "DeleteDBCluster" in clients.ops()
    assert throwaway_clusters() == []
    assert sum(clock.sleeps) <= 120 + 30
