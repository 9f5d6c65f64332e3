"""`platform-ops dr switchover|failover`: plans, dry runs, confirmations, waits and the Route 53 flip.

moto implements describe_global_clusters but not switchover_global_cluster / failover_global_cluster;
`GlobalClusterFake` (ops_testkit) serves those two by moving the writer inside moto's global cluster, so
every test reads the outcome back from moto. Only the two tests of polling through an in-progress
operation (which moto cannot show) script describe_global_clusters with botocore's Stubber.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from ops_testkit import (
    ACCOUNT,
    DR_REGION,
    DR_TARGET,
    GLOBAL_ID,
    HOSTNAME,
    PRIMARY_ARN,
    PRIMARY_ID,
    PRIMARY_REGION,
    PRIMARY_TARGET,
    PROJECT,
    SECONDARY_ARN,
    SECONDARY_ID,
    STACK,
    VAULT_ARN,
    Clients,
    Deployment,
    FakeClock,
    create_deployment,
    fake_error,
    recovery_point,
    stub_vaults,
    throttle,
)


def global_cluster(writer: str, status: str = "available", operation: str | None = None) -> dict[str, Any]:
    members = [
        {"DBClusterArn": arn, "IsWriter": arn == writer, "Readers": []}
        for arn in (PRIMARY_ARN, SECONDARY_ARN)
    ]
    cluster: dict[str, Any] = {
        "GlobalClusterIdentifier": GLOBAL_ID,
        "Status": status,
        "Engine": "aurora-postgresql",
        "EngineVersion": "15.4",
        "GlobalClusterMembers": members,
    }
    if operation:
        cluster["FailoverState"] = {
            "Status": operation,
            "FromDbClusterArn": PRIMARY_ARN,
            "ToDbClusterArn": SECONDARY_ARN,
        }
    return {"GlobalClusters": [cluster]}


DESCRIBE = {"GlobalClusterIdentifier": GLOBAL_ID}
TARGET = {"GlobalClusterIdentifier": GLOBAL_ID, "TargetDbClusterIdentifier": SECONDARY_ARN}


def failover_records(deployment: Deployment) -> dict[str, dict[str, Any]]:
    records = boto3.client("route53").list_resource_record_sets(HostedZoneId=deployment.zone_id)[
        "ResourceRecordSets"
    ]
    return {r["Failover"]: r for r in records if r.get("Failover")}


def assert_dns_points_at_dr(deployment: Deployment) -> None:
    """What the program registers with dr.activeRegion = the DR region: each record keeps the health
    check of the region it points at, and the checks themselves still probe their own regions."""
    records = failover_records(deployment)
    assert records["PRIMARY"]["ResourceRecords"] == [{"Value": DR_TARGET}]
    assert records["PRIMARY"]["HealthCheckId"] == deployment.dr_health_check
    assert records["SECONDARY"]["ResourceRecords"] == [{"Value": PRIMARY_TARGET}]
    assert records["SECONDARY"]["HealthCheckId"] == deployment.primary_health_check
    assert health_check_fqdns(deployment) == (PRIMARY_TARGET, DR_TARGET)


def assert_dns_untouched(deployment: Deployment) -> None:
    records = failover_records(deployment)
    assert records["PRIMARY"]["ResourceRecords"] == [{"Value": PRIMARY_TARGET}]
    assert records["PRIMARY"]["HealthCheckId"] == deployment.primary_health_check
    assert records["SECONDARY"]["ResourceRecords"] == [{"Value": DR_TARGET}]
    assert health_check_fqdns(deployment) == (PRIMARY_TARGET, DR_TARGET)


def health_check_fqdns(deployment: Deployment) -> tuple[str, str]:
    route53 = boto3.client("route53")
    return tuple(  # type: ignore[return-value]
        route53.get_health_check(HealthCheckId=check)["HealthCheck"]["HealthCheckConfig"][
            "FullyQualifiedDomainName"
        ]
        for check in (deployment.primary_health_check, deployment.dr_health_check)
    )


def writer() -> str:
    """The writer as moto reports it (read through the DR region)."""
    clusters = boto3.client("rds", region_name=DR_REGION).describe_global_clusters()["GlobalClusters"]
    [arn] = [m["DBClusterArn"] for m in clusters[0]["GlobalClusterMembers"] if m["IsWriter"]]
    return str(arn)


STEP_WORDS = (
    "check global cluster",
    "ALLOWING DATA LOSS|switch over",
    "wait until",
    "read Route 53",
    "apply the Route 53",
    "verify",
)


@pytest.mark.parametrize("command", ["switchover", "failover"])
def test_dry_run_prints_every_step_and_calls_no_write_api(
    deployment: Deployment, clients: Clients, run_cli, command: str
) -> None:
    result = run_cli("--outputs", str(deployment.outputs), "dr", command, "--dry-run")

    assert result.code == 0, result.err
    plan = [line for line in result.out.splitlines() if line.lstrip()[:3] in {f"{n}. " for n in range(1, 10)}]
    assert len(plan) == 6
    for line, words in zip(plan, STEP_WORDS, strict=True):
        assert any(w in line for w in words.split("|")), line
    assert "[dry-run: would write]" in result.out
    assert "PRIMARY -> " + DR_TARGET in result.out  # the planned DNS change is shown
    assert clients.write_calls() == []
    assert "DescribeGlobalClusters" in clients.ops()
    assert_dns_untouched(deployment)
    writer = boto3.client("rds", region_name=DR_REGION).describe_global_clusters()["GlobalClusters"][0]
    assert [m["DBClusterArn"] for m in writer["GlobalClusterMembers"] if m["IsWriter"]] == [PRIMARY_ARN]


def config_command(region: str) -> str:
    return f"pulumi config set --stack {STACK} --path '{PROJECT}:dr.activeRegion' {region}"


def test_switchover_moves_the_writer_and_dns_and_names_the_config_change(
    deployment: Deployment, clients: Clients, run_cli, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="ops")

    result = run_cli("--outputs", str(deployment.outputs), "dr", "switchover", "--yes")

    assert result.code == 0, result.err
    assert writer() == SECONDARY_ARN
    assert_dns_points_at_dr(deployment)
    assert f"switchover complete: {SECONDARY_ID} writes in {DR_REGION}" in result.out
    assert "ACTION REQUIRED before the next `pulumi up`" in result.out
    assert config_command(DR_REGION) in result.out
    assert [op for op, _ in clients.global_clusters.requests] == ["SwitchoverGlobalCluster"]
    for number in range(1, 7):  # every step is logged when it starts and ends, with its duration
        assert f"step {number}/6 start:" in caplog.text
        assert f"step {number}/6 done in " in caplog.text


def test_switchover_waits_while_the_operation_is_in_progress(
    deployment: Deployment, clients: Clients, clock: FakeClock, run_cli
) -> None:
    rds = clients.stub("rds", DR_REGION)  # moto cannot show an in-progress switchover: scripted
    rds.add_response("describe_global_clusters", global_cluster(PRIMARY_ARN), DESCRIBE)
    rds.add_response("switchover_global_cluster", {"GlobalCluster": {}}, TARGET)
    rds.add_response(
        "describe_global_clusters", global_cluster(PRIMARY_ARN, "switching-over", "switching-over"), DESCRIBE
    )
    rds.add_response("describe_global_clusters", global_cluster(SECONDARY_ARN), DESCRIBE)
    rds.add_response("describe_global_clusters", global_cluster(SECONDARY_ARN), DESCRIBE)

    result = run_cli(
        "--outputs", str(deployment.outputs), "dr", "switchover", "--yes", "--poll-seconds", "20"
    )

    assert result.code == 0, result.err
    rds.assert_no_pending_responses()
    assert clock.sleeps == [20]
    assert_dns_points_at_dr(deployment)


def test_switchover_falls_back_to_failover_api_with_switchover_flag(
    deployment: Deployment, clients: Clients, run_cli
) -> None:
    clients("rds", DR_REGION).meta.events.register_first(
        "before-call.rds.SwitchoverGlobalCluster",
        lambda **_: fake_error("InvalidAction", "not available in this partition"),
    )

    result = run_cli("--outputs", str(deployment.outputs), "dr", "switchover", "--yes")

    assert result.code == 0, result.err
    assert "failover_global_cluster(Switchover=True)" in result.out
    assert writer() == SECONDARY_ARN
    [(operation, params)] = clients.global_clusters.requests
    assert (operation, params.get("Switchover"), params.get("AllowDataLoss")) == (
        "FailoverGlobalCluster",
        "true",
        None,
    )


def test_switchover_with_the_primary_region_down_is_refused_before_dns(
    deployment: Deployment, clients: Clients, run_cli
) -> None:
    clients.unreachable.add(PRIMARY_REGION)

    result = run_cli("--outputs", str(deployment.outputs), "dr", "switchover", "--yes")

    assert result.code == 1
    assert "step 2/6" in result.err
    assert "InvalidGlobalClusterStateFault" in result.err
    assert "next: nothing changed yet" in result.err
    assert writer() == PRIMARY_ARN
    assert_dns_untouched(deployment)


def test_failover_drill_with_the_primary_region_unreachable(
    deployment: Deployment, clients: Clients, clock: FakeClock, run_cli
) -> None:
    """The primary region's endpoints refuse connections; everything the runbook runs still works."""
    clients.unreachable.add(PRIMARY_REGION)
    put_copy = recovery_point(
        f"arn:aws:rds:{DR_REGION}:{ACCOUNT}:cluster-snapshot:awsbackup:copyjob-1",
        PRIMARY_ARN,
        clock.now() - timedelta(hours=2),
        copied_from=VAULT_ARN,
    )
    stub_vaults(clients, [], [put_copy])

    before = run_cli("--outputs", str(deployment.outputs), "dr", "status")
    dry = run_cli("--outputs", str(deployment.outputs), "dr", "failover", "--dry-run")
    result = run_cli("--outputs", str(deployment.outputs), "dr", "failover", "--yes")
    backups = run_cli("--outputs", str(deployment.outputs), "backup", "verify", "--region", "dr", "--json")

    assert f"{PRIMARY_REGION} is unreachable" in before.out
    assert dry.code == 0, dry.err
    assert result.code == 0, result.err
    assert "WARNING: a failover allows data loss" in result.out
    assert writer() == SECONDARY_ARN
    assert_dns_points_at_dr(deployment)
    assert config_command(DR_REGION) in result.out
    steps = [line for line in result.out.splitlines() if re.match(r"\s+step \d/6 ok \(\d+s\): ", line)]
    assert len(steps) == 6
    assert backups.code == 0, backups.out
    assert json.loads(backups.out)["newestBackup"]["region"] == DR_REGION
    assert not any(
        region == PRIMARY_REGION and op.startswith(("Failover", "Switchover", "Change"))
        for _, region, op in clients.calls
    )


