"""`platform-ops backup verify [--restore-test]` under moto (AWS Backup recovery points via Stubber)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
from ops_testkit import (
    DR_REGION,
    PRIMARY_ARN,
    PRIMARY_REGION,
    RPO_MINUTES,
    Clients,
    Deployment,
    FakeClock,
    create_deployment,
    recovery_point,
    stub_vaults,
)

from ops.backups import RESTORE_TEST_PREFIX


def checks_by_name(output: str) -> dict[str, bool]:
    return {c["name"]: c["passed"] for c in json.loads(output)["checks"]}


def throwaway_clusters() -> list[str]:
    clusters = boto3.client("rds", region_name=PRIMARY_REGION).describe_db_clusters()["DBClusters"]
    return [
        c["DBClusterIdentifier"] for c in clusters if c["DBClusterIdentifier"].startswith(RESTORE_TEST_PREFIX)
    ]


def test_verify_passes_for_fresh_encrypted_backup_with_dr_copy(
    deployment: Deployment, clients: Clients, run_cli
) -> None:
    stub_vaults(clients, [], [])

    result = run_cli("--outputs", str(deployment.outputs), "backup", "verify", "--json")

    assert result.code == 0, result.err + result.out
    assert checks_by_name(result.out) == {
        "newest backup exists": True,
        "newest backup is younger than the RPO": True,
        "newest backup is encrypted": True,
        f"a backup exists in the DR region {DR_REGION}": True,
    }


def test_verify_fails_on_stale_backup(
    deployment: Deployment, clients: Clients, clock: FakeClock, run_cli
) -> None:
    stub_vaults(clients, [], [])
    clock.current += timedelta(minutes=RPO_MINUTES + 1)

    result = run_cli("--outputs", str(deployment.outputs), "backup", "verify")

    assert result.code == 1
    assert (
        f"FAIL  newest backup is younger than the RPO: {RPO_MINUTES + 1} min old, RPO {RPO_MINUTES} min"
        in result.out
    )
    assert "FAILED - see docs/runbooks/backup-verify-and-restore.md" in result.out


def test_verify_fails_on_unencrypted_snapshot(aws: None, tmp_path: Path, clients: Clients, run_cli) -> None:
    deployment = create_deployment(tmp_path, encrypted=False)
    stub_vaults(clients, [], [])

    result = run_cli("--outputs", str(deployment.outputs), "backup", "verify", "--json")

    assert result.code == 1
    checks = checks_by_name(result.out)
    assert checks["newest backup is encrypted"] is False
    assert checks["newest backup is younger than the RPO"] is True


def test_newest_aws_backup_recovery_point_wins_and_is_checked(
    deployment: Deployment, clients: Clients, clock: FakeClock, run_cli
) -> None:
    clock.current += timedelta(minutes=RPO_MINUTES + 5)  # moto's snapshots are now stale
    fresh_arn = f"arn:aws:rds:{PRIMARY_REGION}:123456789012:cluster-snapshot:awsbackup:job-fresh"
    other_cluster = f"arn:aws:rds:{PRIMARY_REGION}:123456789012:cluster:someone-else"
    stub_vaults(
        clients,
        [
            recovery_point(fresh_arn, PRIMARY_ARN, clock.now() - timedelta(minutes=10), encrypted=False),
            recovery_point(fresh_arn + "-x", other_cluster, clock.now()),  # not ours: ignored
        ],
        [],
    )

    result = run_cli("--outputs", str(deployment.outputs), "backup", "verify", "--json")

    report = json.loads(result.out)
    assert report["newestBackup"]["arn"] == fresh_arn
    assert report["newestBackup"]["kind"] == "aws-backup"
    checks = checks_by_name(result.out)
    assert checks["newest backup is younger than the RPO"] is True
    assert checks["newest backup is encrypted"] is False
    assert result.code == 1


def test_restore_test_restores_checks_and_deletes_throwaway_cluster(
    aws: None, tmp_path: Path, clients: Clients, run_cli
) -> None:
    deployment = create_deployment(tmp_path, restorable=True)
    stub_vaults(clients, [], [])

    result = run_cli("--outputs", str(deployment.outputs), "backup", "verify", "--restore-test", "--json")

    assert result.code == 0, result.err + result.out
    checks = checks_by_name(result.out)
    assert checks["restore test: cluster became available"] is True
    assert checks["restore test: restored storage is encrypted"] is True
    assert checks["restore test: engine matches the backup"] is True
    assert "RestoreDBClusterFromSnapshot" in clients.ops()
    assert "DeleteDBCluster" in clients.ops()
    assert throwaway_clusters() == []


def test_restore_test_deletes_throwaway_cluster_when_wait_times_out(
    aws: None, tmp_path: Path, clients: Clients, clock: FakeClock, run_cli
) -> None:
    deployment = create_deployment(tmp_path, restorable=True)
    stub_vaults(clients, [], [])
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
