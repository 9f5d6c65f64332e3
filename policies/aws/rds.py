"""Aurora (RDS cluster) policies: encryption with a customer-managed key, private instances, TLS,
backups, deletion safety in production, managed master password, and instance spread across AZs."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyResource, Severity

from policies.framework import (
    ADVISORY,
    Subject,
    as_list,
    dig,
    is_set,
    linked,
    per_resource,
    plural,
    resource_policy,
    resource_subject,
    stack_policy,
    truthy,
)

CLUSTER = "aws:rds/cluster:Cluster"
INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
PARAMETER_GROUP = "aws:rds/clusterParameterGroup:ClusterParameterGroup"
GLOBAL_CLUSTER = "aws:rds/globalCluster:GlobalCluster"


def _is_replica(subject: Subject) -> bool:
    """Secondary clusters of a global database inherit encryption and credentials from the primary."""
    return is_set(subject.get("replicationSourceIdentifier")) or (
        is_set(subject.get("globalClusterIdentifier")) and not is_set(subject.get("masterUsername"))
    )


def _storage_encrypted(subject: Subject) -> Iterator[str]:
    if not truthy(subject.get("storageEncrypted")):
        yield "has storageEncrypted unset or false, so the database is stored unencrypted"
    if not is_set(subject.get("kmsKeyId")):
        yield "has no kmsKeyId, so storage would use the AWS-managed key instead of a customer-managed key"


cluster_storage_encrypted = resource_policy(
    name="aws-rds-cluster-storage-encrypted",
    description="Aurora clusters encrypt storage with a customer-managed KMS key.",
    severity=Severity.CRITICAL,
    remediation="Set storage_encrypted=True and kms_key_id to the ARN of a customer-managed KMS key.",
    resource_types=[CLUSTER],
    check=_storage_encrypted,
)


def _global_encrypted(subject: Subject) -> Iterator[str]:
    if is_set(subject.get("sourceDbClusterIdentifier")):
        return  # inherits the source cluster's encryption
    if not truthy(subject.get("storageEncrypted")):
        yield "has storageEncrypted unset or false"


global_cluster_storage_encrypted = resource_policy(
    name="aws-rds-global-cluster-storage-encrypted",
    description="Aurora global clusters are encrypted at rest.",
    severity=Severity.CRITICAL,
    remediation="Set storage_encrypted=True on the global cluster (or create it from an encrypted source cluster).",
    resource_types=[GLOBAL_CLUSTER],
    check=_global_encrypted,
)


def _not_public(subject: Subject) -> Iterator[str]:
    if truthy(subject.get("publiclyAccessible")):
        yield "has publiclyAccessible=true, which gives the database a public endpoint"


cluster_not_public = resource_policy(
    name="aws-rds-cluster-instance-not-public",
    description="Aurora clusters and instances are never publicly accessible.",
    severity=Severity.CRITICAL,
    remediation="Remove publicly_accessible (it defaults to False) and reach the database through the VPC.",
    resource_types=[CLUSTER, INSTANCE],
    check=_not_public,
)


def _backup_retention(subject: Subject) -> Iterator[str]:
    minimum = int(subject.config.get("minRetentionDays", 7))
    days = subject.get("backupRetentionPeriod")
    if days is None:
        yield f"has no backupRetentionPeriod (AWS default is 1 day; at least {minimum} are required)"
    elif int(days) < minimum:
        yield f"keeps backups for {plural(days, 'day')}, fewer than the required {minimum}"


cluster_backup_retention = resource_policy(
    name="aws-rds-cluster-backup-retention",
    description="Aurora clusters keep automated backups for at least the configured number of days.",
    severity=Severity.HIGH,
    remediation="Set backup_retention_period to at least the policy's minRetentionDays.",
    resource_types=[CLUSTER],
    check=_backup_retention,
    config={"minRetentionDays": {"type": "integer", "minimum": 1, "maximum": 35, "default": 7}},
)


def _deletion_protection(subject: Subject) -> Iterator[str]:
    if not truthy(subject.get("deletionProtection")):
        yield "has deletionProtection unset or false, so one destroy removes the database"


cluster_deletion_protection = resource_policy(
    name="aws-rds-cluster-deletion-protection",
    description="Aurora clusters have deletion protection (mandatory in production via its config).",
    severity=Severity.HIGH,
    remediation="Set deletion_protection=True.",
    resource_types=[CLUSTER],
    check=_deletion_protection,
    enforcement_level=ADVISORY,
)


def _final_snapshot(subject: Subject) -> Iterator[str]:
    if _is_replica(subject):
        return
    if truthy(subject.get("skipFinalSnapshot")):
        yield "has skipFinalSnapshot=true, so deleting it keeps no final snapshot"
    elif not is_set(subject.get("finalSnapshotIdentifier")):
        yield "has no finalSnapshotIdentifier, so AWS cannot take the final snapshot on delete"


cluster_final_snapshot = resource_policy(
    name="aws-rds-cluster-final-snapshot",
    description="Aurora clusters take a final snapshot when deleted (mandatory in production via its config).",
    severity=Severity.MEDIUM,
    remediation="Set skip_final_snapshot=False and a final_snapshot_identifier.",
    resource_types=[CLUSTER],
    check=_final_snapshot,
    enforcement_level=ADVISORY,
)


def _managed_password(subject: Subject) -> Iterator[str]:
    if is_set(subject.get("masterPassword")):
        yield "sets masterPassword, which stores the database password in Pulumi state"
    elif not _is_replica(subject) and not (
        truthy(subject.get("manageMasterUserPassword")) or is_set(subject.get("masterPasswordWo"))
    ):
        yield "neither lets RDS manage the master password nor sets it write-only"


cluster_managed_master_password = resource_policy(
    name="aws-rds-cluster-managed-master-password",
    description="Aurora master passwords are managed by RDS in Secrets Manager, never stored in state.",
    severity=Severity.HIGH,
    remediation="Set manage_master_user_password=True (and master_user_secret_kms_key_id) instead of master_password.",
    resource_types=[CLUSTER],
    check=_managed_password,
)

DB_INSTANCE = "aws:rds/instance:Instance"
# Other engines with the same backup inputs as Aurora.
BACKED_UP = [DB_INSTANCE, "aws:docdb/cluster:Cluster", "aws:neptune/cluster:Cluster"]


def _instance_backups(subject: Subject) -> Iterator[str]:
    if is_set(subject.get("replicateSourceDb")):
        return  # read replicas have no automated backups of their own
    yield from _backup_retention(subject)


database_backup_retention = resource_policy(
    name="aws-rds-all-database-backup-retention",
    description="RDS instances, DocumentDB and Neptune clusters keep automated backups for at least the configured days.",
    severity=Severity.HIGH,
    remediation="Set backup_retention_period to at least the policy's minRetentionDays.",
    resource_types=BACKED_UP,
    check=_instance_backups,
    config={"minRetentionDays": {"type": "integer", "minimum": 1, "maximum": 35, "default": 7}},
)


def _instance_password(subject: Subject) -> Iterator[str]:
    if is_set(subject.get("replicateSourceDb")) or is_set(subject.get("snapshotIdentifier")):
        return
    if is_set(subject.get("password")):
        yield "sets password, which stores the database password in Pulumi state"
    elif not (truthy(subject.get("manageMasterUserPassword")) or is_set(subject.get("passwordWo"))):
        yield "neither lets RDS manage the master password nor sets it write-only"


instance_managed_master_password = resource_policy(
    name="aws-rds-instance-managed-master-password",
    description="RDS instance master passwords are managed by RDS in Secrets Manager, never stored in state.",
    severity=Severity.HIGH,
    remediation="Set manage_master_user_password=True instead of password (or password_wo for write-only).",
    resource_types=[DB_INSTANCE],
    check=_instance_password,
)

_TLS_PARAMETERS = {
    "aurora-postgresql": ("rds.force_ssl", "1"),
    "aurora-mysql": ("require_secure_transport", "ON"),
}


def _group_tls(subject: Subject) -> Iterator[str]:
    family = str(subject.get("family", default=""))
    for prefix, (parameter, wanted) in _TLS_PARAMETERS.items():
        if family.startswith(prefix):
            values = {
                str(dig(p, "name")): str(dig(p, "value", default="")).upper()
                for p in as_list(subject.get("parameters"))
            }
            if values.get(parameter) != wanted.upper():
                yield f"does not set {parameter}={wanted}, so clients may connect without TLS"


def _tls(resources: Sequence[PolicyResource], config: Mapping[str, Any]) -> Iterator[tuple[str, str | None]]:
    """Parameter groups must force TLS; a cluster must use one. A cluster attached to a group the program
    creates is judged by that group (its name may be unknown until the group exists)."""
    groups = {r.urn: r for r in resources if r.resource_type == PARAMETER_GROUP}

    def check(resource: PolicyResource) -> Iterator[tuple[str, str | None]]:
        subject = resource_subject(resource, config)
        if resource.resource_type == PARAMETER_GROUP:
            for problem in _group_tls(subject):
                yield f"{subject.label} {problem}.", resource.urn
        elif not linked(resource, "dbClusterParameterGroupName", groups) and not is_set(
            subject.get("dbClusterParameterGroupName")
        ):
            yield (
                f"{subject.label} uses the default cluster parameter group, which does not force TLS.",
                resource.urn,
            )

    yield from per_resource((r for r in resources if r.resource_type in (CLUSTER, PARAMETER_GROUP)), check)


cluster_tls_enforced = stack_policy(
    name="aws-rds-cluster-tls-enforced",
    description="Aurora clusters use a parameter group that rejects connections without TLS.",
    severity=Severity.HIGH,
    remediation=(
        "Attach a cluster parameter group (db_cluster_parameter_group_name) that sets rds.force_ssl=1 "
        "(PostgreSQL) or require_secure_transport=ON (MySQL)."
    ),
    check=_tls,
    covers=[CLUSTER, PARAMETER_GROUP],
)


def _global_secondaries(resources: Sequence[PolicyResource]) -> set[str]:
    """Clusters that join a global database without being its source (the primary)."""
    sources = {
        dependency.urn
        for r in resources
        if r.resource_type == GLOBAL_CLUSTER
        for dependency in r.property_dependencies.get("sourceDbClusterIdentifier", [])
    }
    return {
        r.urn
        for r in resources
        if r.resource_type == CLUSTER
        and is_set(r.props.get("globalClusterIdentifier"))
        and r.urn not in sources
    }


def _multi_az(
    resources: Sequence[PolicyResource], config: Mapping[str, Any]
) -> Iterator[tuple[str, str | None]]:
    secondaries = _global_secondaries(resources)
    clusters = {r.urn: r for r in resources if r.resource_type == CLUSTER}
    members: dict[str, list[PolicyResource]] = {urn: [] for urn in clusters}
    for resource in resources:
        if resource.resource_type == INSTANCE:
            for cluster in linked(resource, "clusterIdentifier", clusters):
                members[cluster.urn].append(resource)
    for urn, instances in members.items():
        cluster = clusters[urn]
        # A global secondary is a standby: one instance makes it promotable; readers follow failover.
        minimum = int(config.get("minSecondaryInstances" if urn in secondaries else "minInstances", 2))
        zones = {str(zone) for i in instances if (zone := i.props.get("availabilityZone"))}
        if len(instances) < minimum:
            yield (
                f"{CLUSTER} '{cluster.name}' has {plural(len(instances), 'instance')}; at least {minimum} in "
                "different Availability Zones are required for failover.",
                urn,
            )
        elif zones and len(zones) < min(minimum, len(instances)):
            yield f"{CLUSTER} '{cluster.name}' places all its instances in {sorted(zones)}.", urn


cluster_multi_az = stack_policy(
    name="aws-rds-cluster-multi-az",
    description="Aurora clusters run at least two instances across Availability Zones (mandatory in production).",
    severity=Severity.HIGH,
    remediation="Create at least minInstances aws.rds.ClusterInstance resources for the cluster, in different AZs.",
    check=_multi_az,
    covers=[CLUSTER],
    enforcement_level=ADVISORY,
    config={
        "minInstances": {"type": "integer", "minimum": 1, "default": 2},
        "minSecondaryInstances": {"type": "integer", "minimum": 1, "default": 1},
    },
)

POLICIES = [
    cluster_storage_encrypted,
    global_cluster_storage_encrypted,
    cluster_not_public,
    cluster_backup_retention,
    cluster_deletion_protection,
    cluster_final_snapshot,
    cluster_managed_master_password,
    cluster_tls_enforced,
    cluster_multi_az,
    database_backup_retention,
    instance_managed_master_password,
]