def test_fail_back_to_primary_restores_the_original_records(
    deployment: Deployment, clients: Clients, run_cli
) -> None:
    clients.unreachable.add(PRIMARY_REGION)
    assert run_cli("--outputs", str(deployment.outputs), "dr", "failover", "--yes").code == 0
    clients.unreachable.clear()  # the primary region is back, and the config now says DR is active
    outputs = deployment.write_outputs(activeRegion=DR_REGION)

    result = run_cli("--outputs", str(outputs), "dr", "switchover", "--to", "primary", "--yes")

    assert result.code == 0, result.err
    assert writer() == PRIMARY_ARN
    assert_dns_untouched(deployment)
    assert f"switchover complete: {PRIMARY_ID} writes in {PRIMARY_REGION}" in result.out
    assert config_command(PRIMARY_REGION) in result.out
    assert clients.global_clusters.requests[-1] == (
        "SwitchoverGlobalCluster",
        {
            "Action": "SwitchoverGlobalCluster",
            "Version": "2014-10-31",
            "GlobalClusterIdentifier": GLOBAL_ID,
            "TargetDbClusterIdentifier": PRIMARY_ARN,
        },
    )


def test_failover_times_out_with_bounded_polling_and_leaves_dns(
    deployment: Deployment, clients: Clients, clock: FakeClock, run_cli
) -> None:
    rds = clients.stub("rds", DR_REGION)  # an operation stuck in progress: scripted
    rds.add_response("describe_global_clusters", global_cluster(PRIMARY_ARN), DESCRIBE)
    rds.add_response("failover_global_cluster", {"GlobalCluster": {}}, {**TARGET, "AllowDataLoss": True})
    for _ in range(4):
        rds.add_response(
            "describe_global_clusters", global_cluster(PRIMARY_ARN, "failing-over", "failing-over"), DESCRIBE
        )

    result = run_cli(
        "--outputs",
        str(deployment.outputs),
        "dr",
        "failover",
        "--yes",
        "--timeout-minutes",
        "1",
        "--poll-seconds",
        "20",
    )

    assert result.code == 1
    assert clock.sleeps == [20, 20, 20]
    assert "timed out after 60s waiting for memory-dr to become the writer" in result.err
    assert "operation failing-over" in result.err
    assert "next: the failover is still running or stuck" in result.err
    assert_dns_untouched(deployment)


