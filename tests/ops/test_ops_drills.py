"""DR drills: `platform-ops` against the production plan's outputs, deployed into moto.

The plan is the production program planned offline; `plan_deploy.deploy_like` creates in moto the
global database, every Route 53 health check and record the plan registers, the vaults and the EKS
clusters. The clusters' Kubernetes APIs are `kube_fake` servers on loopback ports (the tool connects
with eks:DescribeCluster and an `aws eks get-token` token). An unreachable region's AWS endpoints refuse
connections (a closed local port), as in an outage.

1. Unplanned: the primary region is gone; `dr failover` evacuates to the DR region, and a re-run resumes.
2. Planned: `dr switchover` to the DR region and back with `--to primary`; after each move the printed
   `pulumi config set` is applied and the program re-planned: it registers exactly the records the tool
   left, so the next `pulumi up` keeps them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from kube_fake import Cluster, FakeKubernetes
from ops_testkit import Clients, FakeClock, Result
from plan_deploy import (
    COMMAND,
    Deployed,
    deploy_like,
    moto_records,
    plan_production,
    program_records,
    resolve_api,
)

from offline_plan.document import PlanDocument
from ops.config import load_config

STEP_LOG = re.compile(
    r"^  \[(?P<n>\d+)\] (?P<outcome>ok|skipped|would run|failed)\s+(?P<s>\d+)s  (?P<title>.+)$"
)
FAILOVER_STEPS = (
    "check global cluster",
    "ALLOWING DATA LOSS",
    "wait until memory-production-aurora-dr",
    "scale StatefulSet qdrant/qdrant to 3",
    "scale Deployment memory/memory-api to 3",
    "wait until StatefulSet qdrant/qdrant is ready",
    "rebuild Qdrant from the database",
    "wait until Deployment memory/memory-api is ready",
    "read Route 53 records",
    "apply the Route 53 change",
    "verify:",
)


@pytest.fixture(scope="module")
def plan() -> PlanDocument:
    return plan_production([])


def step_log(out: str) -> list[dict[str, str]]:
    return [m.groupdict() for line in out.splitlines() if (m := STEP_LOG.match(line))]


def writer_region(deployed: Deployed) -> str:
    rds = boto3.client("rds", region_name=deployed.outputs["drRegion"])
    [cluster] = rds.describe_global_clusters()["GlobalClusters"]
    [arn] = [m["DBClusterArn"] for m in cluster["GlobalClusterMembers"] if m["IsWriter"]]
    return str(arn.split(":")[3])


def clusters(kubernetes: FakeKubernetes, deployed: Deployed, dr_replicas: int = 0) -> tuple[Cluster, Cluster]:
    """The primary cluster serving (3 API pods, 3 Qdrant peers) and the DR pilot light."""
    out = deployed.outputs
    found = []
    for name, regional, replicas in (
        (out["primaryClusterName"], out["primaryApiTarget"], 3),
        (out["drClusterName"], out["drApiTarget"], dr_replicas),
    ):
        cluster = kubernetes.cluster(name, regional)
        cluster.add_workload("deployments", out["apiNamespace"], out["apiDeployment"], replicas)
        cluster.add_workload("statefulsets", out["qdrantNamespace"], out["qdrantStatefulSet"], replicas)
        found.append(cluster)
    return found[0], found[1]


def dr_vault_copy(clients: Clients, deployed: Deployed, clock: FakeClock) -> str:
    """A recovery point AWS Backup copied from the primary vault into the DR vault two hours ago."""
    out = deployed.outputs
    arn = f"arn:aws:rds:{out['drRegion']}:123456789012:cluster-snapshot:awsbackup:copyjob-drill"
    created = clock.now() - timedelta(hours=2)
    clients.vaults.put(
        out["drRegion"],
        out["drBackupVaultName"],
        {
            "RecoveryPointArn": arn,
            "ResourceArn": out["primaryClusterArn"],
            "ResourceType": "Aurora",
            "Status": "COMPLETED",
            "CreationDate": created,
            "CompletionDate": created,
            "IsEncrypted": True,
            "EncryptionKeyArn": f"arn:aws:kms:{out['drRegion']}:123456789012:key/backup",
            "BackupVaultName": out["drBackupVaultName"],
            "SourceBackupVaultArn": f"arn:aws:backup:{out['primaryRegion']}:123456789012:backup-vault:"
            + out["backupVaultName"],
        },
    )
    return arn


def kube_writes(cluster: Cluster) -> list[tuple[str, str]]:
    return [(method, path) for method, path in cluster.requests if method in ("PATCH", "POST")]


def test_the_programs_output_is_what_platform_ops_reads(plan: PlanDocument, tmp_path: Path) -> None:
    """The writer validates with the shared model; the reader accepts it and finds the DNS it flips."""
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps({"disasterRecovery": plan.outputs["disasterRecovery"]}))
    config = load_config(path, {})
    assert (config.stack, config.project, config.configured_active_region) == (
        "production",
        "memory-platform",
        "us-east-1",
    )
    assert config.dns_configured
    assert config.api_target_for_region("us-west-2") == "api-us-west-2.memory.example.com"
    assert config.dr_db_subnet_group_name and config.dr_db_security_group_id
    assert config.backup_max_age_hours == 24 + 1 + 6


def test_drill_failover_with_the_primary_region_unreachable(
    plan: PlanDocument,
    clients: Clients,
    clock: FakeClock,
    kubernetes: FakeKubernetes,
    tmp_path: Path,
    run_cli: Callable[..., Result],
) -> None:
    deployed = deploy_like(plan)
    out = deployed.outputs
    primary, dr = clusters(kubernetes, deployed)
    copy_arn = dr_vault_copy(clients, deployed, clock)
    dr_alb = program_records(plan)[out["drApiTarget"]][0]
    outputs = deployed.write(tmp_path, "outputs.json")
    clients.unreachable.add(out["primaryRegion"])

    dry = run_cli("--outputs", str(outputs), "dr", "failover", "--dry-run")
    assert dry.code == 0, dry.err
    assert writer_region(deployed) == out["primaryRegion"]
    assert kube_writes(dr) == []
    outcomes = [entry["outcome"] for entry in step_log(dry.out)]
    assert outcomes == ["ok"] + ["would run"] * 7 + ["ok", "would run", "would run"]  # reads only
    assert f"PRIMARY -> {out['drApiTarget']}" in dry.out  # the DNS change it would make

    calls_before = len(clients.calls)
    result = run_cli("--outputs", str(outputs), "dr", "failover", "--yes")
    failover_calls = clients.calls[calls_before:]
    backups = run_cli("--outputs", str(outputs), "backup", "verify", "--region", "dr", "--json")

    assert result.code == 0, result.err
    # What a user cares about: the writer, the DNS, the API, the backups.
    assert writer_region(deployed) == out["drRegion"]
    assert resolve_api(deployed.zone_id) == [out["drApiTarget"], dr_alb]
    assert dr.replicas("deployments", "memory", "memory-api") == out["drApiReplicas"] == 3
    assert dr.replicas("statefulsets", "qdrant", "qdrant") == out["drQdrantReplicas"] == 3
    [job] = dr.jobs()
    [container] = job["spec"]["template"]["spec"]["containers"]
    assert (container["command"], container["args"]) == (["memory-api"], ["reindex"])
    assert "ports" not in container  # the Service never routes to the reindex Job
    assert f"GET https://{out['drApiTarget']}/health/ready -> 200" in result.out
    assert backups.code == 0, backups.out
    report = json.loads(backups.out)
    assert report["newestBackup"]["region"] == out["drRegion"]
    [copy_check] = [c for c in report["checks"] if "copy of the primary vault" in c["name"]]
    assert copy_check["passed"] and copy_arn in copy_check["detail"]
    # The step log shows every step, in order, with its duration.
    log = step_log(result.out)
    assert [int(e["n"]) for e in log] == list(range(1, len(FAILOVER_STEPS) + 1))
    for entry, words in zip(log, FAILOVER_STEPS, strict=True):
        assert words in entry["title"], entry
        assert entry["outcome"] == "ok"
    assert re.search(r"^  total \d+s over 11 steps$", result.out, re.MULTILINE)
    assert primary.requests == []  # nothing in the primary region was asked
    assert not any(region == out["primaryRegion"] for _, region, _ in failover_calls)

    again = run_cli("--outputs", str(outputs), "dr", "failover", "--yes")

    assert again.code == 0, again.err
    writes = [e["title"] for e in step_log(again.out) if e["outcome"] == "skipped"]
    assert len(writes) == 5  # promote, two scales, reindex, DNS: all found done
    assert len(dr.jobs()) == 1
    assert [op for op, _ in clients.global_clusters.requests] == ["FailoverGlobalCluster"]


def test_drill_an_interrupted_failover_resumes_from_real_state(
    plan: PlanDocument,
    clients: Clients,
    clock: FakeClock,
    kubernetes: FakeKubernetes,
    tmp_path: Path,
    run_cli: Callable[..., Result],
) -> None:
    deployed = deploy_like(plan)
    out = deployed.outputs
    _, dr = clusters(kubernetes, deployed)
    dr.job_polls = 10  # the reindex outlasts the first run's patience
    outputs = deployed.write(tmp_path, "outputs.json")
    clients.unreachable.add(out["primaryRegion"])

    first = run_cli(
        "--outputs", str(outputs), "dr", "failover", "--yes", "--timeout-minutes", "1", "--poll-seconds", "20"
    )
    assert first.code == 1
    assert "step 7/11" in first.err and "timed out" in first.err
    assert resolve_api(deployed.zone_id)[0] == out["primaryApiTarget"]  # DNS not moved yet

    second = run_cli("--outputs", str(outputs), "dr", "failover", "--yes", "--poll-seconds", "20")

    assert second.code == 0, second.err
    outcomes = {int(e["n"]): e["outcome"] for e in step_log(second.out)}
    assert [outcomes[n] for n in (2, 4, 5)] == ["skipped"] * 3  # promote and scaling were done
    assert outcomes[7] == outcomes[10] == "ok"  # the reindex is waited for, then DNS moves
    assert len(dr.jobs()) == 1  # the running Job is waited for, not started twice
    assert resolve_api(deployed.zone_id)[0] == out["drApiTarget"]
    assert [op for op, _ in clients.global_clusters.requests] == ["FailoverGlobalCluster"]


def apply_command(result: Result) -> tuple[re.Match[str], PlanDocument]:
    command = COMMAND.search(result.out)
    assert command is not None, result.out
    return command, plan_production([command])


def test_drill_planned_switchover_and_back_agrees_with_the_next_pulumi_up(
    plan: PlanDocument,
    clients: Clients,
    kubernetes: FakeKubernetes,
    tmp_path: Path,
    run_cli: Callable[..., Result],
) -> None:
    deployed = deploy_like(plan)
    out = deployed.outputs
    primary, dr = clusters(kubernetes, deployed, dr_replicas=1)
    before: dict[str, Any] = program_records(plan)
    assert moto_records(deployed.zone_id) == before
    primary_alb = before[out["primaryApiTarget"]][0]
    dr_alb = before[out["drApiTarget"]][0]

    to_dr = run_cli("--outputs", str(deployed.write(tmp_path, "before.json")), "dr", "switchover", "--yes")

    assert to_dr.code == 0, to_dr.err
    assert writer_region(deployed) == out["drRegion"]
    assert resolve_api(deployed.zone_id) == [out["drApiTarget"], dr_alb]
    assert dr.replicas("deployments", "memory", "memory-api") == 3
    command, after = apply_command(to_dr)
    assert command["value"] == after.outputs["disasterRecovery"]["activeRegion"] == out["drRegion"]
    assert moto_records(deployed.zone_id) == program_records(after)  # `pulumi up` keeps the move
    assert program_records(after)["PRIMARY"] == (out["drApiTarget"], out["drApiTarget"])

    back = run_cli(
        "--outputs",
        str(deployed.write(tmp_path, "after.json", activeRegion=out["drRegion"])),
        "dr",
        "switchover",
        "--to",
        "primary",
        "--yes",
    )

    assert back.code == 0, back.err
    assert writer_region(deployed) == out["primaryRegion"]
    assert resolve_api(deployed.zone_id) == [out["primaryApiTarget"], primary_alb]
    assert len(primary.jobs()) == 1  # the primary's Qdrant is rebuilt with the writes made in DR
    assert kube_writes(primary) == [("POST", "/apis/batch/v1/namespaces/memory/jobs")]  # no scaling
    assert f"GET https://{out['primaryApiTarget']}/health/ready -> 200" in back.out
    command, again = apply_command(back)
    assert command["value"] == out["primaryRegion"]
    assert moto_records(deployed.zone_id) == program_records(again) == before
    assert [op for op, _ in clients.global_clusters.requests] == [
        "SwitchoverGlobalCluster",
        "SwitchoverGlobalCluster",
    ]
