"""Required tags (owner, cost-center, environment) on every taggable AWS resource.

A type is taggable when its pulumi-aws input schema has ``tags``; ``TAGGABLE_TYPES`` lists those the
platform creates, and a test checks that list against the installed pulumi-aws. Tags set on an explicit
provider's ``defaultTags`` count, because AWS applies them to every resource of that provider.
"""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from policies.framework import ADVISORY, REQUIRED_TAGS, Subject, as_list, resource_policy, tags_of

TAGGABLE_TYPES = frozenset(
    {
        "aws:appautoscaling/target:Target",
        "aws:backup/plan:Plan",
        "aws:backup/vault:Vault",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:ec2/eip:Eip",
        "aws:ec2/flowLog:FlowLog",
        "aws:ec2/internetGateway:InternetGateway",
        "aws:ec2/launchTemplate:LaunchTemplate",
        "aws:ec2/natGateway:NatGateway",
        "aws:ec2/routeTable:RouteTable",
        "aws:ec2/securityGroup:SecurityGroup",
        "aws:ec2/subnet:Subnet",
        "aws:ec2/vpc:Vpc",
        "aws:ec2/vpcEndpoint:VpcEndpoint",
        "aws:ecr/repository:Repository",
        "aws:eks/accessEntry:AccessEntry",
        "aws:eks/addon:Addon",
        "aws:eks/cluster:Cluster",
        "aws:eks/nodeGroup:NodeGroup",
        "aws:elasticache/parameterGroup:ParameterGroup",
        "aws:elasticache/replicationGroup:ReplicationGroup",
        "aws:elasticache/subnetGroup:SubnetGroup",
        "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
        "aws:iam/policy:Policy",
        "aws:iam/role:Role",
        "aws:kms/key:Key",
        "aws:rds/cluster:Cluster",
        "aws:rds/clusterInstance:ClusterInstance",
        "aws:rds/clusterParameterGroup:ClusterParameterGroup",
        "aws:rds/globalCluster:GlobalCluster",
        "aws:rds/subnetGroup:SubnetGroup",
        "aws:route53/healthCheck:HealthCheck",
        "aws:s3/bucket:Bucket",
        "aws:secretsmanager/secret:Secret",
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    }
)


def missing_tags(subject: Subject) -> list[str]:
    required = as_list(subject.config.get("requiredTags", list(REQUIRED_TAGS)))
    tags = tags_of(subject)
    return [t for t in required if not tags.get(t)]


def _required_tags(subject: Subject) -> Iterator[str]:
    missing = missing_tags(subject)
    if missing:
        yield f"is missing required tags {missing}"


required_tags = resource_policy(
    name="aws-all-resource-required-tags",
    description="Every taggable AWS resource carries the owner, cost-center and environment tags.",
    severity=Severity.MEDIUM,
    remediation="Add the tags through the shared tags helper (or the provider's default_tags).",
    resource_types=TAGGABLE_TYPES,
    check=_required_tags,
    enforcement_level=ADVISORY,
    config={
        "requiredTags": {"type": "array", "items": {"type": "string"}, "default": list(REQUIRED_TAGS)},
    },
)

POLICIES = [required_tags]