def test_failover_without_secondary_stops_and_points_to_restore(
    aws: None, tmp_path: Path, clients: Clients, run_cli
) -> None:
    deployment = create_deployment(tmp_path, with_secondary=False)

    result = run_cli("--outputs", str(deployment.outputs), "dr", "failover", "--yes")

    assert result.code == 1
    assert f"{SECONDARY_ID} is not a member of global cluster {GLOBAL_ID}" in result.err
    assert "backup-verify-and-restore.md" in result.err
    assert clients.write_calls() == []
    assert_dns_untouched(deployment)


def test_switchover_refuses_without_confirmation(deployment: Deployment, clients: Clients, run_cli) -> None:
    result = run_cli("--outputs", str(deployment.outputs), "dr", "switchover")

    assert result.code == 2
    assert "re-run with --yes" in result.err
    assert clients.ops() == []  # nothing, not even a read, before confirmation

    wrong = run_cli("--outputs", str(deployment.outputs), "dr", "switchover", answer="yes")
    assert wrong.code == 1
    assert "not confirmed; nothing was changed" in wrong.err
    assert clients.write_calls() == []


def test_confirmed_switchover_runs(deployment: Deployment, clients: Clients, run_cli) -> None:
    result = run_cli("--outputs", str(deployment.outputs), "dr", "switchover", answer=GLOBAL_ID)

    assert result.code == 0, result.err
    assert writer() == SECONDARY_ARN
    assert_dns_points_at_dr(deployment)


