"""Shared pieces of every component: the args base model and IAM/KMS helpers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
from pydantic import BaseModel, ConfigDict

from infra.tagging import aws_tags

# A string known now or later; `pulumi.Input[str]` without the awaitable, which pydantic cannot check.
StrInput = str | pulumi.Output[str]


class ComponentArgs(BaseModel):
    """Frozen, typed component arguments; fields may hold Pulumi Outputs."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)


def policy_json(statements: list[dict[str, Any]]) -> pulumi.Output[str]:
    """An IAM policy document; statements may contain Outputs."""
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": statements})


def assume_role_policy(service: str, condition: dict[str, Any] | None = None) -> str:
    """Trust policy letting one AWS service assume the role, optionally only under `condition`."""
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def encryption_key(
    name: str,
    *,
    description: str,
    tags: dict[str, str],
    parent: pulumi.Resource,
    service_statements: list[dict[str, Any]] | None = None,
    provider: pulumi.ProviderResource | None = None,
    depends_on: list[pulumi.Resource] | None = None,
) -> aws.kms.Key:
    """A rotated customer-managed KMS key whose policy admits the account and the named services.

    `provider` puts the key in another region; without it the key uses the parent's provider.
    `depends_on` names what must exist first, e.g. a role the policy names (KMS refuses unknown principals).
    """
    invoke = pulumi.InvokeOptions(parent=parent, provider=provider)
    identity = aws.get_caller_identity(opts=invoke)
    partition = aws.get_partition(opts=invoke).partition
    root = f"arn:{partition}:iam::{identity.account_id}:root"
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AccountAdministers",
            "Effect": "Allow",
            "Principal": {"AWS": root},
            "Action": "kms:*",
            "Resource": "*",
        },
        *(service_statements or []),
    ]
    key = aws.kms.Key(
        name,
        description=description,
        enable_key_rotation=True,
        rotation_period_in_days=365,
        deletion_window_in_days=30,
        policy=policy_json(statements),
        tags=aws_tags(tags, name),
        opts=pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=depends_on),
    )
    aws.kms.Alias(
        f"{name}-alias",
        name=f"alias/{name}",
        target_key_id=key.key_id,
        opts=pulumi.ResourceOptions(parent=key, provider=provider),
    )
    return key


def logs_key_statement(region: str, account_id: str, partition: str, log_group_name: str) -> dict[str, Any]:
    """Key-policy statement letting CloudWatch Logs use a key for exactly one log group."""
    return {
        "Sid": "CloudWatchLogsEncrypt",
        "Effect": "Allow",
        "Principal": {"Service": f"logs.{region}.amazonaws.com"},
        "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        "Resource": "*",
        "Condition": {
            "ArnEquals": {
                "kms:EncryptionContext:aws:logs:arn": (
                    f"arn:{partition}:logs:{region}:{account_id}:log-group:{log_group_name}"
                )
            }
        },
    }


@dataclass(frozen=True)
class AwsAccount:
    """The region, account and partition a parent's AWS provider deploys into."""

    region: str
    account_id: str
    partition: str


def aws_account(parent: pulumi.Resource) -> AwsAccount:
    """Looks the three up once each, through the parent's provider."""
    invoke = pulumi.InvokeOptions(parent=parent)
    return AwsAccount(
        region=aws.get_region(opts=invoke).region,
        account_id=aws.get_caller_identity(opts=invoke).account_id,
        partition=aws.get_partition(opts=invoke).partition,
    )


def log_group_key(
    name: str,
    *,
    log_group_name: str,
    description: str,
    tags: dict[str, str],
    parent: pulumi.Resource,
    account: AwsAccount | None = None,
) -> aws.kms.Key:
    """An `encryption_key` that CloudWatch Logs may also use, for `log_group_name` only.

    `account` saves the lookups when the caller has made them already.
    """
    account = account or aws_account(parent)
    statement = logs_key_statement(account.region, account.account_id, account.partition, log_group_name)
    return encryption_key(
        name, description=description, tags=tags, parent=parent, service_statements=[statement]
    )


def security_group_for_clients(
    name: str,
    *,
    vpc_id: pulumi.Input[str],
    port: int,
    client_security_group_id: pulumi.Input[str],
    what: str,
    protocol_name: str,
    tags: dict[str, str],
    parent: pulumi.Resource,
) -> aws.ec2.SecurityGroup:
    """A security group admitting `port` only from the clients' security group (the EKS cluster's)."""
    group = aws.ec2.SecurityGroup(
        name,
        vpc_id=vpc_id,
        description=f"{what}: {port} from the EKS cluster only",
        tags=aws_tags(tags, name),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    aws.vpc.SecurityGroupIngressRule(
        f"{name}-from-eks",
        security_group_id=group.id,
        referenced_security_group_id=client_security_group_id,
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        description=f"{protocol_name} from EKS nodes and pods",
        tags=aws_tags(tags, f"{name}-from-eks"),
        opts=pulumi.ResourceOptions(parent=group),
    )
    return group


def in_region(arn: str, region: str) -> str:
    """`arn` with its region replaced: a Secrets Manager replica's ARN is its primary's in another region."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[3]:
        raise ValueError(f"'{arn}' is not a regional ARN like 'arn:aws:secretsmanager:us-east-1:...'")
    parts[3] = region
    return ":".join(parts)
