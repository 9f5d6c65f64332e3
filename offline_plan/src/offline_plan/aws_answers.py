"""What a plausible AWS account answers to the data sources (invokes) programs call most.

Answers are deterministic (derived from the arguments and the region alone, so two runs plan the same)
and shaped as `pulumi_aws` 7.51 expects: camelCase result fields, lists and objects where the SDK's
result types check for them.

The account is an older one (created before November 2025), so in the Regions that map zone names to
zone IDs per account it sees the legacy zones that Amazon EKS refuses for a cluster's subnets
(`use1-az3`, `usw1-az2`, `cac1-az3`; EKS user guide, "Subnet requirements for clusters"). They come
early in the name order, so a program that takes the first zone names without filtering by zone ID
lands on one, and the plan shows it.

Secret results (ECR passwords, EKS tokens, secret values, private SSM parameters) are returned marked
secret, so `get_*_output` functions give secret Outputs; every secret string handed out is also kept
in `InvokeContext.secrets` so the plan can redact it where a plain (non-output) invoke lost the mark.
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

ACCOUNT_ID = "123456789012"
DEPLOYER_ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/platform-deployer"
_SIG_KEY = "4dabf18193072939515e22adb298388d"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"  # noqa: S105 - the SDK's secret signature
RELEASE_DATE = "20251115"  # the build date in AMI names and EKS AMI release versions the mocks give
_ISSUED_AT = "2025-11-15T00:00:00Z"

# Default add-on versions AWS reports for a Kubernetes version (`describe-addon-versions`).
ADDON_VERSIONS = {
    "vpc-cni": "v1.20.4-eksbuild.2",
    "kube-proxy": "v{k8s}.0-eksbuild.2",
    "coredns": "v1.12.3-eksbuild.1",
    "aws-ebs-csi-driver": "v1.48.0-eksbuild.2",
}

# Zone name suffix and zone ID of every Availability Zone an account sees, per commercial Region, in
# the order `DescribeAvailabilityZones` lists them. Zone IDs and counts are AWS's (the AWS "AZ IDs" and
# "Availability Zones" pages, cross-checked with moto 5.2's table of what a new account sees); where
# AWS maps names to IDs per account (us-east-1, us-west-1, us-west-2, eu-west-1, ap-northeast-1,
# ap-southeast-2, ...) the mapping is this account's. us-west-1b (usw1-az2) and ca-central-1c
# (cac1-az3) are legacy zones that only older accounts still have.
AVAILABILITY_ZONES: dict[str, tuple[tuple[str, str], ...]] = {
    "us-east-1": (
        ("a", "use1-az6"),
        ("b", "use1-az1"),
        ("c", "use1-az3"),
        ("d", "use1-az4"),
        ("e", "use1-az2"),
        ("f", "use1-az5"),
    ),
    "us-east-2": (("a", "use2-az1"), ("b", "use2-az2"), ("c", "use2-az3")),
    "us-west-1": (("a", "usw1-az1"), ("b", "usw1-az2"), ("c", "usw1-az3")),
    "us-west-2": (("a", "usw2-az2"), ("b", "usw2-az1"), ("c", "usw2-az3"), ("d", "usw2-az4")),
    "ca-central-1": (("a", "cac1-az1"), ("b", "cac1-az2"), ("c", "cac1-az3"), ("d", "cac1-az4")),
    "ca-west-1": (("a", "caw1-az1"), ("b", "caw1-az2"), ("c", "caw1-az3")),
    "mx-central-1": (("a", "mxc1-az1"), ("b", "mxc1-az2"), ("c", "mxc1-az3")),
    "sa-east-1": (("a", "sae1-az1"), ("b", "sae1-az2"), ("c", "sae1-az3")),
    "eu-west-1": (("a", "euw1-az3"), ("b", "euw1-az1"), ("c", "euw1-az2")),
    "eu-west-2": (("a", "euw2-az2"), ("b", "euw2-az3"), ("c", "euw2-az1")),
    "eu-west-3": (("a", "euw3-az1"), ("b", "euw3-az2"), ("c", "euw3-az3")),
    "eu-central-1": (("a", "euc1-az1"), ("b", "euc1-az2"), ("c", "euc1-az3")),
    "eu-central-2": (("a", "euc2-az1"), ("b", "euc2-az2"), ("c", "euc2-az3")),
    "eu-north-1": (("a", "eun1-az1"), ("b", "eun1-az2"), ("c", "eun1-az3")),
    "eu-south-1": (("a", "eus1-az1"), ("b", "eus1-az2"), ("c", "eus1-az3")),
    "eu-south-2": (("a", "eus2-az1"), ("b", "eus2-az2"), ("c", "eus2-az3")),
    "il-central-1": (("a", "ilc1-az1"), ("b", "ilc1-az2"), ("c", "ilc1-az3")),
    "me-south-1": (("a", "mes1-az1"), ("b", "mes1-az2"), ("c", "mes1-az3")),
    "me-central-1": (("a", "mec1-az1"), ("b", "mec1-az2"), ("c", "mec1-az3")),
    "af-south-1": (("a", "afs1-az1"), ("b", "afs1-az2"), ("c", "afs1-az3")),
    "ap-east-1": (("a", "ape1-az1"), ("b", "ape1-az2"), ("c", "ape1-az3")),
    "ap-east-2": (("a", "ape2-az1"), ("b", "ape2-az2"), ("c", "ape2-az3")),
    "ap-south-1": (("a", "aps1-az1"), ("b", "aps1-az3"), ("c", "aps1-az2")),
    "ap-south-2": (("a", "aps2-az1"), ("b", "aps2-az2"), ("c", "aps2-az3")),
    "ap-northeast-1": (("a", "apne1-az4"), ("c", "apne1-az1"), ("d", "apne1-az2")),
    "ap-northeast-2": (("a", "apne2-az1"), ("b", "apne2-az2"), ("c", "apne2-az3"), ("d", "apne2-az4")),
    "ap-northeast-3": (("a", "apne3-az1"), ("b", "apne3-az2"), ("c", "apne3-az3")),
    "ap-southeast-1": (("a", "apse1-az1"), ("b", "apse1-az2"), ("c", "apse1-az3")),
    "ap-southeast-2": (("a", "apse2-az1"), ("b", "apse2-az3"), ("c", "apse2-az2")),
    "ap-southeast-3": (("a", "apse3-az1"), ("b", "apse3-az2"), ("c", "apse3-az3")),
    "ap-southeast-4": (("a", "apse4-az1"), ("b", "apse4-az2"), ("c", "apse4-az3")),
    "ap-southeast-5": (("a", "apse5-az1"), ("b", "apse5-az2"), ("c", "apse5-az3")),
    "ap-southeast-7": (("a", "apse7-az1"), ("b", "apse7-az2"), ("c", "apse7-az3")),
    "us-gov-east-1": (("a", "usge1-az1"), ("b", "usge1-az2"), ("c", "usge1-az3")),
    "us-gov-west-1": (("a", "usgw1-az1"), ("b", "usgw1-az2"), ("c", "usgw1-az3")),
    "cn-north-1": (("a", "cnn1-az1"), ("b", "cnn1-az2")),
    "cn-northwest-1": (("a", "cnnw1-az1"), ("b", "cnnw1-az2"), ("c", "cnnw1-az3")),
}
# Local Zones an account sees but has not opted in to: listed only with `allAvailabilityZones`.
LOCAL_ZONES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "us-east-1": (("us-east-1-bos-1a", "use1-bos1-az1", "us-east-1-bos-1"),),
    "us-west-2": (("us-west-2-lax-1a", "usw2-lax1-az1", "us-west-2-lax-1"),),
}
# Amazon EKS refuses cluster subnets in these zones (EKS user guide, "Subnet requirements for clusters").
EKS_UNSUPPORTED_ZONE_IDS = frozenset({"use1-az3", "usw1-az2", "cac1-az3"})
REGION_NAMES = {
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-1": "US West (N. California)",
    "us-west-2": "US West (Oregon)",
    "ca-central-1": "Canada (Central)",
    "ca-west-1": "Canada West (Calgary)",
    "mx-central-1": "Mexico (Central)",
    "sa-east-1": "South America (Sao Paulo)",
    "eu-west-1": "Europe (Ireland)",
    "eu-west-2": "Europe (London)",
    "eu-west-3": "Europe (Paris)",
    "eu-central-1": "Europe (Frankfurt)",
    "eu-central-2": "Europe (Zurich)",
    "eu-north-1": "Europe (Stockholm)",
    "eu-south-1": "Europe (Milan)",
    "eu-south-2": "Europe (Spain)",
    "il-central-1": "Israel (Tel Aviv)",
    "me-south-1": "Middle East (Bahrain)",
    "me-central-1": "Middle East (UAE)",
    "af-south-1": "Africa (Cape Town)",
    "ap-east-1": "Asia Pacific (Hong Kong)",
    "ap-east-2": "Asia Pacific (Taipei)",
    "ap-south-1": "Asia Pacific (Mumbai)",
    "ap-south-2": "Asia Pacific (Hyderabad)",
    "ap-northeast-1": "Asia Pacific (Tokyo)",
    "ap-northeast-2": "Asia Pacific (Seoul)",
    "ap-northeast-3": "Asia Pacific (Osaka)",
    "ap-southeast-1": "Asia Pacific (Singapore)",
    "ap-southeast-2": "Asia Pacific (Sydney)",
    "ap-southeast-3": "Asia Pacific (Jakarta)",
    "ap-southeast-4": "Asia Pacific (Melbourne)",
    "ap-southeast-5": "Asia Pacific (Malaysia)",
    "ap-southeast-7": "Asia Pacific (Thailand)",
    "us-gov-east-1": "AWS GovCloud (US-East)",
    "us-gov-west-1": "AWS GovCloud (US-West)",
    "cn-north-1": "China (Beijing)",
    "cn-northwest-1": "China (Ningxia)",
}
# The ELB service account that writes access logs, per Region (Elastic Load Balancing user guide).
ELB_ACCOUNTS = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "af-south-1": "098369216593",
    "ca-central-1": "985666609251",
    "eu-central-1": "054676820928",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-south-1": "635631232127",
    "eu-west-3": "009996457667",
    "eu-north-1": "897822967062",
    "ap-east-1": "754344448648",
    "ap-northeast-1": "582318560864",
    "ap-northeast-2": "600734575887",
    "ap-northeast-3": "383597477331",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "ap-southeast-3": "589379963580",
    "ap-south-1": "718504428378",
    "me-south-1": "076674570225",
    "sa-east-1": "507241528517",
    "us-gov-west-1": "048591011584",
    "us-gov-east-1": "190560391635",
    "cn-north-1": "638102146993",
    "cn-northwest-1": "037604701340",
}
_OWNER_ALIASES = {"amazon": "137112412989", "aws-marketplace": "679593333241", "microsoft": "801119661308"}


class InvokeFailureError(Exception):
    """The data source finds nothing, as the provider would report it: `(property, reason)`."""

    def __init__(self, prop: str, reason: str) -> None:
        super().__init__(reason)
        self.prop = prop
        self.reason = reason


@dataclass
class InvokeContext:
    """The region an invoke runs in, and the secret strings answers handed out."""

    region: str
    secrets: set[str] = field(default_factory=set)
    # VPC ids (per Region) that answers have named, so a later lookup by subnet id finds its VPC.
    vpcs: set[tuple[str, str]] = field(default_factory=set)

    def secret(self, value: str) -> dict[str, Any]:
        """`value`, marked secret on the wire (the SDK then marks the whole result secret)."""
        self.secrets.add(value)
        return {_SIG_KEY: _SECRET_SIG, "value": value}

    @property
    def partition(self) -> str:
        return partition_of(self.region)[0]


Answer = Callable[[dict[str, Any], InvokeContext], dict[str, Any]]


def partition_of(region: str) -> tuple[str, str]:
    """(partition, DNS suffix) of a Region."""
    if region.startswith("cn-"):
        return "aws-cn", "amazonaws.com.cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov", "amazonaws.com"
    return "aws", "amazonaws.com"


def digest(*parts: Any) -> str:
    return hashlib.sha256("/".join(json.dumps(p, sort_keys=True) for p in parts).encode()).hexdigest()


def aws_id(prefix: str, *parts: Any) -> str:
    """An EC2-style id: prefix and 17 hex digits, derived from `parts`."""
    return f"{prefix}-{digest(prefix, *parts)[:17]}"


def _filters(args: dict[str, Any]) -> dict[str, list[str]]:
    return {f["name"]: [str(v) for v in f.get("values") or []] for f in args.get("filters") or []}


def _first(filters: dict[str, list[str]], name: str) -> str | None:
    values = filters.get(name)
    return values[0] if values else None


def _matches(value: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(value, pattern) for pattern in patterns)


# -- account, partition, region ---------------------------------------------------------------------
def caller_identity(_args: dict[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    return {
        "accountId": ACCOUNT_ID,
        "arn": f"arn:{ctx.partition}:sts::{ACCOUNT_ID}:assumed-role/platform-deployer/pulumi",
        "userId": "AROAEXAMPLEDEPLOYER:pulumi",
        "id": ACCOUNT_ID,
    }


def partition(_args: dict[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    name, suffix = partition_of(ctx.region)
    return {
        "partition": name,
        "dnsSuffix": suffix,
        "reverseDnsPrefix": ".".join(reversed(suffix.split("."))),
        "id": name,
    }


def region(args: dict[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    name = args.get("region") or args.get("name") or ctx.region
    return {
        "region": name,
        "name": name,
        "endpoint": f"ec2.{name}.{partition_of(name)[1]}",
        "description": REGION_NAMES.get(name, name),
        "id": name,
    }


def session_context(args: dict[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    return {
        "arn": args["arn"],
        "issuerArn": DEPLOYER_ROLE.replace("arn:aws:", f"arn:{ctx.partition}:"),
        "issuerId": "AROAEXAMPLEDEPLOYER",
        "issuerName": "platform-deployer",
        "sessionName": "pulumi",
        "id": args["arn"],
    }


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


def find_subnet(subnet_id: str, region_name: str, vpcs: set[tuple[str, str]]) -> Subnet | None:
    """A subnet an invoke answer handed out, by id."""
    candidates = {default_vpc_id(region_name)} | {vpc for r, vpc in vpcs if r == region_name}
    return next(
        (s for vpc in sorted(candidates) for s in subnets_of(vpc, region_name) if s.subnet_id == subnet_id),
        None,
    )


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


# -- AMIs and public SSM parameters -----------------------------------------------------------------
def _sample_name(pattern: str) -> str:
    """A concrete image name a wildcard filter or a name regex would match."""
    name = pattern.strip("^$")
    for token in (".*", ".+", r"\d+", r"\d{8}", "*", "[0-9]*"):
        name = name.replace(token, RELEASE_DATE, 1).replace(token, "")
    return re.sub(r"\\(.)", r"\1", name).replace("?", "0").rstrip("-._")


def ami(args: dict[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    region_name = args.get("region") or ctx.region
    filters = _filters(args)
    pattern = _first(filters, "name") or args.get("nameRegex") or "offline-plan-image-*"
    name = _sample_name(pattern)
    image_id = aws_id("ami", region_name, args.get("owners"), sorted(filters.items()), args.get("nameRegex"))
    owners = args.get("owners") or ["self"]
    owner_id = _OWNER_ALIASES.get(owners[0], ACCOUNT_ID if owners[0] == "self" else owners[0])
    architecture = _first(filters, "architecture") or (
        "arm64" if re.search(r"arm64|aarch64", name) else "x86_64"
    )
    snapshot = aws_id("snap", image_id)
    return {
        "id": image_id,
        "imageId": image_id,
        "arn": f"arn:{ctx.partition}:ec2:{region_name}::image/{image_id}",
        "name": name,
        "description": f"{name} (offline plan)",
        "architecture": architecture,
        "ownerId": owner_id,
        "imageOwnerAlias": owners[0] if owners[0] in _OWNER_ALIASES else None,
        "imageLocation": f"{owners[0]}/{name}",
        "imageType": "machine",
        "creationDate": f"{RELEASE_DATE[:4]}-{RELEASE_DATE[4:6]}-{RELEASE_DATE[6:]}T00:00:00.000Z",
        "deprecationTime": "2027-11-15T00:00:00.000Z",
        "state": "available",
        "public": owners[0] != "self",
        "virtualizationType": (filters.get("virtualization-type") or ["hvm"])[0],
        "rootDeviceType": (filters.get("root-device-type") or ["ebs"])[0],
        "rootDeviceName": "/dev/xvda",
        "rootSnapshotId": snapshot,
        "blockDeviceMappings": [
            {
                "deviceName": "/dev/xvda",
                "ebs": {
                    "snapshot_id": snapshot,
                    "volume_size": "8",
                    "volume_type": "gp3",
                    "delete_on_termination": "true",
                    "encrypted": "false",
                },
                "noDevice": "",
                "virtualName": "",
            }
        ],
        "bootMode": "uefi-preferred",
        "enaSupport": True,
        "sriovNetSupport": "simple",
        "hypervisor": "xen",
        "imdsSupport": "v2.0",
        "platformDetails": "Linux/UNIX",
        "usageOperation": "RunInstances",
        "productCodes": [],
        "tags": {},
        "mostRecent": args.get("mostRecent"),
        "owners": args.get("owners"),
        "filters": args.get("filters"),
        "nameRegex": args.get("nameRegex"),
        "region": region_name,
    }


def ami_ids(args: dict[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    region_name = args.get("region") or ctx.region
    key = (region_name, args.get("owners"), sorted(_filters(args).items()), args.get("nameRegex"))
    ids = [aws_id("ami", *key, n) for n in range(2)]
    return {
        "ids": list(reversed(ids)) if args.get("sortAscending") else ids,
        "owners": args.get("owners"),
        "filters": args.get("filters"),
        "nameRegex": args.get("nameRegex"),
        "region": region_name,
        "id": digest(*key)[:12],
    }


def ssm_parameter(args: dict[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    region_name = args.get("region") or ctx.region
    name = str(args["name"])
    arn_name = name if name.startswith("/") else f"/{name}"
    public = name.startswith("/aws/service/")
    value: Any
    if public:
        value = _public_parameter(name, region_name)
    else:
        value = ctx.secret(f"offline-plan-parameter-{digest(region_name, name)[:16]}")
    return {
        "name": name,
        "arn": f"arn:{ctx.partition}:ssm:{region_name}:{'' if public else ACCOUNT_ID}:parameter{arn_name}",
        "type": "String" if public else "SecureString",
        "value": value,
        "insecureValue": value if public else None,
        "version": 1,
        "withDecryption": args.get("withDecryption"),
        "region": region_name,
        "id": name,
    }


def _public_parameter(name: str, region_name: str) -> str:
    """The value of an AWS public parameter: AMI ids for the AMI paths, a readable value otherwise."""
    image_id = aws_id("ami", region_name, name.removesuffix("/image_id"))
    eks = re.match(r"/aws/service/eks/optimized-ami/(?P<k8s>[\d.]+)/(?P<flavor>[^/]+)/", name)
    release = f"{eks['k8s']}.0-{RELEASE_DATE}" if eks else RELEASE_DATE
    if name.endswith("/release_version"):
        return release
    if name.endswith("/image_name"):
        return f"amazon-eks-node-{eks['k8s'] if eks else 'al2023'}-v{RELEASE_DATE}"
    if eks and name.rstrip("/").endswith("/recommended"):
        return json.dumps(
            {
                "image_id": image_id,
                "image_name": f"amazon-eks-node-{eks['k8s']}-v{RELEASE_DATE}",
                "release_version": release,
                "schema_version": "3.0.0",
            }
        )
    if name.endswith("/longName") and "/global-infrastructure/regions/" in name:
        return REGION_NAMES.get(name.split("/")[-2], name.split("/")[-2])
    return image_id  # image_id paths, ami-amazon-linux-latest, ami-windows-latest, canonical, bottlerocket


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


def arn_parts(args: dict[str, Any], _ctx: InvokeContext) -> dict[str, Any]:
    """`getArn`: the ARN's own fields, exactly."""
    arn = str(args["arn"])
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        raise InvokeFailureError(
            "arn", f"{arn!r} is not an ARN (arn:partition:service:region:account:resource)"
        )
    _, partition_name, service, region_name, account, resource = parts
    return {
        "arn": arn,
        "id": arn,
        "partition": partition_name,
        "service": service,
        "region": region_name,
        "account": account,
        "resource": resource,
    }


