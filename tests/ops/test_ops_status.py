"""`platform-ops dr status`: writer region, lag, newest backup against the RPO, DNS - under moto."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import boto3
from ops_testkit import (
    DR_REGION,
    DR_TARGET,
    PRIMARY_ARN,
    PRIMARY_REGION,
    PRIMARY_TARGET,
    RPO_MINUTES,
    SECONDARY_ARN,
    SECONDARY_ID,
    Clients,
    Deployment,
    FakeClock,
    create_deployment,
    recovery_point,
    stub_vaults,
)


def put_lag(clock: FakeClock, milliseconds: float) -> None:
    boto3.client("cloudwatch", region_name=DR_REGION).put_metric_data(
        Namespace="AWS/RDS",
        MetricData=[
            {
                "MetricName": "AuroraGlobalDBReplicationLag",
                "Dimensions": [{"Name": "DBClusterIdentifier", "Value": SECONDARY_ID}],
                "Timestamp": clock.now() - timedelta(minutes=2),
                "Value": milliseconds,
                "Unit": "Milliseconds",
            }
        ],
    )


def test_status_json_reports_writer_lag_and_backup_within_rpo(
    deployment: Deployment, clients: Clients, clock: FakeClock, run_cli
) -> None:
    put_lag(clock, 850.0)
    copy_arn = f"arn:aws:rds:{DR_REGION}:123456789012:cluster-snapshot:awsbackup:copyjob-1"
    stub_vaults(clients, [], [recovery_point(copy_arn, PRIMARY_ARN, clock.now() - timedelta(hours=3))])
    clock.current += timedelta(minutes=5)

    result = run_cli("--outputs", str(deployment.outputs), "dr", "status", "--json")

    assert result.code == 0, result.err + result.out
    report = json.loads(result.out)
    cluster = report["globalCluster"]
    assert cluster["writerRegion"] == PRIMARY_REGION
    roles = {m["arn"]: (m["role"], m["replicationLagMs"]) for m in cluster["members"]}
    assert roles == {PRIMARY_ARN: ("writer", None), SECONDARY_ARN: ("reader", 850.0)}
    assert report["lastBackup"]["kind"] == "cluster-snapshot"
    assert report["lastBackup"]["withinRpo"] is True
    assert report["lastBackup"]["encrypted"] is True
    assert report["lastDrRegionBackup"]["region"] == DR_REGION
    assert report["dns"]["pointsAt"] == PRIMARY_TARGET + "."
    assert report["problems"] == []


def test_status_human_output_names_writer_and_lag(
    deployment: Deployment, clients: Clients, clock: FakeClock, run_cli
) -> None:
    put_lag(clock, 1200.0)
    stub_vaults(clients, [], [])

    result = run_cli("--outputs", str(deployment.outputs), "dr", "status")

    assert result.code == 0, result.err
    assert f"writer region {PRIMARY_REGION}" in result.out
    assert f"reader {SECONDARY_ID} ({DR_REGION}), replication lag 1200 ms" in result.out
    assert "within RPO" in result.out
    assert "problems: none" in result.out


def test_status_flags_stale_backup_and_missing_lag_datapoint(
    deployment: Deployment, clients: Clients, clock: FakeClock, run_cli
) -> None:
    stub_vaults(clients, [], [])
    clock.current += timedelta(minutes=RPO_MINUTES + 30)

    result = run_cli("--outputs", str(deployment.outputs), "dr", "status")

    assert result.code == 1
    assert "replication lag: no datapoint" in result.out
    assert "OLDER THAN RPO" in result.out
    assert f"older than the RPO of {RPO_MINUTES} min" in result.out


def test_status_reports_missing_secondary(aws: None, tmp_path: Path, clients: Clients, run_cli) -> None:
    deployment = create_deployment(tmp_path, with_secondary=False)
    stub_vaults(clients, [], [])

    result = run_cli("--outputs", str(deployment.outputs), "dr", "status", "--json")

    assert result.code == 1
    report = json.loads(result.out)
    assert f"{SECONDARY_ARN} is not a member of memory-global" in report["problems"]


def test_status_flags_dns_pointing_away_from_writer(
    deployment: Deployment, clients: Clients, run_cli
) -> None:
    stub_vaults(clients, [], [])
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
