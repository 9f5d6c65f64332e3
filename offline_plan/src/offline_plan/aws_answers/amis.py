"""AMIs and the public SSM parameters that name them."""

from __future__ import annotations

import json
import re
from typing import Any

from offline_plan.aws_answers.context import (
    _OWNER_ALIASES,
    ACCOUNT_ID,
    REGION_NAMES,
    RELEASE_DATE,
    InvokeContext,
    _filters,
    _first,
    aws_id,
    digest,
)


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
