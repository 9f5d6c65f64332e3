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

from offline_plan.aws_answers.answers import AWS_ANSWERS, generic, normalized, redact_values
from offline_plan.aws_answers.context import (
    ACCOUNT_ID,
    ADDON_VERSIONS,
    DEPLOYER_ROLE,
    EKS_UNSUPPORTED_ZONE_IDS,
    Answer,
    InvokeContext,
    InvokeFailureError,
)
from offline_plan.aws_answers.vpc import Subnet, find_subnet
from offline_plan.aws_answers.zones import Zone, zone_named

__all__ = [
    "ACCOUNT_ID",
    "ADDON_VERSIONS",
    "AWS_ANSWERS",
    "DEPLOYER_ROLE",
    "EKS_UNSUPPORTED_ZONE_IDS",
    "Answer",
    "InvokeContext",
    "InvokeFailureError",
    "Subnet",
    "Zone",
    "find_subnet",
    "generic",
    "normalized",
    "redact_values",
    "zone_named",
]