# -- Route 53, ACM ------------------------------------------------------------------------------------
def route53_zone(args: dict[str, Any], _ctx: InvokeContext) -> dict[str, Any]:
    name = str(args.get("name") or "").rstrip(".")
    private = bool(args.get("privateZone"))
    zone_id = (
        args.get("zoneId") or "Z" + base64.b32encode(bytes.fromhex(digest(name, private)[:24])).decode()[:20]
    )
    name = name or f"zone-{zone_id[-6:].lower()}.example.com"
    servers = int(digest(zone_id)[:6], 16)
    name_servers = [
        f"ns-{servers % 512 + 1}.awsdns-{servers % 64:02d}.com",
        f"ns-{servers % 512 + 513}.awsdns-{(servers >> 6) % 64:02d}.net",
        f"ns-{servers % 512 + 1025}.awsdns-{(servers >> 12) % 64:02d}.org",
        f"ns-{servers % 512 + 1537}.awsdns-{(servers >> 18) % 64:02d}.co.uk",
    ]
    return {
        "id": zone_id,
        "zoneId": zone_id,
        "name": name,
        "arn": f"arn:aws:route53:::hostedzone/{zone_id}",
        "callerReference": f"offline-plan-{digest(zone_id)[:8]}",
        "comment": "",
        "nameServers": [] if private else name_servers,
        "primaryNameServer": "" if private else name_servers[0],
        "privateZone": private,
        "vpcId": args.get("vpcId"),
        "resourceRecordSetCount": 2,
        "linkedServiceDescription": "",
        "linkedServicePrincipal": "",
        "enableAcceleratedRecovery": args.get("enableAcceleratedRecovery"),
        "tags": args.get("tags") or {},
    }


