"""`dr status`: where the writer is, how far behind the secondary is, and how old the newest backup is.

Each section is read independently: if one read fails (say, AWS Backup in an impaired region) the others
are still shown and the failure is listed as a problem. Any problem makes the exit code 1, so the command
also works as a scripted check.
"""

from __future__ import annotations

from typing import Any

from ops.aurora import read_topology, replication_lag_ms
from ops.backups import inventory
from ops.config import DrConfig
from ops.dns import current_target
from ops.errors import OpsError
from ops.runtime import Runtime

NEXT = "re-run `platform-ops dr status`; see docs/runbooks/README.md"


def collect_status(runtime: Runtime, config: DrConfig) -> dict[str, Any]:
    """A JSON-ready report of the global database, its backups and the API DNS record."""
    now = runtime.now()
    problems: list[str] = []
    report: dict[str, Any] = {"checkedAt": now.isoformat(), "rpoMinutes": config.rpo_minutes}

    writer_region: str | None = None
    try:
        topology = read_topology(runtime, config, next_step=NEXT)
        members = []
        for member in topology.members:
            lag = None if member.is_writer else replication_lag_ms(runtime, member, next_step=NEXT)
            members.append(
                {
                    "identifier": member.identifier,
                    "arn": member.arn,
                    "region": member.region,
                    "role": "writer" if member.is_writer else "reader",
                    "synchronizationStatus": member.synchronization_status,
                    "replicationLagMs": lag,
                }
            )
        writer = topology.writer
        writer_region = writer.region if writer else None
        report["globalCluster"] = {
            "identifier": topology.identifier,
            "status": topology.status,
            "engine": f"{topology.engine} {topology.engine_version}".strip(),
            "operationInProgress": topology.failover_state,
            "writerRegion": writer_region,
            "members": members,
        }
        if writer is None:
            problems.append(f"global cluster {topology.identifier} has no single writer")
        known = {config.primary_cluster_arn, config.secondary_cluster_arn}
        missing = sorted(known - {m.arn for m in topology.members})
        problems += [f"{arn} is not a member of {topology.identifier}" for arn in missing]
    except OpsError as exc:
        report["globalCluster"] = None
        problems.append(f"global cluster: {exc.message}")

    try:
        found = inventory(runtime, config)
        newest, dr_copy = found.newest, found.newest_dr_copy
        report["lastBackup"] = newest.as_dict(now) if newest else None
        report["lastDrRegionBackup"] = dr_copy.as_dict(now) if dr_copy else None
        if newest is None:
            problems.append("no backup found")
        elif newest.age_seconds(now) > config.rpo_seconds:
            problems.append(
                f"newest backup is {newest.age_seconds(now) / 60:.0f} min old, older than the RPO of "
                f"{config.rpo_minutes} min"
            )
        if report["lastBackup"] is not None:
            report["lastBackup"]["withinRpo"] = (
                newest is not None and newest.age_seconds(now) <= config.rpo_seconds
            )
    except OpsError as exc:
        report["lastBackup"] = None
        problems.append(f"backups: {exc.message}")

    report["dns"] = None
    if config.dns_configured:
        try:
            actual = current_target(runtime, config)
            expected = (
                config.api_target_for_region(writer_region).lower().rstrip(".") + "."
                if writer_region
                else None
            )
            report["dns"] = {"hostname": config.api_hostname, "pointsAt": actual, "expected": expected}
            if expected and actual != expected:
                problems.append(
                    f"{config.api_hostname} points at {actual}, but the writer is in {writer_region}"
                )
        except OpsError as exc:
            problems.append(f"dns: {exc.message}")
    report["problems"] = problems
    return report


def render_status(report: dict[str, Any]) -> str:
    """The human view of `collect_status`."""
    lines = [f"DR status at {report['checkedAt']} (RPO {report['rpoMinutes']} min)"]
    cluster = report.get("globalCluster")
    if cluster:
        lines.append(
            f"global cluster {cluster['identifier']}: {cluster['status']}, {cluster['engine']}, "
            f"writer region {cluster['writerRegion'] or 'NONE'}"
        )
        if cluster["operationInProgress"]:
            lines.append(f"  operation in progress: {cluster['operationInProgress']}")
        for m in cluster["members"]:
            lag = m["replicationLagMs"]
            lag_text = (
                ""
                if m["role"] == "writer"
                else (
                    f", replication lag {lag:.0f} ms"
                    if lag is not None
                    else ", replication lag: no datapoint"
                )
            )
            lines.append(f"  {m['role']:6} {m['identifier']} ({m['region']}){lag_text}")
    for key, label in (("lastBackup", "newest backup"), ("lastDrRegionBackup", "newest backup in DR region")):
        point = report.get(key)
        if point:
            rpo = (
                ""
                if "withinRpo" not in point
                else (", within RPO" if point["withinRpo"] else ", OLDER THAN RPO")
            )
            encryption = "encrypted" if point["encrypted"] else "NOT encrypted"
            lines.append(
                f"{label}: {point['kind']} {point['arn']} ({point['location']}, {point['region']}), "
                f"{point['ageMinutes']} min old{rpo}, {encryption}"
            )
    dns = report.get("dns")
    if dns:
        lines.append(f"dns: {dns['hostname']} -> {dns['pointsAt']} (expected {dns['expected']})")
    problems = report["problems"]
    lines.append("problems: none" if not problems else "problems:")
    lines += [f"  - {p}" for p in problems]
    return "\n".join(lines)
