"""Moves the Aurora global database's writer to the other region, then moves the API hostname with it.

Two operations, both built as an explicit list of steps so `--dry-run` can print the whole plan, every
step is logged, and a failed step stops the run with what to do next:

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

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from ops.aurora import GlobalTopology, read_topology, replication_lag
from ops.aws import call, error_code
from ops.config import DrConfig, cluster_arn_region
from ops.dns import DnsPlan, apply_dns_flip, current_target, plan_dns_flip, point_health_check
from ops.errors import OpsError
from ops.runtime import Runtime, wait_until

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


@dataclass
class DrRun:
    """Everything one switchover/failover needs and learns while it runs."""

    operation: Operation
    config: DrConfig
    runtime: Runtime
    target_arn: str
    timeout_seconds: float
    interval_seconds: float
    dns_plan: DnsPlan | None = None
    writer_already_target: bool = False
    notes: list[str] = field(default_factory=list)

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
    if run.operation == "switchover":
        promote = Step(
            f"switch over global cluster {gid} to {run.target_arn} (rds.switchover_global_cluster in "
            f"{run.target_region}; fallback rds.failover_global_cluster Switchover=True)",
            "write",
            lambda: _switchover(run),
        )
    else:
        promote = Step(
            f"fail over global cluster {gid} to {run.target_arn} ALLOWING DATA LOSS "
            f"(rds.failover_global_cluster AllowDataLoss=True in {run.target_region})",
            "write",
            lambda: _failover(run),
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
    steps.append(
        Step(
            f"verify: {run.target_id} writes"
            + (f" and {cfg.api_hostname} points at its region" if cfg.dns_configured else ""),
            "verify",
            lambda: _verify(run),
        )
    )
    return steps


def execute(run: DrRun, steps: list[Step], *, dry_run: bool) -> None:
    """Run the steps in order; in a dry run only read steps execute and writes are printed."""
    total = len(steps)
    for number, step in enumerate(steps, start=1):
        label = f"step {number}/{total}"
        if dry_run and step.kind != "read":
            log.info("%s [dry-run, not executed] %s", label, step.title)
            run.runtime.echo(f"  {label} [dry-run: would {step.kind}] {step.title}")
            continue
        log.info("%s start: %s", label, step.title)
        started = run.runtime.now()
        try:
            note = step.run()
        except OpsError as exc:
            log.error("%s failed: %s", label, exc.message)
            raise OpsError(f"{label} ({step.title}) failed: {exc.message}", exc.next_step) from exc
        seconds = (run.runtime.now() - started).total_seconds()
        log.info("%s done in %.0fs: %s", label, seconds, note)
        run.runtime.echo(f"  {label} ok ({seconds:.0f}s): {step.title}\n      -> {note}")


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
        if plan.health_check_id:
            point_health_check(run.runtime, plan.health_check_id, plan.desired_target)
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
    return note
