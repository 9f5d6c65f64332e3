"""ECR authorization tokens, credentials, repositories and images."""

from __future__ import annotations

import base64
from typing import Any

from offline_plan.aws_answers.context import ACCOUNT_ID, InvokeContext, digest, partition_of


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
