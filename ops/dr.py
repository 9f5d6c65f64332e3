"""Moves the service to the other region: the Aurora writer, the workloads, Qdrant's data, the API hostname.

The evacuation, in order: promote the target cluster, scale the target region's workloads up (Qdrant
StatefulSet, memory API Deployment), rebuild Qdrant from the database (`memory-api reindex` Job), point
the API hostname at the target region, verify (writer region, DNS, API readiness). The workload steps
(`ops.workloads`) run when the outputs name the region's EKS cluster and workloads; the DNS steps when
they name the hosted zone. Each write step first reads the real state (writer, replica counts, the Job,
the records) and is skipped when already done, so re-running the command resumes an interrupted run;
`--dry-run` runs the reads and shows which writes would run and which are already done. Every step is
logged with its duration, and the run ends with the step log.

Two ways to move the writer, both built as an explicit list of steps, and a failed step stops the run
with what to do next:

- switchover (planned, no data loss): `switchover_global_cluster`, which waits for the secondary to catch
  up before promoting it and keeps the global topology. If the API is unavailable to the caller, the
  documented fallback is `failover_global_cluster(Switchover=True)` (AWS: "specify Switchover or omit it,
  but don't specify AllowDataLoss").
- failover (unplanned, primary region impaired): `failover_global_cluster(AllowDataLoss=True)`, the
  managed global failover AWS recommends over the older detach-and-promote: it promotes the secondary in
  one call, keeps the global database (the old primary rejoins as a secondary when its region recovers),
  and Aurora snapshots the old primary so lost writes can be reconciled. Detach-and-promote
  (`remove_from_global_cluster`) breaks replication for good and is described in the runbook as a
  last resort only.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from ops.aurora import GlobalTopology, read_topology, replication_lag
from ops.aws import call, error_code
from ops.config import DrConfig, cluster_arn_region
from ops.dns import DnsPlan, apply_dns_flip, current_target, plan_dns_flip
from ops.errors import OpsError
from ops.runtime import Runtime, wait_until
from ops.workloads import RegionWorkloads

log = logging.getLogger("ops.dr")

StepKind = Literal["read", "write", "wait", "verify"]
Operation = Literal["switchover", "failover"]
SWITCHOVER_API_MISSING = frozenset({"InvalidAction", "UnknownOperation", "UnknownOperationException"})
STATUS_HINT = "run `platform-ops dr status` to see where the writer is now"


@dataclass
class Step:
    """One logged step; `run` returns a short result note."""

    title: str
    kind: StepKind
    run: Callable[[], str]
    # For write steps: why the step is already done (read from real state), or None. Run first, in
    # dry runs too, so a re-run skips finished steps and a dry run shows them.
    done: Callable[[], str | None] | None = None


@dataclass(frozen=True)
class StepRecord:
    """One line of the step log: what ran, how long it took, and its outcome."""

    number: int
    title: str
    outcome: str  # ok, skipped, would run, failed
    seconds: float
    note: str


@dataclass
class DrRun:
    """Everything one switchover/failover needs and learns while it runs."""

    operation: Operation
    config: DrConfig
    runtime: Runtime
    target_arn: str
    timeout_seconds: float
    interval_seconds: float
    workloads: RegionWorkloads | None = None
    dns_plan: DnsPlan | None = None
    writer_already_target: bool = False
    notes: list[str] = field(default_factory=list)
    log: list[StepRecord] = field(default_factory=list)

    @property
    def target_region(self) -> str:
        return cluster_arn_region(self.target_arn)

    @property
    def target_id(self) -> str:
        return self.target_arn.rsplit(":", 1)[-1]


def build_steps(run: DrRun) -> list[Step]:
    """The full, ordered plan of a switchover or failover."""
    cfg = run.config
    gid = cfg.global_cluster_identifier
    already_writer = lambda: (  # noqa: E731
        f"{run.target_id} is already the writer" if run.writer_already_target else None
    )
    if run.operation == "switchover":
        promote = Step(
            f"switch over global cluster {gid} to {run.target_arn} (rds.switchover_global_cluster in "
            f"{run.target_region}; fallback rds.failover_global_cluster Switchover=True)",
            "write",
            lambda: _switchover(run),
            already_writer,
        )
    else:
        promote = Step(
            f"fail over global cluster {gid} to {run.target_arn} ALLOWING DATA LOSS "
            f"(rds.failover_global_cluster AllowDataLoss=True in {run.target_region})",
            "write",
            lambda: _failover(run),
            already_writer,
        )
    steps = [
        Step(
            f"check global cluster {gid}: {run.target_id} is a member and not yet the writer, "
            "no switchover/failover in progress",
            "read",
            lambda: _preflight(run),
        ),
        promote,
        Step(
            f"wait until {run.target_id} is the writer and the operation has finished "
            f"(poll every {run.interval_seconds:.0f}s, give up after {run.timeout_seconds / 60:.0f} min)",
            "wait",
            lambda: _wait_for_writer(run),
        ),
    ]
    if run.workloads is not None:
        steps += workload_steps(run.workloads)
    if cfg.dns_configured:
        steps += [
            Step(
                f"read Route 53 records of {cfg.api_hostname} in zone {cfg.hosted_zone_id} and plan the "
                f"change "
                f"that points it at {cfg.api_target_for_region(run.target_region)}",
                "read",
                lambda: _plan_dns(run),
            ),
            Step(
                "apply the Route 53 change (route53.change_resource_record_sets UPSERT) and wait until "
                "INSYNC",
                "write",
                lambda: _apply_dns(run),
                lambda: (
                    "the records already point there" if run.dns_plan and run.dns_plan.already_done else None
                ),
            ),
        ]
    else:
        steps.append(
            Step(
                "Route 53: not configured (no hostedZoneId/apiHostname/primaryApiTarget/drApiTarget) - "
                "skipped; "
                "point clients at the new writer region yourself",
                "read",
                lambda: "skipped",
            )
        )
    checks = [f"{run.target_id} writes"]
    if cfg.dns_configured:
        checks.append(f"{cfg.api_hostname} points at its region")
    if run.workloads is not None:
        checks.append(
            f"the memory API is ready there ({run.workloads.api.label} ready replicas"
            + (f", GET https://{run.workloads.api_name}/health/ready" if run.workloads.api_name else "")
            + ")"
        )
    steps.append(Step("verify: " + ", ".join(checks), "verify", lambda: _verify(run)))
    return steps


def workload_steps(target: RegionWorkloads) -> list[Step]:
    """Scale up, wait for Qdrant, rebuild its data, wait for the API (each resumable)."""
    where = f"in EKS cluster {target.cluster_name} ({target.region})"
    steps: list[Step] = []
    for workload in (target.qdrant, target.api):
        if workload.replicas is not None:
            steps.append(
                Step(
                    f"scale {workload.label} to {workload.replicas} replicas {where}",
                    "write",
                    functools.partial(target.scale, workload),
                    functools.partial(target.scaled, workload),
                )
            )
    steps.append(
        Step(
            f"wait until {target.qdrant.label} is ready {where}",
            "wait",
            lambda: target.wait_ready(target.qdrant),
        )
    )
    if target.reindex:
        steps.append(
            Step(
                f"rebuild Qdrant from the database: Job {target.api.namespace}/{target.job_name} runs "
                "`memory-api reindex` from the API's pod template; wait until it completes",
                "write",
                target.run_reindex,
                target.reindexed,
            )
        )
    steps.append(
        Step(f"wait until {target.api.label} is ready {where}", "wait", lambda: target.wait_ready(target.api))
    )
    return steps


def execute(run: DrRun, steps: list[Step], *, dry_run: bool) -> None:
    """Run the steps in order, skipping finished ones; in a dry run only reads execute."""
    total = len(steps)
    for number, step in enumerate(steps, start=1):
        label = f"step {number}/{total}"
        started = run.runtime.now()
        try:
            outcome, note = _execute_one(run, step, label, dry_run=dry_run)
        except OpsError as exc:
            _record(run, number, step, started, "failed", exc.message)
            log.error("%s failed: %s", label, exc.message)
            raise OpsError(f"{label} ({step.title}) failed: {exc.message}", exc.next_step) from exc
        seconds = _record(run, number, step, started, outcome, note)
        if outcome == "would run":
            log.info("%s [dry-run, not executed] %s", label, step.title)
            run.runtime.echo(f"  {label} [dry-run: would {step.kind}] {step.title}")
        elif outcome == "skipped":
            log.info("%s skipped in %.0fs, already done: %s", label, seconds, note)
            run.runtime.echo(
                f"  {label} skipped ({seconds:.0f}s): {step.title}\n      -> already done: {note}"
            )
        else:
            log.info("%s done in %.0fs: %s", label, seconds, note)
            run.runtime.echo(f"  {label} ok ({seconds:.0f}s): {step.title}\n      -> {note}")


def _execute_one(run: DrRun, step: Step, label: str, *, dry_run: bool) -> tuple[str, str]:
    if step.done is not None:
        try:
            already = step.done()
        except OpsError:
            if not dry_run:
                raise
            already = None  # a dry run shows the write it cannot judge
        if already:
            return "skipped", already
    if dry_run and step.kind != "read":
        return "would run", ""
    log.info("%s start: %s", label, step.title)
    return "ok", step.run()


def _record(run: DrRun, number: int, step: Step, started: datetime, outcome: str, note: str) -> float:
    seconds = (run.runtime.now() - started).total_seconds()
    run.log.append(StepRecord(number, step.title, outcome, seconds, note))
    return seconds


def render_step_log(run: DrRun) -> list[str]:
    """The step log: each step's outcome and duration, and the total."""
    lines = ["step log (outcome, duration):"]
    for entry in run.log:
        lines.append(f"  [{entry.number}] {entry.outcome:9} {entry.seconds:6.0f}s  {entry.title}")
    total = sum(entry.seconds for entry in run.log)
    lines.append(f"  total {total:.0f}s over {len(run.log)} steps")
    return lines


