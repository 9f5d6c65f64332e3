"""Points the API hostname at the region that now holds the Aurora writer, the way the program would.

The Pulumi program (`FailoverDns`) publishes the API hostname as a Route 53 failover pair built by
`infra.contracts.failover_targets` from the stack config `dr.activeRegion`: the PRIMARY record points at
the active region's own name (`api-<region>.<zone>`, a CNAME to that region's ALB), the SECONDARY record
at the other region's, and each record carries the health check of the region it points at. After moving
the writer the operator makes the new region active: the two records exchange their targets together
with their health checks (TTL and alias too) in one atomic change batch; the health checks themselves
never change, since each probes its own region. That is exactly the state `pulumi up` produces once
`dr.activeRegion` names the new region, which `platform-ops` prints as the `pulumi config set` to run, so
the next `up` keeps the failover instead of undoing it. A zone without a failover pair but with a plain
CNAME for the hostname gets that CNAME UPSERTed instead.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from ops.aws import call
from ops.config import DrConfig
from ops.errors import OpsError
from ops.runtime import Runtime, wait_until

# What moves with a target: a health check belongs to the region it probes, not to a failover role.
PAYLOAD_KEYS = ("ResourceRecords", "TTL", "AliasTarget", "HealthCheckId")
FIX_BY_HAND = "fix the records in the Route 53 console (see docs/runbooks/dr-failover.md, 'DNS by hand')"


def _fqdn(name: str) -> str:
    return name.lower().rstrip(".") + "."


def record_target(record: dict[str, Any]) -> str | None:
    """The DNS name a CNAME or alias record points at, normalised."""
    if "AliasTarget" in record:
        return _fqdn(record["AliasTarget"]["DNSName"])
    values = record.get("ResourceRecords") or []
    return _fqdn(values[0]["Value"]) if len(values) == 1 else None


@dataclass(frozen=True)
class DnsPlan:
    """The change batch that makes `desired_target` serve the API hostname (empty when already so)."""

    hostname: str
    desired_target: str
    changes: list[dict[str, Any]]
    summary: str

    @property
    def already_done(self) -> bool:
        return not self.changes


def _records_for(runtime: Runtime, config: DrConfig) -> list[dict[str, Any]]:
    assert config.hosted_zone_id
    assert config.api_hostname
    route53 = runtime.client("route53", None)
    wanted = _fqdn(config.api_hostname)
    response = call(
        route53,
        "list_resource_record_sets",
        HostedZoneId=config.hosted_zone_id,
        StartRecordName=wanted,
        next_step="check hostedZoneId in the outputs file and Route 53 permissions, then re-run",
    )
    return [r for r in response.get("ResourceRecordSets", []) if _fqdn(r["Name"]) == wanted]


def plan_dns_flip(runtime: Runtime, config: DrConfig, writer_region: str) -> DnsPlan:
    """Read the hostname's records and compute the change that points it at `writer_region`."""
    assert config.api_hostname
    assert config.hosted_zone_id
    desired = _fqdn(config.api_target_for_region(writer_region))
    records = [r for r in _records_for(runtime, config) if r["Type"] in ("CNAME", "A", "AAAA")]
    primary = next((r for r in records if r.get("Failover") == "PRIMARY"), None)
    secondary = next((r for r in records if r.get("Failover") == "SECONDARY"), None)
    where = f"{config.api_hostname} in zone {config.hosted_zone_id}"

    if primary is not None and secondary is not None:
        if record_target(primary) == desired:
            return DnsPlan(
                config.api_hostname, desired, [], f"PRIMARY record of {where} already points at {desired}"
            )
        if record_target(secondary) != desired:
            raise OpsError(
                f"neither failover record of {where} points at {desired} (PRIMARY: {record_target(primary)}, "
                f"SECONDARY: {record_target(secondary)})",
                FIX_BY_HAND,
            )
        new_primary, new_secondary = _swap_payloads(primary, secondary)
        return DnsPlan(
            config.api_hostname,
            desired,
            [
                {"Action": "UPSERT", "ResourceRecordSet": new_primary},
                {"Action": "UPSERT", "ResourceRecordSet": new_secondary},
            ],
            f"swap the failover pair of {where}: PRIMARY -> {desired}, SECONDARY -> {record_target(primary)}"
            " (each with its target's health check)",
        )

    plain = [r for r in records if "SetIdentifier" not in r]
    if len(plain) == 1 and plain[0]["Type"] == "CNAME":
        record = plain[0]
        if record_target(record) == desired:
            return DnsPlan(config.api_hostname, desired, [], f"CNAME {where} already points at {desired}")
        upsert = {**record, "ResourceRecords": [{"Value": desired}]}
        return DnsPlan(
            config.api_hostname,
            desired,
            [{"Action": "UPSERT", "ResourceRecordSet": upsert}],
            f"UPSERT CNAME {where} -> {desired}",
        )
    raise OpsError(
        f"{where} has neither a PRIMARY/SECONDARY failover pair nor a single CNAME "
        f"({len(records)} matching records)",
        FIX_BY_HAND,
    )


def _swap_payloads(
    primary: dict[str, Any], secondary: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    new_primary = {k: v for k, v in primary.items() if k not in PAYLOAD_KEYS}
    new_secondary = {k: v for k, v in secondary.items() if k not in PAYLOAD_KEYS}
    new_primary.update({k: copy.deepcopy(v) for k, v in secondary.items() if k in PAYLOAD_KEYS})
    new_secondary.update({k: copy.deepcopy(v) for k, v in primary.items() if k in PAYLOAD_KEYS})
    new_primary["Type"], new_secondary["Type"] = secondary["Type"], primary["Type"]
    return new_primary, new_secondary


def apply_dns_flip(
    runtime: Runtime, config: DrConfig, plan: DnsPlan, *, timeout_seconds: float, interval_seconds: float
) -> None:
    """Submit the change batch and wait until Route 53 reports it INSYNC."""
    route53 = runtime.client("route53", None)
    response = call(
        route53,
        "change_resource_record_sets",
        HostedZoneId=config.hosted_zone_id,
        ChangeBatch={"Comment": f"platform-ops: {plan.summary}"[:256], "Changes": plan.changes},
        next_step=f"the database already moved; point {plan.hostname} at {plan.desired_target} by hand: "
        + FIX_BY_HAND,
    )
    change_id = response["ChangeInfo"]["Id"]

    def probe() -> tuple[bool, str]:
        status = call(
            route53, "get_change", Id=change_id, next_step="check the change in the Route 53 console"
        )
        state = str(status["ChangeInfo"]["Status"])
        return state == "INSYNC", f"change {change_id} {state}"

    wait_until(
        runtime,
        f"Route 53 change for {plan.hostname}",
        probe,
        timeout_seconds=timeout_seconds,
        interval_seconds=interval_seconds,
        next_step="Route 53 accepted the change but has not propagated it; check it in the console",
    )


def current_target(runtime: Runtime, config: DrConfig) -> str | None:
    """Where the API hostname points now (PRIMARY failover record, else the single CNAME)."""
    records = _records_for(runtime, config)
    primary = next((r for r in records if r.get("Failover") == "PRIMARY"), None)
    if primary is not None:
        return record_target(primary)
    plain = [r for r in records if "SetIdentifier" not in r]
    return record_target(plain[0]) if len(plain) == 1 else None
