"""The pack judges a risk on every pulumi-aws type that carries it, read from the SDK's own classes; the
examples of issue 16 ("Why") behave as described; unknown values are never mandatory violations."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import pytest
from policy_testkit import record, run_policy

from offline_plan.policy_check import Violation
from policies.aws import sdk
from policies.families import FAMILIES, table
from policies.framework import applies_to
from policies.ids import POLICY_IDS, RETIRED
from policies.registry import ALL_POLICIES

BY_NAME = {p.name: p for p in ALL_POLICIES}
# Judged input -> the policies that judge it.
JUDGES: dict[str, tuple[str, ...]] = {
    "tags": ("aws-all-resource-required-tags",),
    "publiclyAccessible": ("aws-all-resource-not-publicly-accessible", "aws-rds-cluster-instance-not-public"),
    "associatePublicIpAddress": ("aws-ec2-all-compute-no-public-ip",),
    "internal": ("aws-elb-load-balancer-internal",),
    "authorizationType": ("aws-lambda-function-url-auth",),
    "storageEncrypted": (
        "aws-all-resource-encrypted-at-rest",
        "aws-rds-cluster-storage-encrypted",
        "aws-rds-global-cluster-storage-encrypted",
    ),
    "encrypted": ("aws-all-resource-encrypted-at-rest",),
    "atRestEncryptionEnabled": (
        "aws-all-resource-encrypted-at-rest",
        "aws-elasticache-replication-group-encrypted-at-rest",
    ),
    "encryptAtRest": ("aws-all-resource-encrypted-at-rest",),
    "kmsMasterKeyId": ("aws-all-resource-encrypted-at-rest",),
    "encryptionType": ("aws-all-resource-encrypted-at-rest",),
    "serverSideEncryption": ("aws-all-resource-encrypted-at-rest", "aws-all-resource-customer-managed-key"),
    "defaultCacheBehavior": ("aws-all-resource-encrypted-in-transit",),
    "viewerCertificate": ("aws-all-resource-encrypted-in-transit",),
    "mapPublicIpOnLaunch": ("aws-ec2-subnet-no-public-ip-on-launch",),
    "transitEncryptionEnabled": (
        "aws-all-resource-encrypted-in-transit",
        "aws-elasticache-replication-group-transit-encryption",
    ),
    "sslPolicy": ("aws-all-resource-encrypted-in-transit",),
    "securityPolicy": ("aws-all-resource-encrypted-in-transit",),
    "domainEndpointOptions": ("aws-all-resource-encrypted-in-transit",),
    "metadataOptions": ("aws-ec2-all-compute-imdsv2",),
    "instanceMetadataOptions": ("aws-ec2-all-compute-imdsv2",),
    "policy": ("aws-all-resource-policy-no-public-principal", "aws-iam-policy-no-wildcard-actions"),
    "accessPolicies": ("aws-all-resource-policy-no-public-principal",),
    "assumeRolePolicy": ("aws-iam-role-trust-scoped",),
    "inlinePolicies": ("aws-iam-policy-no-wildcard-actions",),
    "policyArn": ("aws-iam-all-principal-no-admin-policy",),
    "managedPolicyArns": ("aws-iam-all-principal-no-admin-policy",),
    "acl": ("aws-s3-all-resource-no-public-acl",),
    "accessLogs": ("aws-all-resource-access-logs",),
    "enableLogFileValidation": ("aws-cloudtrail-trail-complete",),
    "ingress": ("aws-ec2-security-group-no-public-ingress",),
    "cidrIpv4": ("aws-ec2-security-group-no-public-ingress",),
    "cidrBlocks": ("aws-ec2-security-group-no-public-ingress",),
    "environment": ("all-resource-inputs-no-secret-literal",),
}
# Inputs of the same name that mean something else, each with the reason it is not judged.
NOT_THE_SAME_RISK = {
    ("aws:apigatewayv2/route:Route", "authorizationType"): "an API route's auth; the API's own design",
    ("aws:cloudwatch/eventConnection:EventConnection", "authorizationType"): "how EventBridge calls out",
    ("aws:ec2/networkAcl:NetworkAcl", "ingress"): "stateless subnet ACLs; security groups are the control",
    ("aws:ec2/defaultNetworkAcl:DefaultNetworkAcl", "ingress"): "stateless subnet ACLs",
    ("aws:route53/cidrLocation:CidrLocation", "cidrBlocks"): "routing by client CIDR, not access",
    ("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "cidrIpv4"): "egress, not exposure",
    ("aws:eks/accessPolicyAssociation:AccessPolicyAssociation", "policyArn"): "EKS access policy (not IAM)",
    ("aws:quicksight/iamPolicyAssignment:IamPolicyAssignment", "policyArn"): "QuickSight assignment",
    ("aws:resiliencehub/v2Service:V2Service", "policyArn"): "resilience policy, not IAM",
    ("aws:resiliencehub/v2UserJourney:V2UserJourney", "policyArn"): "resilience policy, not IAM",
    ("aws:rolesanywhere/profile:Profile", "managedPolicyArns"): "session policies narrow a role",
    (
        "aws:ssoadmin/managedPolicyAttachmentsExclusive:ManagedPolicyAttachmentsExclusive",
        "managedPolicyArns",
    ): ("IAM Identity Center permission sets"),
    ("aws:verifiedaccess/instanceLoggingConfiguration:InstanceLoggingConfiguration", "accessLogs"): (
        "is itself the logging configuration"
    ),
    ("aws:apigateway/restApi:RestApi", "securityPolicy"): "the API's own TLS policy; judged on its domain",
    ("aws:s3/bucketObject:BucketObject", "serverSideEncryption"): "S3 encrypts every object (SSE-S3 default)",
    ("aws:s3/bucketObjectv2:BucketObjectv2", "serverSideEncryption"): "S3 encrypts every object",
    ("aws:s3/objectCopy:ObjectCopy", "serverSideEncryption"): "S3 encrypts every object",
    (
        "aws:lightsail/distribution:Distribution",
        "defaultCacheBehavior",
    ): "Lightsail behaviors hold no protocol",
    ("aws:ec2/vpcEndpoint:VpcEndpoint", "policy"): "reachable only from inside the VPC",
    ("aws:ec2/vpcEndpointPolicy:VpcEndpointPolicy", "policy"): "reachable only from inside the VPC",
}
NOT_COVERAGE_INPUTS = {"kmsKeyId", "kmsKeyArn"}  # judged only beside an encryption switch (CMK advisory)


def test_catalog_is_what_the_installed_pulumi_aws_declares() -> None:
    assert sdk.version() == version("pulumi_aws")
    assert {t: sorted(i) for t, i in sdk.catalog().items()} == sdk.scan(), (
        "policies/aws/sdk_catalog.json is stale: run `uv run python -m policies.aws.sdk`"
    )


def test_every_judged_input_names_its_policies() -> None:
    assert set(sdk.JUDGED_INPUTS) - NOT_COVERAGE_INPUTS == set(JUDGES)
    assert all(name in BY_NAME for names in JUDGES.values() for name in names)


def test_every_sdk_type_carrying_a_judged_input_is_judged() -> None:
    uncovered = []
    for token, inputs in sdk.catalog().items():
        for name in sorted(inputs - NOT_COVERAGE_INPUTS):
            if (token, name) in NOT_THE_SAME_RISK:
                continue
            if not any(applies_to(BY_NAME[p], token) for p in JUDGES[name]):
                uncovered.append(f"{token}.{name}")
    assert not uncovered, f"types carrying a judged input that no policy judges: {uncovered}"
    assert len(sdk.types_with("tags")) > 800  # SNS, SQS, DynamoDB, Kinesis, ECS, IAM users, ...


def test_every_policy_has_a_stable_unique_id() -> None:
    assert set(POLICY_IDS) == set(BY_NAME)
    ids = [*POLICY_IDS.values(), *RETIRED.values()]
    assert len(ids) == len(set(ids))
    assert not set(RETIRED) & set(POLICY_IDS)
    violation = run_policy("aws-kms-key-rotation-enabled", [record("aws:kms/key:Key", "k", {})])[0]
    assert violation.message.startswith(f"[{POLICY_IDS['aws-kms-key-rotation-enabled']}] ")


UNKNOWN = "[unknown]"


@pytest.mark.parametrize(
    ("policy", "type_", "inputs"),
    [
        # An autonamed parameter group: its name is unknown at preview.
        ("aws-rds-cluster-tls-enforced", "aws:rds/cluster:Cluster", {"dbClusterParameterGroupName": UNKNOWN}),
        ("aws-all-resource-encrypted-at-rest", "aws:ebs/volume:Volume", {"encrypted": UNKNOWN}),
        ("aws-all-resource-required-tags", "aws:sns/topic:Topic", {"tags": UNKNOWN}),
        (
            "aws-all-resource-policy-no-public-principal",
            "aws:s3/bucketPolicy:BucketPolicy",
            {"policy": UNKNOWN},
        ),
        (
            "aws-ec2-all-compute-imdsv2",
            "aws:ec2/instance:Instance",
            {"metadataOptions": {"httpTokens": UNKNOWN}},
        ),
    ],
)
def test_unknown_values_are_advisory_notes_never_mandatory(
    policy: str, type_: str, inputs: dict[str, object]
) -> None:
    violations = run_policy(policy, [record(type_, "autonamed", inputs)], {"all": "mandatory"})
    assert violations, "an unknown value must be reported as unknown"
    assert all(not v.mandatory and "during preview" in v.message for v in violations)


def test_unknown_rule_does_not_hide_other_rules_findings() -> None:
    rules = [
        record("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "a", {"cidrIpv4": UNKNOWN}),
        record(
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            "b",
            {"cidrIpv4": "0.0.0.0/0", "ipProtocol": "tcp", "fromPort": 5432, "toPort": 5432},
        ),
    ]
    violations = run_policy("aws-ec2-security-group-no-public-ingress", rules)
    assert [v.mandatory for v in violations] == [True, False]
    assert "allows TCP port 5432 from 0.0.0.0/0" in violations[0].message


def test_duplicate_tag_findings_are_gone() -> None:
    topic = record("aws:sns/topic:Topic", "t", {})
    names = [p.name for p in ALL_POLICIES]
    found = [
        v for name in names if "tag" in name for v in run_policy(name, [topic]) if "missing" in v.message
    ]
    assert len(found) == 1
    assert "is missing the required tags owner, cost-center, environment." in found[0].message


def test_cluster_on_an_autonamed_group_is_judged_by_that_group() -> None:
    """What preview records for ``db_cluster_parameter_group_name=group.name`` of an autonamed group: the
    name unknown, the dependency on the group known. The group's own parameters decide."""

    def plan(force_ssl: str) -> list[Violation]:
        group = record(
            "aws:rds/clusterParameterGroup:ClusterParameterGroup",
            "tls",
            {"family": "aurora-postgresql16", "parameters": [{"name": "rds.force_ssl", "value": force_ssl}]},
        )
        cluster = record(
            "aws:rds/cluster:Cluster",
            "db",
            {"engine": "aurora-postgresql", "dbClusterParameterGroupName": UNKNOWN},
            propertyDependencies={"dbClusterParameterGroupName": [group["urn"]]},
        )
        return run_policy("aws-rds-cluster-tls-enforced", [group, cluster])

    assert plan("1") == []
    violations = plan("0")
    assert [v.urn.rsplit("::", 1)[-1] for v in violations] == ["tls"]
    assert "does not set rds.force_ssl=1" in violations[0].message


def test_every_policy_is_in_exactly_one_family_and_the_readme_table_is_current() -> None:
    members = [name for names, _ in FAMILIES.values() for name in names]
    assert sorted(members) == sorted(BY_NAME), "each policy belongs to exactly one risk family"
    readme = (Path(__file__).resolve().parents[2] / "policies" / "README.md").read_text()
    assert table() in readme, "policies/README.md's coverage table is stale: run python -m policies.families"
