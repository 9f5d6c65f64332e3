"""`dr status`: where the writer is, whether the secondary is within the RPO, and how old the backups are.

Each section, and each region within it, is read independently: if one read fails (say, the primary
region is down and its endpoints refuse connections) the others are still shown, the region is listed
under `unreachable`, and the failure is a problem. Any problem makes the exit code 1, so the command also
works as a scripted check.

Two different thresholds, because they measure different things:
- RPO (`rpoMinutes`): for an Aurora global database the data lost in a failover is the secondary's
  replication lag (`AuroraGlobalDBRPOLag`, else `AuroraGlobalDBReplicationLag`), so the lag is compared
  with the RPO.
- Backup freshness (`backupMaxAgeHours`): the newest backup in each region is compared with the backup
  schedule, not with the RPO (a daily backup is always older than a 15-minute RPO).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ops.aurora import read_topology, replication_lag
from ops.aws import RegionUnreachableError
from ops.backups import BackupInventory, inventory
from ops.config import DrConfig
from ops.dns import current_target
from ops.errors import OpsError
from ops.runtime import Runtime

NEXT = "re-run `platform-ops dr status`; see docs/runbooks/README.md"


def _members(
    runtime: Runtime, config: DrConfig, problems: list[str], unreachable: dict[str, str]
) -> dict[str, Any]:
    topology = read_topology(runtime, config, next_step=NEXT)
    members = []
    for member in topology.members:
        entry: dict[str, Any] = {
            "identifier": member.identifier,
            "arn": member.arn,
            "region": member.region,
            "role": "writer" if member.is_writer else "reader",
            "synchronizationStatus": member.synchronization_status,
            "replicationLagMs": None,
            "lagMetric": None,
            "withinRpo": None,
        }
        if not member.is_writer:
            try:
                reading = replication_lag(runtime, member, next_step=NEXT)
            except RegionUnreachableError as exc:
                unreachable[member.region] = exc.message
                reading = None
            except OpsError as exc:
                problems.append(f"replication lag of {member.identifier}: {exc.message}")
                reading = None
            if reading is None:
                if member.region not in unreachable:
                    problems.append(
                        f"no replication lag datapoint for {member.identifier} in the last 15 min: "
                        "the RPO cannot be confirmed"
                    )
            else:
                within = reading.milliseconds <= config.rpo_seconds * 1000
                entry.update(
                    replicationLagMs=reading.milliseconds, lagMetric=reading.metric, withinRpo=within
                )
                if not within:
                    problems.append(
                        f"replication lag of {member.identifier} is {reading.milliseconds / 1000:.0f} s "
                        f"({reading.metric}), more than the RPO of {config.rpo_minutes} min"
                    )
        members.append(entry)
    writer = topology.writer
    if writer is None:
        problems.append(f"global cluster {topology.identifier} has no single writer")
    known = {config.primary_cluster_arn, config.secondary_cluster_arn}
    problems += [
        f"{arn} is not a member of {topology.identifier}"
        for arn in sorted(known - {m.arn for m in topology.members})
    ]
    return {
        "identifier": topology.identifier,
        "status": topology.status,
        "engine": f"{topology.engine} {topology.engine_version}".strip(),
        "operationInProgress": topology.failover_state,
        "writerRegion": writer.region if writer else None,
        "members": members,
    }


def _backups(found: BackupInventory, config: DrConfig, now: datetime, problems: list[str]) -> dict[str, Any]:
    regions: dict[str, Any] = {}
    for region in (config.primary_region, config.dr_region):
        if region in found.unreachable:
            regions[region] = None
            continue
        newest = found.newest_in(region)
        entry = newest.as_dict(now) if newest else None
        if newest is None:
            problems.append(f"no backup found in {region}")
        else:
            assert entry is not None
            entry["withinSchedule"] = newest.age_seconds(now) <= config.backup_max_age_seconds
            if not entry["withinSchedule"]:
                problems.append(
                    f"newest backup in {region} is {newest.age_seconds(now) / 3600:.1f} h old, older than "
                    f"the backup schedule allows ({config.backup_max_age_hours} h)"
                )
        regions[region] = entry
    copy = found.newest_copy(config) if config.dr_region not in found.unreachable else None
    if config.dr_region not in found.unreachable and copy is None:
        problems.append(
            f"no recovery point in {config.dr_backup_vault_name} was copied from {config.backup_vault_name}"
        )
    problems += [f"backups: {message}" for message in found.failed_reads]
    return {
        "backups": regions,
        "lastDrRegionBackup": regions.get(config.dr_region),
        "lastDrCopy": copy.as_dict(now) if copy else None,
    }


def collect_status(runtime: Runtime, config: DrConfig) -> dict[str, Any]:
    """A JSON-ready report of the global database, its backups and the API DNS record."""
    now = runtime.now()
    problems: list[str] = []
    unreachable: dict[str, str] = {}
    report: dict[str, Any] = {
        "checkedAt": now.isoformat(),
        "rpoMinutes": config.rpo_minutes,
        "backupMaxAgeHours": config.backup_max_age_hours,
        "configuredActiveRegion": config.configured_active_region,
    }

    try:
        report["globalCluster"] = _members(runtime, config, problems, unreachable)
    except OpsError as exc:
        report["globalCluster"] = None
        problems.append(f"global cluster: {exc.message}")
    writer_region = (report["globalCluster"] or {}).get("writerRegion")

    found = inventory(runtime, config)
    unreachable.update(found.unreachable)
    report.update(_backups(found, config, now, problems))

    if writer_region and writer_region != config.configured_active_region:
        problems.append(
            f"the writer is in {writer_region} but the stack config makes {config.configured_active_region} "
            f"active: run `{config.config_set_command(writer_region)}` before the next `pulumi up`"
        )
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
    report["unreachable"] = unreachable
    problems += [f"unreachable: {message}" for message in unreachable.values()]
    report["problems"] = problems
    return report


def render_status(report: dict[str, Any]) -> str:
    """The human view of `collect_status`."""
    lines = [
        f"DR status at {report['checkedAt']} (RPO {report['rpoMinutes']} min, backups every "
        f"<= {report['backupMaxAgeHours']} h; stack config active region {report['configuredActiveRegion']})"
    ]
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
            if m["role"] == "writer":
                lag_text = ""
            elif lag is None:
                lag_text = ", replication lag: no datapoint"
            else:
                rpo = "within RPO" if m["withinRpo"] else "OVER THE RPO"
                lag_text = f", replication lag {lag:.0f} ms ({m['lagMetric']}, {rpo})"
            lines.append(f"  {m['role']:6} {m['identifier']} ({m['region']}){lag_text}")
    for region, point in report["backups"].items():
        if point is None:
            lines.append(f"backups in {region}: UNREACHABLE")
            continue
        schedule = "within schedule" if point["withinSchedule"] else "OLDER THAN THE SCHEDULE ALLOWS"
        encryption = "encrypted" if point["encrypted"] else "NOT encrypted"
        lines.append(
            f"newest backup in {region}: {point['kind']} {point['arn']} ({point['location']}), "
            f"{point['ageMinutes']} min old, {schedule}, {encryption}"
        )
    copy = report.get("lastDrCopy")
    if copy:
        lines.append(f"newest DR copy: {copy['arn']} from {copy['copiedFrom']}, {copy['ageMinutes']} min old")
    dns = report.get("dns")
    if dns:
        lines.append(f"dns: {dns['hostname']} -> {dns['pointsAt']} (expected {dns['expected']})")
    problems = report["problems"]
    lines.append("problems: none" if not problems else "problems:")
    lines += [f"  - {p}" for p in problems]
    return "\n".join(lines)
