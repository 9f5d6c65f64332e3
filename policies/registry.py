"""Every policy of the pack, in one list, gathered from the small modules that define them."""

from __future__ import annotations

from pulumi_policy import Policy

from policies import inputs, stack
from policies.aws import (
    audit,
    cloudwatch,
    ec2,
    eks,
    elasticache,
    encryption,
    exposure,
    iam,
    kms,
    network,
    rds,
    resource_policies,
    s3,
    services,
    tags,
)
from policies.k8s import access, coverage, helm, pods

MODULES = (
    rds,
    elasticache,
    eks,
    ec2,
    network,
    s3,
    iam,
    kms,
    cloudwatch,
    services,
    exposure,
    encryption,
    resource_policies,
    audit,
    tags,
    inputs,
    pods,
    helm,
    access,
    coverage,
    stack,
)
PACK_NAME = "memory-platform-policies"
ALL_POLICIES: list[Policy] = [policy for module in MODULES for policy in module.POLICIES]
