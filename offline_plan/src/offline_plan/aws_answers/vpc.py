"""The default VPC, its subnets, security group, internet gateway and route table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from offline_plan.aws_answers.context import (
    ACCOUNT_ID,
    InvokeContext,
    InvokeFailureError,
    _filters,
    _first,
    _matches,
    aws_id,
)
from offline_plan.aws_answers.zones import Zone, zones_of


# -- default VPC, subnets, security group, internet gateway -----------------------------------------
def default_vpc_id(region_name: str) -> str:
    return aws_id("vpc", region_name, "default")


def _vpc_id(args: dict[str, Any], filters: dict[str, list[str]], region_name: str) -> str:
    """The VPC a lookup names: by id, by filters or tags (a VPC derived from them), else the default one."""
    explicit = args.get("vpcId") or _first(filters, "vpc-id")
    if explicit:
        return str(explicit)
    if args.get("default") or filters.get("isDefault") == ["true"] or not (filters or args.get("tags")):
        return default_vpc_id(region_name)
    return aws_id("vpc", region_name, sorted(filters.items()), args.get("tags"), args.get("cidrBlock"))


def vpc(args: dict[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    region_name = args.get("region") or ctx.region
    vpc_id = args.get("id") or _vpc_id(args, _filters(args), region_name)
    ctx.vpcs.add((region_name, vpc_id))
    is_default = vpc_id == default_vpc_id(region_name)
    cidr = args.get("cidrBlock") or ("172.31.0.0/16" if is_default else "10.0.0.0/16")
    return {
        "id": vpc_id,
        "arn": f"arn:{ctx.partition}:ec2:{region_name}:{ACCOUNT_ID}:vpc/{vpc_id}",
        "cidrBlock": cidr,
        "cidrBlockAssociations": [
            {"associationId": aws_id("vpc-cidr-assoc", vpc_id), "cidrBlock": cidr, "state": "associated"}
        ],
        "default": is_default,
        "dhcpOptionsId": aws_id("dopt", region_name),
        "enableDnsHostnames": True,
        "enableDnsSupport": True,
        "enableNetworkAddressUsageMetrics": False,
        "instanceTenancy": "default",
        "ipv6CidrBlockAssociations": [],
        "mainRouteTableId": aws_id("rtb", vpc_id, "main"),
        "ownerId": ACCOUNT_ID,
        "state": "available",
        "tags": args.get("tags") or {},
        "filters": args.get("filters"),
        "region": region_name,
    }


@dataclass(frozen=True)
class Subnet:
    subnet_id: str
    vpc_id: str
    zone: Zone
    cidr: str
    default_for_az: bool


def subnets_of(vpc_id: str, region_name: str) -> list[Subnet]:
    """A default VPC: one default /20 subnet per zone (172.31.0.0/20, .16.0/20, ...); another: three /24s."""
    zones = [zone for zone in zones_of(region_name) if zone.zone_type == "availability-zone"]
    if vpc_id == default_vpc_id(region_name):
        return [
            Subnet(aws_id("subnet", vpc_id, z.zone_id), vpc_id, z, f"172.31.{16 * n}.0/20", True)
            for n, z in enumerate(zones)
        ]
    return [
        Subnet(aws_id("subnet", vpc_id, z.zone_id), vpc_id, z, f"10.0.{n}.0/24", False)
        for n, z in enumerate(zones[:3])
    ]


def _select_subnets(args: dict[str, Any], ctx: InvokeContext, region_name: str) -> list[Subnet]:
    filters = _filters(args)
    wanted_id = args.get("id") or _first(filters, "subnet-id")
    vpc_id = _vpc_id(args, filters, region_name)
    ctx.vpcs.add((region_name, vpc_id))
    if wanted_id:
        known = [vpc for region_of_vpc, vpc in sorted(ctx.vpcs) if region_of_vpc == region_name]
        found = [s for vpc in known for s in subnets_of(vpc, region_name) if s.subnet_id == wanted_id]
        zone = zones_of(region_name)[0]
        return found[:1] or [Subnet(str(wanted_id), vpc_id, zone, "10.0.0.0/24", False)]
    candidates = subnets_of(vpc_id, region_name)
    attributes: dict[str, Callable[[Subnet], str]] = {
        "availability-zone": lambda s: s.zone.name,
        "availabilityZone": lambda s: s.zone.name,
        "availability-zone-id": lambda s: s.zone.zone_id,
        "availabilityZoneId": lambda s: s.zone.zone_id,
        "default-for-az": lambda s: str(s.default_for_az).lower(),
        "defaultForAz": lambda s: str(s.default_for_az).lower(),
        "cidr-block": lambda s: s.cidr,
        "state": lambda _s: "available",
    }
    for name, values in filters.items():
        if name in attributes:
            candidates = [s for s in candidates if _matches(attributes[name](s), values)]
    for key, attribute in (
        ("availabilityZone", "availability-zone"),
        ("availabilityZoneId", "availability-zone-id"),
    ):
        if args.get(key):
            candidates = [s for s in candidates if attributes[attribute](s) == args[key]]
    if args.get("defaultForAz") is not None:
        candidates = [s for s in candidates if s.default_for_az == bool(args["defaultForAz"])]
    if args.get("cidrBlock"):
        candidates = [s for s in candidates if s.cidr == args["cidrBlock"]]
    return candidates


def subnets(args: dict[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    region_name = args.get("region") or ctx.region
    found = _select_subnets(args, ctx, region_name)
    return {
        "ids": [s.subnet_id for s in found],
        "filters": args.get("filters"),
        "tags": args.get("tags"),
        "region": region_name,
        "id": region_name,
    }


def subnet(args: dict[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    region_name = args.get("region") or ctx.region
    found = _select_subnets(args, ctx, region_name)
    if not found:
        raise InvokeFailureError("filters", "no matching EC2 Subnet found")
    chosen = found[0]
    return {
        "id": chosen.subnet_id,
        "arn": f"arn:{ctx.partition}:ec2:{region_name}:{ACCOUNT_ID}:subnet/{chosen.subnet_id}",
        "vpcId": chosen.vpc_id,
        "availabilityZone": chosen.zone.name,
        "availabilityZoneId": chosen.zone.zone_id,
        "cidrBlock": chosen.cidr,
        "availableIpAddressCount": 4091 if chosen.cidr.endswith("/20") else 251,
        "defaultForAz": chosen.default_for_az,
        "mapPublicIpOnLaunch": chosen.default_for_az,
        "assignIpv6AddressOnCreation": False,
        "enableDns64": False,
        "enableLniAtDeviceIndex": 0,
        "enableResourceNameDnsARecordOnLaunch": False,
        "enableResourceNameDnsAaaaRecordOnLaunch": False,
        "ipv6CidrBlock": "",
        "ipv6CidrBlockAssociationId": "",
        "ipv6Native": False,
        "mapCustomerOwnedIpOnLaunch": False,
        "customerOwnedIpv4Pool": "",
        "outpostArn": "",
        "ownerId": ACCOUNT_ID,
        "privateDnsHostnameTypeOnLaunch": "ip-name",
        "state": "available",
        "tags": args.get("tags") or {},
        "filters": args.get("filters"),
        "region": region_name,
    }


def security_group(args: dict[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    region_name = args.get("region") or ctx.region
    filters = _filters(args)
    vpc_id = _vpc_id({"vpcId": args.get("vpcId")}, {"vpc-id": filters.get("vpc-id", [])}, region_name)
    if not filters.get("vpc-id"):
        vpc_id = args.get("vpcId") or default_vpc_id(region_name)
    name = args.get("name") or (filters.get("group-name") or ["default"])[0]
    group_id = args.get("id") or _first(filters, "group-id") or aws_id("sg", vpc_id, name)
    return {
        "id": group_id,
        "arn": f"arn:{ctx.partition}:ec2:{region_name}:{ACCOUNT_ID}:security-group/{group_id}",
        "name": name,
        "description": "default VPC security group" if name == "default" else f"{name} (offline plan)",
        "vpcId": vpc_id,
        "tags": args.get("tags") or {},
        "filters": args.get("filters"),
        "region": region_name,
    }


def internet_gateway(args: dict[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    region_name = args.get("region") or ctx.region
    filters = _filters(args)
    vpc_id = _first(filters, "attachment.vpc-id") or default_vpc_id(region_name)
    gateway_id = args.get("internetGatewayId") or aws_id("igw", vpc_id)
    return {
        "id": gateway_id,
        "internetGatewayId": gateway_id,
        "arn": f"arn:{ctx.partition}:ec2:{region_name}:{ACCOUNT_ID}:internet-gateway/{gateway_id}",
        "attachments": [{"state": "available", "vpcId": vpc_id}],
        "ownerId": ACCOUNT_ID,
        "tags": args.get("tags") or {},
        "filters": args.get("filters"),
        "region": region_name,
    }


def route_table(args: dict[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    """A subnet's (or a VPC's main) route table: the local route, and a default route to the gateway."""
    region_name = args.get("region") or ctx.region
    filters = _filters(args)
    subnet_id = args.get("subnetId") or _first(filters, "association.subnet-id")
    found = find_subnet(str(subnet_id), region_name, ctx.vpcs) if subnet_id else None
    vpc_id = args.get("vpcId") or _first(filters, "vpc-id") or (found.vpc_id if found else None)
    vpc_id = vpc_id or default_vpc_id(region_name)
    table_id = args.get("routeTableId") or aws_id("rtb", vpc_id, "main")
    main = table_id == aws_id("rtb", vpc_id, "main")
    return {
        "id": table_id,
        "routeTableId": table_id,
        "arn": f"arn:{ctx.partition}:ec2:{region_name}:{ACCOUNT_ID}:route-table/{table_id}",
        "vpcId": vpc_id,
        "subnetId": subnet_id,
        "gatewayId": args.get("gatewayId"),
        "ownerId": ACCOUNT_ID,
        "routes": [{"cidrBlock": "0.0.0.0/0", "gatewayId": aws_id("igw", vpc_id)}],
        "associations": [
            {
                "main": main and not subnet_id,
                "routeTableAssociationId": aws_id("rtbassoc", table_id, subnet_id),
                "routeTableId": table_id,
                "subnetId": subnet_id or "",
                "gatewayId": "",
            }
        ],
        "tags": args.get("tags") or {},
        "filters": args.get("filters"),
        "region": region_name,
    }


def vpcs(args: dict[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    region_name = args.get("region") or ctx.region
    vpc_id = _vpc_id(args, _filters(args), region_name)
    ctx.vpcs.add((region_name, vpc_id))
    return {
        "ids": [vpc_id],
        "filters": args.get("filters"),
        "tags": args.get("tags"),
        "region": region_name,
        "id": region_name,
    }


def security_groups(args: dict[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    region_name = args.get("region") or ctx.region
    filters = _filters(args)
    vpc_id = _first(filters, "vpc-id") or default_vpc_id(region_name)
    name = _first(filters, "group-name") or "default"
    group_id = aws_id("sg", vpc_id, name)
    return {
        "ids": [group_id],
        "arns": [f"arn:{ctx.partition}:ec2:{region_name}:{ACCOUNT_ID}:security-group/{group_id}"],
        "vpcIds": [vpc_id],
        "filters": args.get("filters"),
        "tags": args.get("tags"),
        "region": region_name,
        "id": region_name,
    }


def find_subnet(subnet_id: str, region_name: str, vpcs: set[tuple[str, str]]) -> Subnet | None:
    """A subnet an invoke answer handed out, by id."""
    candidates = {default_vpc_id(region_name)} | {vpc for r, vpc in vpcs if r == region_name}
    return next(
        (s for vpc in sorted(candidates) for s in subnets_of(vpc, region_name) if s.subnet_id == subnet_id),
        None,
    )
