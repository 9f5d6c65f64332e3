"""`platform-ops dr status`: writer region, lag against the RPO, backups against their schedule, DNS."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import boto3
from ops_testkit import (
    BACKUP_MAX_AGE_HOURS,
    DR_REGION,
    DR_TARGET,
    PRIMARY_ARN,
    PRIMARY_REGION,
    PRIMARY_TARGET,
    PROJECT,
    RPO_MINUTES,
    SECONDARY_ARN,
    SECONDARY_ID,
    STACK,
    VAULT_ARN,
    Clients,
    Deployment,
    FakeClock,
    create_deployment,
    recovery_point,
    stub_vaults,
)


def put_lag(clock: FakeClock, milliseconds: float, metric: str = "AuroraGlobalDBRPOLag") -> None:
    boto3.client("cloudwatch", region_name=DR_REGION).put_metric_data(
        Namespace="AWS/RDS",
        MetricData=[
            {
                "MetricName": metric,
                "Dimensions": [{"Name": "DBClusterIdentifier", "Value": SECONDARY_ID}],
                "Timestamp": clock.now() - timedelta(minutes=2),
                "Value": milliseconds,
                "Unit": "Milliseconds",
            }
        ],
    )


def put_copy(clients: Clients, clock: FakeClock, age: timedelta = timedelta(hours=3)) -> str:
    arn = f"arn:aws:rds:{DR_REGION}:123456789012:cluster-snapshot:awsbackup:copyjob-1"
    stub_vaults(clients, [], [recovery_point(arn, PRIMARY_ARN, clock.now() - age, copied_from=VAULT_ARN)])
    return arn


def test_status_json_reports_writer_lag_and_backups(
    deployment: Deployment, clients: Clients, clock: FakeClock, run_cli
) -> None:
    put_lag(clock, 850.0)
    copy_arn = put_copy(clients, clock)
    clock.current += timedelta(minutes=5)

    result = run_cli("--outputs", str(deployment.outputs), "dr", "status", "--json")

    assert result.code == 0, result.err + result.out
    report = json.loads(result.out)
    cluster = report["globalCluster"]
    assert cluster["writerRegion"] == PRIMARY_REGION
    roles = {m["arn"]: (m["role"], m["replicationLagMs"], m["withinRpo"]) for m in cluster["members"]}
    assert roles == {PRIMARY_ARN: ("writer", None, None), SECONDARY_ARN: ("reader", 850.0, True)}
    assert report["backups"][PRIMARY_REGION]["withinSchedule"] is True
    assert report["backups"][PRIMARY_REGION]["encrypted"] is True
    assert report["lastDrCopy"]["arn"] == copy_arn
    assert report["dns"]["pointsAt"] == PRIMARY_TARGET + "."
    assert report["unreachable"] == {}
    assert report["problems"] == []


def test_replication_lag_beyond_the_rpo_is_a_problem(
    deployment: Deployment, clients: Clients, clock: FakeClock, run_cli
) -> None:
    put_lag(clock, (RPO_MINUTES * 60 + 30) * 1000.0)
    put_copy(clients, clock)

    result = run_cli("--outputs", str(deployment.outputs), "dr", "status")

    assert result.code == 1
    assert "OVER THE RPO" in result.out
    assert f"more than the RPO of {RPO_MINUTES} min" in result.out


def test_older_metric_is_used_when_the_rpo_lag_metric_is_absent(
    deployment: Deployment, clients: Clients, clock: FakeClock, run_cli
) -> None:
    put_lag(clock, 1200.0, metric="AuroraGlobalDBReplicationLag")
    put_copy(clients, clock)

    result = run_cli("--outputs", str(deployment.outputs), "dr", "status")

    assert result.code == 0, result.out
    assert f"reader {SECONDARY_ID} ({DR_REGION}), replication lag 1200 ms (AuroraGlobalDBReplicationLag" in (
        result.out
    )
    assert "problems: none" in result.out


def test_daily_backups_hours_old_are_within_schedule_though_older_than_the_rpo(
    deployment: Deployment, clients: Clients, clock: FakeClock, run_cli
) -> None:
    clock.current += timedelta(minutes=RPO_MINUTES * 4)
    put_lag(clock, 400.0)
    put_copy(clients, clock)

    result = run_cli("--outputs", str(deployment.outputs), "dr", "status", "--json")

    assert result.code == 0, result.out
    report = json.loads(result.out)
    assert report["backups"][PRIMARY_REGION]["ageMinutes"] > RPO_MINUTES
    assert report["backups"][PRIMARY_REGION]["withinSchedule"] is True


def test_missed_backup_schedule_and_missing_lag_datapoint_are_problems(
    deployment: Deployment, clients: Clients, clock: FakeClock, run_cli
) -> None:
    put_copy(clients, clock, age=timedelta(hours=1))
    clock.current += timedelta(hours=BACKUP_MAX_AGE_HOURS + 1)

    result = run_cli("--outputs", str(deployment.outputs), "dr", "status")

    assert result.code == 1
    assert "replication lag: no datapoint" in result.out
    assert "OLDER THAN THE SCHEDULE ALLOWS" in result.out
    assert f"older than the backup schedule allows ({BACKUP_MAX_AGE_HOURS} h)" in result.out


def test_status_with_the_primary_region_unreachable_shows_the_dr_region(
    deployment: Deployment, clients: Clients, clock: FakeClock, run_cli
) -> None:
    clients.unreachable.add(PRIMARY_REGION)
    put_lag(clock, 700.0)
    copy_arn = put_copy(clients, clock)

    result = run_cli("--outputs", str(deployment.outputs), "dr", "status", "--json")

    assert result.code == 1
    report = json.loads(result.out)
    assert report["globalCluster"]["writerRegion"] == PRIMARY_REGION  # read through the DR region
    assert report["lastDrRegionBackup"]["region"] == DR_REGION
    assert report["lastDrCopy"]["arn"] == copy_arn
    assert report["backups"][PRIMARY_REGION] is None
    assert set(report["unreachable"]) == {PRIMARY_REGION}
    assert any(p.startswith(f"unreachable: {PRIMARY_REGION} is unreachable") for p in report["problems"])

    human = run_cli("--outputs", str(deployment.outputs), "dr", "status")
    assert f"backups in {PRIMARY_REGION}: UNREACHABLE" in human.out
    assert f"newest backup in {DR_REGION}: " in human.out


def test_status_reports_missing_secondary(aws: None, tmp_path: Path, clients: Clients, run_cli) -> None:
    deployment = create_deployment(tmp_path, with_secondary=False)

    result = run_cli("--outputs", str(deployment.outputs), "dr", "status", "--json")

    assert result.code == 1
    report = json.loads(result.out)
    assert f"{SECONDARY_ARN} is not a member of memory-global" in report["problems"]


def test_status_flags_dns_pointing_away_from_writer(
    deployment: Deployment, clients: Clients, clock: FakeClock, run_cli
) -> None:
    put_lag(clock, 100.0)
    put_copy(clients, clock)
    route53 = boto3.client("route53")
    records = route53.list_resource_record_sets(HostedZoneId=deployment.zone_id)["ResourceRecordSets"]
    primary = next(r for r in records if r.get("Failover") == "PRIMARY")
    primary["ResourceRecords"] = [{"Value": DR_TARGET}]
    route53.change_resource_record_sets(
        HostedZoneId=deployment.zone_id,
        ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": primary}]},
    )

    result = run_cli("--outputs", str(deployment.outputs), "dr", "status")

    assert result.code == 1
    assert f"points at {DR_TARGET}., but the writer is in {PRIMARY_REGION}" in result.out


def test_status_names_the_config_command_when_the_writer_moved_without_it(
    deployment: Deployment, clients: Clients, clock: FakeClock, run_cli
) -> None:
    put_copy(clients, clock)
    rds = clients("rds", DR_REGION)
    rds.failover_global_cluster(  # moved by someone else (console, a previous run), config not updated
        GlobalClusterIdentifier="memory-global", TargetDbClusterIdentifier=SECONDARY_ARN, AllowDataLoss=True
    )

    result = run_cli("--outputs", str(deployment.outputs), "dr", "status")

    assert result.code == 1
    assert (
        f"the writer is in {DR_REGION} but the stack config makes {PRIMARY_REGION} active: run "
        f"`pulumi config set --stack {STACK} --path '{PROJECT}:dr.activeRegion' {DR_REGION}`"
    ) in result.out
