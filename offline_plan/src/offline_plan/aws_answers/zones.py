"""Availability zones per Region, with zone IDs (the legacy ones EKS refuses included)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from offline_plan.aws_answers.context import (
    AVAILABILITY_ZONES,
    LOCAL_ZONES,
    REGION_NAMES,
    InvokeContext,
    InvokeFailureError,
    _filters,
    _matches,
)


# -- availability zones ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Zone:
    name: str
    zone_id: str
    group: str
    zone_type: str = "availability-zone"
    opt_in: str = "opt-in-not-required"


def zones_of(region_name: str) -> list[Zone]:
    """Every zone of the Region, Local Zones included; a Region we have no table for gets three."""
    table = AVAILABILITY_ZONES.get(region_name)
    if table is None:
        head, area, number = ([*region_name.split("-"), "", "", ""])[:3]
        prefix = f"{head}{area[:1]}{number}"
        table = tuple((suffix, f"{prefix}-az{n}") for n, suffix in enumerate("abc", start=1))
    zones = [Zone(f"{region_name}{suffix}", zone_id, region_name) for suffix, zone_id in table]
    zones += [
        Zone(name, zone_id, group, "local-zone", "not-opted-in")
        for name, zone_id, group in LOCAL_ZONES.get(region_name, ())
    ]
    return zones


def zone_named(region_name: str, name: Any = None, zone_id: Any = None) -> Zone | None:
    """The zone of the Region with that name or zone ID."""
    return next((z for z in zones_of(region_name) if name in {z.name} or zone_id in {z.zone_id}), None)


def _zone_attributes(zone: Zone, region_name: str) -> dict[str, str]:
    return {
        "zone-name": zone.name,
        "zone-id": zone.zone_id,
        "zone-type": zone.zone_type,
        "opt-in-status": zone.opt_in,
        "group-name": zone.group,
        "network-border-group": zone.group,
        "region-name": region_name,
        "state": "available",
    }


def select_zones(args: dict[str, Any], region_name: str) -> list[Zone]:
    """The zones `args` select, as `DescribeAvailabilityZones` and the provider's filters would."""
    zones = zones_of(region_name)
    if not args.get("allAvailabilityZones"):
        zones = [zone for zone in zones if zone.opt_in != "not-opted-in"]
    state = args.get("state")
    if state and state != "available":
        return []
    for name, values in _filters(args).items():
        zones = [
            zone for zone in zones if _matches(_zone_attributes(zone, region_name).get(name, ""), values)
        ]
    excluded_names = set(args.get("excludeNames") or [])
    excluded_ids = set(args.get("excludeZoneIds") or [])
    return [zone for zone in zones if zone.name not in excluded_names and zone.zone_id not in excluded_ids]


def availability_zones(args: dict[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    region_name = args.get("region") or ctx.region
    zones = select_zones(args, region_name)
    return {
        "names": [zone.name for zone in zones],
        "zoneIds": [zone.zone_id for zone in zones],
        "groupNames": sorted({zone.group for zone in zones}),
        "allAvailabilityZones": args.get("allAvailabilityZones"),
        "excludeNames": args.get("excludeNames"),
        "excludeZoneIds": args.get("excludeZoneIds"),
        "filters": args.get("filters"),
        "state": args.get("state"),
        "region": region_name,
        "id": region_name,
    }


def availability_zone(args: dict[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    region_name = args.get("region") or ctx.region
    zones = select_zones({**args, "allAvailabilityZones": True}, region_name)
    zones = [
        zone
        for zone in zones
        if args.get("name") in {None, zone.name} and args.get("zoneId") in {None, zone.zone_id}
    ]
    if len(zones) != 1:
        found = "no" if not zones else f"{len(zones)}"
        raise InvokeFailureError("name", f"{found} Availability Zones in {region_name} match; name one zone")
    zone = zones[0]
    return {
        "name": zone.name,
        "zoneId": zone.zone_id,
        "nameSuffix": zone.name.removeprefix(f"{region_name}-").split("-", 1)[-1]
        if zone.zone_type != "availability-zone"
        else zone.name.removeprefix(region_name),
        "groupName": zone.group,
        "groupLongName": REGION_NAMES.get(region_name, region_name),
        "networkBorderGroup": zone.group,
        "optInStatus": zone.opt_in,
        "zoneType": zone.zone_type,
        "state": "available",
        "region": region_name,
        "allAvailabilityZones": args.get("allAvailabilityZones"),
        "filters": args.get("filters"),
        "id": zone.name,
    }