def _preflight(run: DrRun) -> str:
    cfg = run.config
    topology = read_topology(run.runtime, cfg, next_step=STATUS_HINT)
    members = ", ".join(f"{m.identifier}({'writer' if m.is_writer else 'reader'})" for m in topology.members)
    target = topology.member(run.target_arn)
    if target is None:
        raise OpsError(
            f"{run.target_id} is not a member of global cluster {topology.identifier} "
            f"(members: {members or 'none'})",
            "there is no replica to promote: restore the newest backup in "
            f"{run.target_region} (docs/runbooks/backup-verify-and-restore.md), or re-add the secondary with "
            "`pulumi up` and retry once it is in sync",
        )
    if topology.operation_in_progress:
        state = topology.failover_state or {}
        raise OpsError(
            f"a {state.get('Status')} operation from {state.get('FromDbClusterArn')} to "
            f"{state.get('ToDbClusterArn')} is already in progress on {topology.identifier}",
            "wait for it to finish (`platform-ops dr status`), then re-run if the writer is not where "
            "you want it",
        )
    if target.is_writer:
        run.writer_already_target = True
        return f"{run.target_id} is already the writer ({members}); database steps will be skipped"
    if run.operation == "switchover" and topology.status != "available":
        raise OpsError(
            f"global cluster {topology.identifier} is {topology.status}, a switchover needs 'available'",
            "wait until it is available; if the primary region is down use `platform-ops dr failover`",
        )
    try:
        lag = replication_lag(run.runtime, target, next_step=STATUS_HINT)
        lag_text = f"{lag.milliseconds:.0f} ms ({lag.metric})" if lag else "no datapoint in the last 15 min"
    except OpsError as exc:  # the lag informs the decision; not being able to read it must not block it
        lag_text = f"unknown ({exc.message})"
    if run.operation == "failover":
        run.notes.append(
            f"replication lag of {run.target_id} before failover: {lag_text} "
            "(writes in that window may be lost)"
        )
    return f"members {members}; status {topology.status}; replication lag of {run.target_id}: {lag_text}"