def test_switchover_when_target_already_writes_only_fixes_dns(
    deployment: Deployment, clients: Clients, run_cli
) -> None:
    clients("rds", DR_REGION).failover_global_cluster(
        GlobalClusterIdentifier=GLOBAL_ID, TargetDbClusterIdentifier=SECONDARY_ARN, AllowDataLoss=True
    )
    clients.global_clusters.requests.clear()

    result = run_cli("--outputs", str(deployment.outputs), "dr", "switchover", "--yes")

    assert result.code == 0, result.err
    assert "already the writer" in result.out
    assert clients.global_clusters.requests == []
    assert_dns_points_at_dr(deployment)


def test_throttled_read_is_retried_then_succeeds(deployment: Deployment, clients: Clients, run_cli) -> None:
    attempts = throttle(clients("rds", DR_REGION), "DescribeGlobalClusters", times=2)

    result = run_cli("--outputs", str(deployment.outputs), "dr", "switchover", "--dry-run")

    assert result.code == 0, result.err
    assert len(attempts) == 3  # two throttled tries, the third answered by moto


def test_persistent_throttling_gives_clear_error(deployment: Deployment, clients: Clients, run_cli) -> None:
    attempts = throttle(clients("rds", DR_REGION), "DescribeGlobalClusters", times=100)

    result = run_cli("--outputs", str(deployment.outputs), "dr", "failover", "--yes")

    assert result.code == 1
    assert len(attempts) == clients.max_attempts
    assert "AWS throttled describe_global_clusters in us-west-2 (Throttling) on all 3 attempts" in result.err
    assert "next: wait a few minutes (or raise --max-attempts) and re-run" in result.err
    assert clients.write_calls() == []


def test_hostname_without_failover_pair_or_cname_stops_with_message(
    deployment: Deployment, clients: Clients, run_cli
) -> None:
    route53 = boto3.client("route53")
    records = list(failover_records(deployment).values())
    route53.change_resource_record_sets(
        HostedZoneId=deployment.zone_id,
        ChangeBatch={"Changes": [{"Action": "DELETE", "ResourceRecordSet": r} for r in records]},
    )

    result = run_cli("--outputs", str(deployment.outputs), "dr", "switchover", "--dry-run")

    assert result.code == 1
    assert (
        f"{HOSTNAME} in zone {deployment.zone_id} has neither a PRIMARY/SECONDARY failover pair" in result.err
    )
    assert "Route 53 console" in result.err