def acm_certificate(args: dict[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    region_name = args.get("region") or ctx.region
    domain = args.get("domain") or "example.com"
    h = digest(region_name, domain)
    certificate_id = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"
    return {
        "id": f"arn:{ctx.partition}:acm:{region_name}:{ACCOUNT_ID}:certificate/{certificate_id}",
        "arn": f"arn:{ctx.partition}:acm:{region_name}:{ACCOUNT_ID}:certificate/{certificate_id}",
        "domain": domain,
        "status": "ISSUED",
        "statuses": args.get("statuses"),
        "types": args.get("types") or ["AMAZON_ISSUED"],
        "keyTypes": args.get("keyTypes") or ["RSA_2048"],
        "mostRecent": args.get("mostRecent"),
        "certificate": "",
        "certificateChain": "",
        "tags": args.get("tags") or {},
        "region": region_name,
    }


# -- ECR ----------------------------------------------------------------------------------------------
def _ecr_token(args: dict[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    region_name = args.get("region") or ctx.region
    registry = args.get("registryId") or ACCOUNT_ID
    password = f"OfflinePlanEcrPassword{digest('ecr', registry, region_name)[:24]}"
    token = base64.b64encode(f"AWS:{password}".encode()).decode()
    return {
        "authorizationToken": ctx.secret(token),
        "password": ctx.secret(password),
        "userName": "AWS",
        "expiresAt": "2025-11-15T12:00:00Z",
        "proxyEndpoint": f"https://{registry}.dkr.ecr.{region_name}.{partition_of(region_name)[1]}",
        "registryId": registry,
        "region": region_name,
        "id": region_name,
    }


def ecr_credentials(args: dict[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    answer = _ecr_token(args, ctx)
    answer.pop("password")
    answer.pop("userName")
    return answer


def _repository_url(registry: str, region_name: str, name: str) -> str:
    return f"{registry}.dkr.ecr.{region_name}.{partition_of(region_name)[1]}/{name}"


def ecr_repository(args: dict[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    region_name = args.get("region") or ctx.region
    registry = args.get("registryId") or ACCOUNT_ID
    name = args["name"]
    return {
        "id": name,
        "name": name,
        "arn": f"arn:{ctx.partition}:ecr:{region_name}:{registry}:repository/{name}",
        "registryId": registry,
        "repositoryUrl": _repository_url(registry, region_name, name),
        "imageTagMutability": "MUTABLE",
        "imageTagMutabilityExclusionFilters": [],
        "imageScanningConfigurations": [{"scanOnPush": False}],
        "encryptionConfigurations": [{"encryptionType": "AES256", "kmsKey": ""}],
        "mostRecentImageTags": ["latest"],
        "tags": args.get("tags") or {},
        "region": region_name,
    }


def ecr_image(args: dict[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    region_name = args.get("region") or ctx.region
    registry = args.get("registryId") or ACCOUNT_ID
    repository = args["repositoryName"]
    tag = args.get("imageTag") or "latest"
    image_digest = args.get("imageDigest") or f"sha256:{digest(registry, region_name, repository, tag)}"
    return {
        "id": image_digest,
        "imageDigest": image_digest,
        "imageTag": args.get("imageTag"),
        "imageTags": [tag],
        "imageUri": f"{_repository_url(registry, region_name, repository)}@{image_digest}",
        "imagePushedAt": 1763164800,
        "imageSizeInBytes": 52_428_800,
        "mostRecent": args.get("mostRecent"),
        "registryId": registry,
        "repositoryName": repository,
        "region": region_name,
    }


# -- IAM, EKS, KMS, S3, ELB, Secrets Manager ----------------------------------------------------------
def iam_policy(args: dict[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    arn = args.get("arn")
    name = args.get("name") or (arn.rsplit("/", 1)[-1] if arn else "offline-plan-policy")
    prefix = args.get("pathPrefix") or "/"
    if not arn:
        arn = f"arn:{ctx.partition}:iam::{ACCOUNT_ID}:policy{prefix}{name}"
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    return {
        "id": arn,
        "arn": arn,
        "name": name,
        "path": prefix,
        "pathPrefix": args.get("pathPrefix"),
        "description": f"{name} (offline plan)",
        "policy": json.dumps(document),
        "policyId": "ANPA" + digest(arn)[:17].upper(),
        "attachmentCount": 1,
        "tags": args.get("tags") or {},
    }


def iam_role(args: dict[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    name = args["name"]
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    return {
        "id": name,
        "name": name,
        "arn": f"arn:{ctx.partition}:iam::{ACCOUNT_ID}:role/{name}",
        "assumeRolePolicy": json.dumps(trust),
        "createDate": _ISSUED_AT,
        "description": "",
        "maxSessionDuration": 3600,
        "path": "/",
        "permissionsBoundary": "",
        "roleLastUseds": [],
        "uniqueId": "AROA" + digest(name)[:17].upper(),
        "tags": args.get("tags") or {},
    }


def eks_cluster(args: dict[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    region_name = args.get("region") or ctx.region
    name = args["name"]
    oidc_id = digest(region_name, name)[:32].upper()
    vpc_id = default_vpc_id(region_name)
    subnet_ids = [
        s.subnet_id for s in subnets_of(vpc_id, region_name) if s.zone.zone_id not in EKS_UNSUPPORTED_ZONE_IDS
    ][:3]
    return {
        "id": name,
        "name": name,
        "clusterId": "",
        "arn": f"arn:{ctx.partition}:eks:{region_name}:{ACCOUNT_ID}:cluster/{name}",
        "endpoint": f"https://{oidc_id}.gr7.{region_name}.eks.amazonaws.com",
        "certificateAuthorities": [{"data": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk9GRkxJTkUtUExBTgo="}],
        "identities": [{"oidcs": [{"issuer": f"https://oidc.eks.{region_name}.amazonaws.com/id/{oidc_id}"}]}],
        "accessConfigs": [
            {"authenticationMode": "API_AND_CONFIG_MAP", "bootstrapClusterCreatorAdminPermissions": True}
        ],
        "kubernetesNetworkConfigs": [
            {
                "ipFamily": "ipv4",
                "serviceIpv4Cidr": "172.20.0.0/16",
                "serviceIpv6Cidr": "",
                "elasticLoadBalancings": [],
            }
        ],
        "vpcConfig": {
            "clusterSecurityGroupId": aws_id("sg", region_name, name, "cluster"),
            "endpointPrivateAccess": True,
            "endpointPublicAccess": True,
            "publicAccessCidrs": ["0.0.0.0/0"],
            "securityGroupIds": [],
            "subnetIds": subnet_ids,
            "vpcId": vpc_id,
        },
        "createdAt": _ISSUED_AT,
        "platformVersion": "eks.1",
        "roleArn": f"arn:{ctx.partition}:iam::{ACCOUNT_ID}:role/{name}-cluster",
        "status": "ACTIVE",
        "version": "1.34",
        "enabledClusterLogTypes": [],
        "deletionProtection": False,
        "tags": args.get("tags") or {},
        "region": region_name,
    }


def eks_cluster_auth(args: dict[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    region_name = args.get("region") or ctx.region
    token = "k8s-aws-v1." + digest("eks-token", region_name, args["name"])[:48]
    return {"id": args["name"], "name": args["name"], "token": ctx.secret(token), "region": region_name}


def addon_version(args: dict[str, Any], _ctx: InvokeContext) -> dict[str, Any]:
    version = ADDON_VERSIONS.get(args["addonName"], "v1.0.0-eksbuild.1")
    return {
        "version": version.format(k8s=args["kubernetesVersion"]),
        "addonName": args["addonName"],
        "kubernetesVersion": args["kubernetesVersion"],
        "id": args["addonName"],
    }


def _key_uuid(*parts: Any) -> str:
    h = digest("kms", *parts)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def kms_key(args: dict[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    region_name = args.get("region") or ctx.region
    reference = str(args["keyId"])
    key_id = reference.rsplit("/", 1)[-1] if ":key/" in reference else _key_uuid(region_name, reference)
    aws_managed = reference.startswith("alias/aws/")
    return {
        "id": key_id,
        "keyId": key_id,
        "arn": f"arn:{ctx.partition}:kms:{region_name}:{ACCOUNT_ID}:key/{key_id}",
        "awsAccountId": ACCOUNT_ID,
        "creationDate": _ISSUED_AT,
        "description": f"Default key that protects my {reference.rsplit('/', 1)[-1]} data"
        if aws_managed
        else "",
        "enabled": True,
        "keyManager": "AWS" if aws_managed else "CUSTOMER",
        "keySpec": "SYMMETRIC_DEFAULT",
        "customerMasterKeySpec": "SYMMETRIC_DEFAULT",
        "keyState": "Enabled",
        "keyUsage": "ENCRYPT_DECRYPT",
        "multiRegion": False,
        "origin": "AWS_KMS",
        "expirationModel": "",
        "region": region_name,
    }


def kms_alias(args: dict[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    region_name = args.get("region") or ctx.region
    name = args["name"]
    key_id = _key_uuid(region_name, name)
    return {
        "id": f"arn:{ctx.partition}:kms:{region_name}:{ACCOUNT_ID}:{name}",
        "arn": f"arn:{ctx.partition}:kms:{region_name}:{ACCOUNT_ID}:{name}",
        "name": name,
        "targetKeyId": key_id,
        "targetKeyArn": f"arn:{ctx.partition}:kms:{region_name}:{ACCOUNT_ID}:key/{key_id}",
        "region": region_name,
    }


# The Route 53 hosted zone of S3 website endpoints, per Region (Amazon S3 endpoints table).
_S3_WEBSITE_ZONES = {
    "us-east-1": "Z3AQBSTGFYJSTF",
    "us-east-2": "Z2O1EMRO9K5GLX",
    "us-west-1": "Z2F56UZL2M1ACD",
    "us-west-2": "Z3BJ6K6RIION7M",
    "eu-west-1": "Z1BKCTXD74EZPE",
}


def s3_bucket(args: dict[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    region_name = args.get("region") or ctx.region
    bucket = args["bucket"]
    suffix = partition_of(region_name)[1]
    return {
        "id": bucket,
        "bucket": bucket,
        "arn": f"arn:{ctx.partition}:s3:::{bucket}",
        "bucketDomainName": f"{bucket}.s3.{suffix}",
        "bucketRegionalDomainName": f"{bucket}.s3.{region_name}.{suffix}",
        "bucketRegion": region_name,
        "hostedZoneId": _S3_WEBSITE_ZONES.get(region_name),
        "websiteDomain": f"s3-website-{region_name}.{suffix}",
        "websiteEndpoint": f"{bucket}.s3-website-{region_name}.{suffix}",
        "region": region_name,
    }


def elb_service_account(args: dict[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    region_name = args.get("region") or ctx.region
    account = ELB_ACCOUNTS.get(region_name)
    if account is None:
        raise InvokeFailureError(
            "region", f"no Elastic Load Balancing service account is known for {region_name}"
        )
    return {
        "id": account,
        "arn": f"arn:{partition_of(region_name)[0]}:iam::{account}:root",
        "region": region_name,
    }


def _secret_arn(region_name: str, reference: str, partition_name: str) -> str:
    if reference.startswith("arn:"):
        return reference
    suffix = digest(reference)[:6]
    return f"arn:{partition_name}:secretsmanager:{region_name}:{ACCOUNT_ID}:secret:{reference}-{suffix}"


def secret(args: dict[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    region_name = args.get("region") or ctx.region
    reference = args.get("arn") or args.get("name") or "offline-plan-secret"
    arn = _secret_arn(region_name, reference, ctx.partition)
    name = args.get("name") or arn.split(":secret:", 1)[-1].rsplit("-", 1)[0]
    return {
        "id": arn,
        "arn": arn,
        "name": name,
        "description": "",
        "kmsKeyId": "",
        "policy": "",
        "createdDate": _ISSUED_AT,
        "lastChangedDate": _ISSUED_AT,
        "type": "",
        "tags": args.get("tags") or {},
        "region": region_name,
    }


def secret_version(args: dict[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    region_name = args.get("region") or ctx.region
    arn = _secret_arn(region_name, args["secretId"], ctx.partition)
    version_id = _key_uuid("secret-version", arn, args.get("versionId"))
    value = f"OfflinePlanSecretValue-{digest('secret-value', arn)[:16]}"
    stage = args.get("versionStage") or "AWSCURRENT"
    return {
        "id": f"{arn}|{stage}",
        "secretArn": arn,
        "secretId": args["secretId"],
        "secretString": ctx.secret(value),
        "secretBinary": ctx.secret(base64.b64encode(value.encode()).decode()),
        "versionId": args.get("versionId") or version_id,
        "versionStage": stage,
        "versionStages": [stage],
        "createdDate": _ISSUED_AT,
        "region": region_name,
    }


# -- IAM policy documents -----------------------------------------------------------------------------
def _string_set(values: list[Any]) -> Any:
    """A provider string set as IAM JSON: one value alone, several in reverse-sorted order."""
    items = [str(v).replace("&{", "${") for v in values]
    return items[0] if len(items) == 1 else sorted(items, reverse=True)


def _principals(principals: list[dict[str, Any]]) -> Any:
    rendered: dict[str, Any] = {}
    for principal in principals:
        kind = principal["type"]
        identifiers = _string_set(principal.get("identifiers") or [])
        existing = rendered.get(kind)
        if existing is None:
            rendered[kind] = identifiers
        else:
            merged = [existing] if isinstance(existing, str) else list(existing)
            rendered[kind] = merged + ([identifiers] if isinstance(identifiers, str) else identifiers)
    if rendered.get("*") == "*":
        return "*"
    return dict(sorted(rendered.items()))


def _camel_keys(block: dict[str, Any]) -> dict[str, Any]:
    """A statement block as the provider reads it: `not_actions` (a plain dict's key) is `notActions`."""
    return {re.sub(r"_([a-z])", lambda m: m.group(1).upper(), key): value for key, value in block.items()}


def _statement(statement: dict[str, Any]) -> dict[str, Any]:
    """One statement in the field order and shapes the provider's IAMPolicyStatement marshals."""
    statement = _camel_keys(statement)
    rendered: dict[str, Any] = {
        "Sid": statement.get("sid") or "",
        "Effect": statement.get("effect") or "Allow",
    }
    for source, target in (
        ("actions", "Action"),
        ("notActions", "NotAction"),
        ("resources", "Resource"),
        ("notResources", "NotResource"),
    ):
        if statement.get(source):
            rendered[target] = _string_set(statement[source])
    for source, target in (("principals", "Principal"), ("notPrincipals", "NotPrincipal")):
        if statement.get(source):
            rendered[target] = _principals(statement[source])
    conditions: dict[str, dict[str, Any]] = {}
    for condition in statement.get("conditions") or []:
        values = [str(v).replace("&{", "${") for v in condition.get("values") or []]
        variables = conditions.setdefault(condition["test"], {})
        if condition["variable"] in variables:
            previous = variables[condition["variable"]]
            values = ([previous] if isinstance(previous, str) else previous) + values
        variables[condition["variable"]] = values[0] if len(values) == 1 else values
    if conditions:
        rendered["Condition"] = {test: dict(sorted(v.items())) for test, v in sorted(conditions.items())}
    return rendered


def _merge(statements: list[dict[str, Any]], new: Iterable[dict[str, Any]]) -> None:
    """IAMPolicyDoc.Merge: a statement with a Sid replaces the earlier one with that Sid."""
    for statement in new:
        sid = statement.get("Sid")
        index = next((i for i, s in enumerate(statements) if sid and s.get("Sid") == sid), None)
        if index is None:
            statements.append(statement)
        else:
            statements[index] = statement


def _parsed_statements(document: str, argument: str) -> list[dict[str, Any]]:
    try:
        parsed = json.loads(document)
    except json.JSONDecodeError as error:
        raise InvokeFailureError(argument, f"not a JSON policy document: {error}") from None
    statements = parsed.get("Statement") or []
    return [statements] if isinstance(statements, dict) else list(statements)


def policy_document(args: dict[str, Any], _ctx: InvokeContext) -> dict[str, Any]:
    """Renders `getPolicyDocument` to IAM JSON as the provider does: sources, statements, overrides."""
    merged: list[dict[str, Any]] = []
    seen_sids: set[str] = set()
    for index, source in enumerate(args.get("sourcePolicyDocuments") or []):
        statements = _parsed_statements(source, "sourcePolicyDocuments")
        for statement in statements:
            sid = statement.get("Sid")
            if sid and sid in seen_sids:
                raise InvokeFailureError(
                    "sourcePolicyDocuments",
                    f"duplicate Sid ({sid}) in source_policy_documents (item {index}). "
                    "Remove the Sid or ensure Sids are unique",
                )
            if sid:
                seen_sids.add(sid)
        _merge(merged, statements)
    own_sids: set[str] = set()
    own = []
    for statement in args.get("statements") or []:
        sid = statement.get("sid") or ""
        if sid and sid in own_sids:
            raise InvokeFailureError(
                "statements", f"duplicate Sid ({sid}). Remove the Sid or ensure the Sid is unique"
            )
        own_sids.add(sid)
        own.append(_statement(statement))
    _merge(merged, own)
    for override in args.get("overridePolicyDocuments") or []:
        _merge(merged, _parsed_statements(override, "overridePolicyDocuments"))
    document: dict[str, Any] = {"Version": args.get("version") or "2012-10-17"}
    if args.get("policyId"):
        document["Id"] = args["policyId"]
    document["Statement"] = merged
    rendered = json.dumps(document, indent=2)
    return {
        "json": rendered,
        "minifiedJson": json.dumps(document, separators=(",", ":")),
        "id": str(int(digest(rendered)[:8], 16)),
        "statements": args.get("statements"),
        "sourcePolicyDocuments": args.get("sourcePolicyDocuments"),
        "overridePolicyDocuments": args.get("overridePolicyDocuments"),
        "policyId": args.get("policyId"),
        "version": args.get("version") or "2012-10-17",
    }


def generic(token: str, args: dict[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    """Any other invoke: its arguments echoed back with a stable `id`.

    A data source's result repeats most of its arguments (the name or id it was looked up by), so the
    echo gives programs the values they most often read next; the other fields stay unset (`None`).
    """
    return {**args, "id": f"{token.rsplit(':', 1)[-1]}-{digest(token, args, ctx.region)[:12]}"}


AWS_ANSWERS: dict[str, Answer] = {
    "aws:index/getCallerIdentity:getCallerIdentity": caller_identity,
    "aws:index/getPartition:getPartition": partition,
    "aws:index/getRegion:getRegion": region,
    "aws:index/getAvailabilityZones:getAvailabilityZones": availability_zones,
    "aws:index/getAvailabilityZone:getAvailabilityZone": availability_zone,
    "aws:iam/getSessionContext:getSessionContext": session_context,
    "aws:iam/getPolicyDocument:getPolicyDocument": policy_document,
    "aws:iam/getPolicy:getPolicy": iam_policy,
    "aws:iam/getRole:getRole": iam_role,
    "aws:ec2/getAmi:getAmi": ami,
    "aws:ec2/getAmiIds:getAmiIds": ami_ids,
    "aws:ssm/getParameter:getParameter": ssm_parameter,
    "aws:ec2/getVpc:getVpc": vpc,
    "aws:ec2/getSubnets:getSubnets": subnets,
    "aws:ec2/getSubnet:getSubnet": subnet,
    "aws:ec2/getSecurityGroup:getSecurityGroup": security_group,
    "aws:ec2/getInternetGateway:getInternetGateway": internet_gateway,
    "aws:ec2/getRouteTable:getRouteTable": route_table,
    "aws:ec2/getVpcs:getVpcs": vpcs,
    "aws:ec2/getSecurityGroups:getSecurityGroups": security_groups,
    "aws:index/getArn:getArn": arn_parts,
    "aws:route53/getZone:getZone": route53_zone,
    "aws:acm/getCertificate:getCertificate": acm_certificate,
    "aws:ecr/getAuthorizationToken:getAuthorizationToken": _ecr_token,
    "aws:ecr/getCredentials:getCredentials": ecr_credentials,
    "aws:ecr/getRepository:getRepository": ecr_repository,
    "aws:ecr/getImage:getImage": ecr_image,
    "aws:eks/getCluster:getCluster": eks_cluster,
    "aws:eks/getClusterAuth:getClusterAuth": eks_cluster_auth,
    "aws:eks/getAddonVersion:getAddonVersion": addon_version,
    "aws:kms/getKey:getKey": kms_key,
    "aws:kms/getAlias:getAlias": kms_alias,
    "aws:s3/getBucket:getBucket": s3_bucket,
    "aws:elb/getServiceAccount:getServiceAccount": elb_service_account,
    "aws:secretsmanager/getSecret:getSecret": secret,
    "aws:secretsmanager/getSecretVersion:getSecretVersion": secret_version,
}


# Boolean arguments the answers echo back; the provider coerces "true"/"false" strings to booleans.
_BOOLEAN_ARGUMENTS = frozenset(
    {
        "allAvailabilityZones",
        "allowUnsafeFilter",
        "default",
        "defaultForAz",
        "enableAcceleratedRecovery",
        "includeDeprecated",
        "mostRecent",
        "privateZone",
        "sortAscending",
        "withDecryption",
    }
)


def normalized(args: dict[str, Any]) -> dict[str, Any]:
    """Invoke arguments as the provider sees them after its schema's coercions."""
    return {
        key: value.lower() == "true" if key in _BOOLEAN_ARGUMENTS and isinstance(value, str) else value
        for key, value in args.items()
    }


def redact_values(value: Any, secrets: set[str], marker: str) -> Any:
    """`value` with every string containing one of `secrets` replaced by `marker`, recursively."""
    if not secrets:
        return value
    if isinstance(value, str):
        return marker if any(s in value for s in secrets) else value
    if isinstance(value, dict):
        return {key: redact_values(item, secrets, marker) for key, item in value.items()}
    if isinstance(value, list):
        return [redact_values(item, secrets, marker) for item in value]
    return value
