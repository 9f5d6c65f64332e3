"""IAM policies and roles, EKS clusters and add-ons, KMS keys, S3 buckets, ELB accounts, Secrets Manager."""

from __future__ import annotations

import base64
import json
from typing import Any

from offline_plan.aws_answers.context import (
    _ISSUED_AT,
    ACCOUNT_ID,
    ADDON_VERSIONS,
    EKS_UNSUPPORTED_ZONE_IDS,
    ELB_ACCOUNTS,
    InvokeContext,
    InvokeFailureError,
    aws_id,
    digest,
    partition_of,
)
from offline_plan.aws_answers.vpc import default_vpc_id, subnets_of


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
