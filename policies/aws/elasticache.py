"""ElastiCache (Redis/Valkey) replication group policies: encryption at rest with a customer-managed key,
TLS in transit, authentication, private placement, failover across AZs and snapshot retention."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from policies.framework import ADVISORY, Subject, is_set, resource_policy, truthy

REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"


def _at_rest(subject: Subject) -> Iterator[str]:
    if not truthy(subject.get("atRestEncryptionEnabled")):
        yield "has atRestEncryptionEnabled unset or false"
    if not is_set(subject.get("kmsKeyId")):
        yield "has no kmsKeyId, so it would not use a customer-managed key"


encrypted_at_rest = resource_policy(
    name="aws-elasticache-replication-group-encrypted-at-rest",
    description="ElastiCache replication groups encrypt data at rest with a customer-managed KMS key.",
    severity=Severity.CRITICAL,
    remediation="Set at_rest_encryption_enabled=True and kms_key_id to a customer-managed KMS key ARN.",
    resource_types=[REPLICATION_GROUP],
    check=_at_rest,
)


def _in_transit(subject: Subject) -> Iterator[str]:
    if not truthy(subject.get("transitEncryptionEnabled")):
        yield "has transitEncryptionEnabled unset or false, so clients talk to Redis in plaintext"
    elif subject.get("transitEncryptionMode") == "preferred":
        yield "has transitEncryptionMode=preferred, which still accepts plaintext connections"


transit_encryption = resource_policy(
    name="aws-elasticache-replication-group-transit-encryption",
    description="ElastiCache replication groups require TLS for every connection.",
    severity=Severity.CRITICAL,
    remediation="Set transit_encryption_enabled=True and transit_encryption_mode='required'.",
    resource_types=[REPLICATION_GROUP],
    check=_in_transit,
)


def _auth(subject: Subject) -> Iterator[str]:
    if not (
        is_set(subject.get("authToken"))
        or is_set(subject.get("authTokenWo"))
        or is_set(subject.get("userGroupIds"))
    ):
        yield "accepts connections without a password (no authToken, authTokenWo or userGroupIds)"


auth_required = resource_policy(
    name="aws-elasticache-replication-group-auth-required",
    description="ElastiCache replication groups require authentication (AUTH token or RBAC user groups).",
    severity=Severity.HIGH,
    remediation="Set auth_token from a Pulumi secret (or auth_token_wo), or attach user_group_ids.",
    resource_types=[REPLICATION_GROUP],
    check=_auth,
)


def _private(subject: Subject) -> Iterator[str]:
    if not is_set(subject.get("subnetGroupName")):
        yield "has no subnetGroupName, so it lands in the default VPC's subnets instead of the private ones"
    if not is_set(subject.get("securityGroupIds")):
        yield "has no securityGroupIds, so it gets the VPC's default security group"


private_placement = resource_policy(
    name="aws-elasticache-replication-group-private",
    description="ElastiCache replication groups live in private subnets behind a dedicated security group.",
    severity=Severity.HIGH,
    remediation="Set subnet_group_name to a subnet group of private subnets and security_group_ids.",
    resource_types=[REPLICATION_GROUP],
    check=_private,
)


def _multi_az(subject: Subject) -> Iterator[str]:
    if not truthy(subject.get("automaticFailoverEnabled")):
        yield "has automaticFailoverEnabled unset or false"
    if not truthy(subject.get("multiAzEnabled")):
        yield "has multiAzEnabled unset or false"
    nodes = subject.get("numCacheClusters")
    replicas = subject.get("replicasPerNodeGroup")
    if (nodes is None or int(nodes) < 2) and (replicas is None or int(replicas) < 1):
        yield "has no replica to fail over to (numCacheClusters < 2 and replicasPerNodeGroup < 1)"


multi_az = resource_policy(
    name="aws-elasticache-replication-group-multi-az",
    description="ElastiCache replication groups fail over automatically across AZs (mandatory in production).",
    severity=Severity.HIGH,
    remediation="Set automatic_failover_enabled=True, multi_az_enabled=True and num_cache_clusters >= 2.",
    resource_types=[REPLICATION_GROUP],
    check=_multi_az,
    enforcement_level=ADVISORY,
)


def _snapshots(subject: Subject) -> Iterator[str]:
    minimum = int(subject.config.get("minRetentionDays", 1))
    days = subject.get("snapshotRetentionLimit")
    if days is None or int(days) < minimum:
        yield f"keeps snapshots for {days or 0} days, fewer than the required {minimum}"


snapshot_retention = resource_policy(
    name="aws-elasticache-replication-group-snapshot-retention",
    description="ElastiCache replication groups keep daily snapshots for the configured number of days.",
    severity=Severity.MEDIUM,
    remediation="Set snapshot_retention_limit to at least the policy's minRetentionDays.",
    resource_types=[REPLICATION_GROUP],
    check=_snapshots,
    enforcement_level=ADVISORY,
    config={"minRetentionDays": {"type": "integer", "minimum": 0, "maximum": 35, "default": 1}},
)

POLICIES = [
    encrypted_at_rest,
    transit_encryption,
    auth_required,
    private_placement,
    multi_az,
    snapshot_retention,
]
