"""The mock account's facts (account id, Regions, zones, add-on versions) and what every answer shares:
the invoke context, deterministic ids, filter helpers.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
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
