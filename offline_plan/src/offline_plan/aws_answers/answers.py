"""The answer to each invoke token, the generic answer for the rest, and argument normalization."""

from __future__ import annotations

from typing import Any

from offline_plan.aws_answers.amis import ami, ami_ids, ssm_parameter
from offline_plan.aws_answers.context import Answer, InvokeContext, digest
from offline_plan.aws_answers.dns import acm_certificate, route53_zone
from offline_plan.aws_answers.ecr import _ecr_token, ecr_credentials, ecr_image, ecr_repository
from offline_plan.aws_answers.identity import arn_parts, caller_identity, partition, region, session_context
from offline_plan.aws_answers.policy_documents import policy_document
from offline_plan.aws_answers.services import (
    addon_version,
    eks_cluster,
    eks_cluster_auth,
    elb_service_account,
    iam_policy,
    iam_role,
    kms_alias,
    kms_key,
    s3_bucket,
    secret,
    secret_version,
)
from offline_plan.aws_answers.vpc import (
    internet_gateway,
    route_table,
    security_group,
    security_groups,
    subnet,
    subnets,
    vpc,
    vpcs,
)
from offline_plan.aws_answers.zones import availability_zone, availability_zones


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