def _switchover(run: DrRun) -> str:
    if run.writer_already_target:
        return "skipped: target already writes"
    rds = run.runtime.client("rds", run.target_region)
    params = {
        "GlobalClusterIdentifier": run.config.global_cluster_identifier,
        "TargetDbClusterIdentifier": run.target_arn,
    }
    next_step = "nothing changed yet; fix the cause above and re-run, or " + STATUS_HINT
    try:
        call(rds, "switchover_global_cluster", next_step=next_step, **params)
    except OpsError as exc:
        if error_code(exc) not in SWITCHOVER_API_MISSING:
            raise
        log.warning(
            "switchover_global_cluster unavailable (%s); using failover_global_cluster Switchover=True",
            error_code(exc),
        )
        call(rds, "failover_global_cluster", Switchover=True, next_step=next_step, **params)
        return "switchover requested via failover_global_cluster(Switchover=True)"
    return "switchover requested via switchover_global_cluster"


def _failover(run: DrRun) -> str:
    if run.writer_already_target:
        return "skipped: target already writes"
    rds = run.runtime.client("rds", run.target_region)
    call(
        rds,
        "failover_global_cluster",
        GlobalClusterIdentifier=run.config.global_cluster_identifier,
        TargetDbClusterIdentifier=run.target_arn,
        AllowDataLoss=True,
        next_step="if the managed failover keeps failing, follow 'Last resort: detach and promote' in "
        "docs/runbooks/dr-failover.md",
    )
    return "failover requested (data loss allowed)"


