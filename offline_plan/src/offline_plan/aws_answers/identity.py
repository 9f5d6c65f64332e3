"""Caller identity, partition, Region, session context and ARN parts."""

from __future__ import annotations

from typing import Any

from offline_plan.aws_answers.context import (
    ACCOUNT_ID,
    DEPLOYER_ROLE,
    REGION_NAMES,
    InvokeContext,
    InvokeFailureError,
    partition_of,
)


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