def _writer_state(topology: GlobalTopology) -> str:
    writer = topology.writer.identifier if topology.writer else "none"
    state = (topology.failover_state or {}).get("Status") or "none"
    return f"global status {topology.status}, operation {state}, writer {writer}"


def _wait_for_writer(run: DrRun) -> str:
    if run.writer_already_target:
        return "skipped: target already writes"

    def probe() -> tuple[bool, str]:
        topology = read_topology(run.runtime, run.config, next_step=STATUS_HINT)
        target = topology.member(run.target_arn)
        done = bool(target and target.is_writer) and not topology.operation_in_progress
        if run.operation == "switchover":
            done = done and topology.status == "available"
        return done, _writer_state(topology)

    return wait_until(
        run.runtime,
        f"{run.target_id} to become the writer",
        probe,
        timeout_seconds=run.timeout_seconds,
        interval_seconds=run.interval_seconds,
        next_step=f"the {run.operation} is still running or stuck: check RDS events of "
        f"{run.config.global_cluster_identifier}, then re-run this command (it resumes) or {STATUS_HINT}",
    )


def _plan_dns(run: DrRun) -> str:
    run.dns_plan = plan_dns_flip(run.runtime, run.config, run.target_region)
    if run.dns_plan.already_done:
        return run.dns_plan.summary + " - nothing to change"
    changes = "; ".join(_describe_change(c) for c in run.dns_plan.changes)
    return f"{run.dns_plan.summary}: {changes}"


def _describe_change(change: dict[str, Any]) -> str:
    record = change["ResourceRecordSet"]
    target = record.get("AliasTarget", {}).get("DNSName") or ",".join(
        r["Value"] for r in record.get("ResourceRecords", [])
    )
    role = record.get("Failover", "simple")
    return f"{change['Action']} {record['Name']} {record['Type']} {role} -> {target}"


def _apply_dns(run: DrRun) -> str:
    plan = run.dns_plan
    if plan is None:
        raise OpsError("the DNS change was not planned", "re-run the command")
    if plan.already_done:
        return "nothing to change"
    apply_dns_flip(
        run.runtime,
        run.config,
        plan,
        timeout_seconds=run.timeout_seconds,
        interval_seconds=run.interval_seconds,
    )
    return f"{plan.hostname} now points at {plan.desired_target}"


def _verify(run: DrRun) -> str:
    topology = read_topology(run.runtime, run.config, next_step=STATUS_HINT)
    target = topology.member(run.target_arn)
    if not (target and target.is_writer):
        raise OpsError(f"{run.target_id} is not the writer after the {run.operation}", STATUS_HINT)
    note = f"{run.target_id} is the writer in {run.target_region}"
    if run.config.dns_configured:
        desired = run.config.api_target_for_region(run.target_region).lower().rstrip(".") + "."
        actual = current_target(run.runtime, run.config)
        if actual != desired:
            raise OpsError(
                f"{run.config.api_hostname} points at {actual}, expected {desired}",
                "re-run the command to retry the DNS step, or fix the record in the Route 53 console",
            )
        note += f"; {run.config.api_hostname} -> {actual}"
    if run.workloads is not None:
        note += "; " + run.workloads.api_ready()
    return note
