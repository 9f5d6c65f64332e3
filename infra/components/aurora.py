"""`AuroraPostgres`: the memory API's relational store, an Aurora PostgreSQL cluster.

Defaults and why:
- The cluster lives in the isolated subnets (no route to the internet) and its security group
  admits 5432 only from the EKS cluster security group, which every managed node carries.
  Nothing is publicly accessible.
- Storage, Performance Insights and the master secret are encrypted with one rotated
  customer-managed key; IAM database authentication is on so workloads can use short-lived tokens.
- The master password is generated and rotated by RDS in Secrets Manager
  (`manage_master_user_password`), so no password is ever in config, state outputs or logs.
  Aurora does not support that for members of a global database; when DR makes the cluster one,
  a random password is generated instead (held in state only as a Pulumi secret) and written to a
  Secrets Manager secret under the same CMK. Either way the output is only the secret's ARN.
- The cluster parameter group forces TLS (`rds.force_ssl=1`), preloads `pg_stat_statements` and
  logs statements slower than `slowQueryMs`; the postgresql log goes to a CloudWatch log group
  created up front with a retention and the CMK.
- The writer and readers are spread round-robin over the AZs; readers get promotion tier 1 so a
  reader, not a fresh instance, takes over from the writer. With `readerAutoscaling`, Application
  Auto Scaling adds readers on average reader CPU above `readerCount`.
- Backups follow the stack (7 days in staging, 35 in production), tags are copied to snapshots,
  and deletion protection and a final snapshot follow config (on in production).
- With DR on, the cluster ignores `globalClusterIdentifier` and `replicationSourceIdentifier`, as
  terraform-aws-rds-aurora v10 does: the global cluster is created from this cluster by
  `DisasterRecovery` (turning DR on never replaces the primary), and after a switchover the cluster
  replicates from the other region, which the next `pulumi up` must not try to undo (promote it).
- With DR on, the primary's parameter group also sets `rds.global_db_rpo` (managed RPO, seconds) from
  `dr.rpoMinutes`: commits block while no secondary is within the RPO. The master secret is replicated
  to the DR region under a DR-region CMK, so the DR region's pods read it there when this region is gone.
- The write-only master password's version is derived from the password (a truncated SHA-256, kept
  secret), so a new password (`pulumi up --replace` of the RandomPassword) reaches RDS on the same `up`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from infra.components._base import (
    ComponentArgs,
    assume_role_policy,
    aws_account,
    log_group_key,
    security_group_for_clients,
)
from infra.components.aurora_config import DatabaseConfig, ReaderAutoscalingConfig
from infra.components.replicas import ReplicaKey
from infra.tagging import aws_tags

__all__ = ["AuroraPostgres", "AuroraPostgresArgs", "DatabaseConfig", "ReaderAutoscalingConfig"]


POSTGRES_PORT = 5432
ENHANCED_MONITORING_POLICY = "arn:{partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
# Both regions' clusters carry this tag; each region's AWS Backup plan selects by it (infra.components.
# disaster_recovery), so whichever cluster writes is backed up without naming an ARN.
BACKUP_SELECTION_TAG = "memory-platform:backup"


def backup_selection_tag(name: str) -> dict[str, str]:
    """The tag both regions' clusters of the stack `name` carry for their AWS Backup plans."""
    return {BACKUP_SELECTION_TAG: f"{name}-aurora"}


# Members of a global database: AWS changes these on switchover/failover; `up` must not undo them.
GLOBAL_MEMBER_IGNORED = ["replicationSourceIdentifier", "globalClusterIdentifier"]
# `rds.global_db_rpo` (Aurora PostgreSQL managed RPO), in seconds; AWS accepts 20 to 2,147,483,647.
GLOBAL_DB_RPO_MIN_SECONDS = 20
GLOBAL_DB_RPO_MAX_SECONDS = 2_147_483_647


def cluster_parameters(
    config: DatabaseConfig, *, global_rpo_seconds: int | None = None
) -> list[aws.rds.ClusterParameterGroupParameterArgsDict]:
    """The cluster parameters of every region's Aurora cluster (the DR secondary uses the same set).

    TLS only; `pg_stat_statements` preloaded (a static parameter, so `pending-reboot`) and tracking
    nested statements too; statements slower than `slow_query_ms` logged. `global_rpo_seconds` adds
    `rds.global_db_rpo` (dynamic, applied immediately); it is enforced from the primary cluster's group.
    """
    rpo: list[aws.rds.ClusterParameterGroupParameterArgsDict] = []
    if global_rpo_seconds is not None:
        if not GLOBAL_DB_RPO_MIN_SECONDS <= global_rpo_seconds <= GLOBAL_DB_RPO_MAX_SECONDS:
            raise ValueError(
                f"rds.global_db_rpo must be {GLOBAL_DB_RPO_MIN_SECONDS} to {GLOBAL_DB_RPO_MAX_SECONDS} "
                f"seconds, got {global_rpo_seconds}"
            )
        rpo.append({"name": "rds.global_db_rpo", "value": str(global_rpo_seconds)})
    return [
        {"name": "rds.force_ssl", "value": "1"},
        {
            "name": "shared_preload_libraries",
            "value": "pg_stat_statements",
            "apply_method": "pending-reboot",
        },
        {"name": "log_min_duration_statement", "value": str(config.slow_query_ms)},
        {"name": "pg_stat_statements.track", "value": "all"},
        *rpo,
    ]


def password_version(password: pulumi.Input[str]) -> pulumi.Output[int]:
    """The `master_password_wo_version` of `password`: changes whenever the password does.

    A 31-bit prefix of its SHA-256, marked secret so the state holds it encrypted like the password
    (a digest of a 40-character random password reveals nothing, but it is still derived from it).
    """
    return pulumi.Output.secret(
        pulumi.Output.from_input(password).apply(
            lambda value: int.from_bytes(hashlib.sha256(value.encode()).digest()[:4], "big") >> 1
        )
    )


def replica_secret_arn(arn: str, region: str) -> str:
    """The ARN of a secret's replica in `region`: the same name and suffix, the region swapped."""
    parts = arn.split(":")
    return ":".join([*parts[:3], region, *parts[4:]])


class SecretReplicaTarget(ComponentArgs):
    """Where the master secret is replicated: the DR region (its provider makes the replica's CMK)."""

    region: str


class AuroraPostgresArgs(ComponentArgs):
    config: DatabaseConfig
    vpc_id: pulumi.Output[str]
    subnet_ids: Sequence[pulumi.Output[str]]
    availability_zones: Sequence[str]
    client_security_group_id: pulumi.Output[str]
    global_database: bool = False
    # rds.global_db_rpo of this (the primary) cluster; only with global_database.
    global_rpo_seconds: int | None = None
    # Replicate the master secret (global databases only: RDS-managed secrets stay in one region).
    secret_replica: SecretReplicaTarget | None = None
    tags: dict[str, str]


class AuroraPostgres(pulumi.ComponentResource):
    """Aurora PostgreSQL cluster, its instances, key, security group, parameters and monitoring."""

    cluster: aws.rds.Cluster
    instances: list[aws.rds.ClusterInstance]
    writer_endpoint: pulumi.Output[str]
    reader_endpoint: pulumi.Output[str]
    port: pulumi.Output[int]
    secret_arn: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    cluster_identifier: pulumi.Output[str]
    cluster_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: AuroraPostgresArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("memory-platform:data:AuroraPostgres", name, None, opts)
        config, tags = args.config, args.tags
        child = pulumi.ResourceOptions(parent=self)
        account = aws_account(self)
        cluster_id = f"{name}-aurora"
        log_group_name = f"/aws/rds/cluster/{cluster_id}/postgresql"

        key = log_group_key(
            f"{name}-aurora",
            log_group_name=log_group_name,
            description=f"Encrypts the storage, Performance Insights and master secret of {cluster_id}",
            tags=tags,
            parent=self,
            account=account,
        )
        security_group = security_group_for_clients(
            f"{name}-aurora",
            vpc_id=args.vpc_id,
            port=POSTGRES_PORT,
            client_security_group_id=args.client_security_group_id,
            what=f"Aurora PostgreSQL {cluster_id}",
            protocol_name="PostgreSQL",
            tags=tags,
            parent=self,
        )
        subnet_group = aws.rds.SubnetGroup(
            f"{name}-aurora",
            name=cluster_id,
            description=f"Isolated subnets of {cluster_id}",
            subnet_ids=list(args.subnet_ids),
            tags=aws_tags(tags, f"{name}-aurora"),
            opts=child,
        )
        parameters = aws.rds.ClusterParameterGroup(
            f"{name}-aurora",
            name=f"{cluster_id}-pg{config.engine_major}",
            family=f"aurora-postgresql{config.engine_major}",
            description=f"TLS only, pg_stat_statements and slow-query logging for {cluster_id}",
            parameters=cluster_parameters(
                config, global_rpo_seconds=args.global_rpo_seconds if args.global_database else None
            ),
            tags=aws_tags(tags, f"{name}-aurora"),
            opts=child,
        )
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-aurora-postgresql",
            name=log_group_name,
            retention_in_days=config.log_retention_days,
            kms_key_id=key.arn,
            tags=aws_tags(tags, f"{name}-aurora-postgresql"),
            opts=child,
        )
        self._region = account.region
        self.secret_replica_arn: pulumi.Output[str] | None = None
        self.secret_replica_kms_key_arn: pulumi.Output[str] | None = None
        password, own_secret_arn = self._password_settings(name, args, key)
        cluster = aws.rds.Cluster(
            f"{name}-aurora",
            cluster_identifier=cluster_id,
            engine="aurora-postgresql",
            engine_version=config.engine_version,
            database_name=config.database_name,
            master_username=config.master_username,
            **password,
            storage_encrypted=True,
            kms_key_id=key.arn,
            iam_database_authentication_enabled=True,
            db_subnet_group_name=subnet_group.name,
            vpc_security_group_ids=[security_group.id],
            db_cluster_parameter_group_name=parameters.name,
            port=POSTGRES_PORT,
            backup_retention_period=config.backup_retention_days,
            preferred_backup_window=config.backup_window,
            preferred_maintenance_window=config.maintenance_window,
            copy_tags_to_snapshot=True,
            deletion_protection=config.deletion_protection,
            skip_final_snapshot=not config.final_snapshot,
            final_snapshot_identifier=f"{cluster_id}-final" if config.final_snapshot else None,
            enabled_cloudwatch_logs_exports=["postgresql"],
            tags=aws_tags(
                tags, cluster_id, **({BACKUP_SELECTION_TAG: cluster_id} if args.global_database else {})
            ),
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[log_group],
                ignore_changes=GLOBAL_MEMBER_IGNORED if args.global_database else None,
            ),
        )
        monitoring_role = aws.iam.Role(
            f"{name}-aurora-monitoring",
            assume_role_policy=assume_role_policy("monitoring.rds.amazonaws.com"),
            tags=aws_tags(tags, f"{name}-aurora-monitoring"),
            opts=child,
        )
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-aurora-monitoring",
            role=monitoring_role.name,
            policy_arn=ENHANCED_MONITORING_POLICY.format(partition=account.partition),
            opts=pulumi.ResourceOptions(parent=monitoring_role),
        )
        zones = list(args.availability_zones)
        self.instances = []
        for index in range(1 + config.reader_count):
            role = "writer" if index == 0 else f"reader-{index}"
            self.instances.append(
                aws.rds.ClusterInstance(
                    f"{name}-aurora-{role}",
                    identifier=f"{cluster_id}-{role}",
                    cluster_identifier=cluster.id,
                    engine=aws.rds.EngineType.AURORA_POSTGRESQL,
                    engine_version=config.engine_version,
                    instance_class=config.instance_class,
                    availability_zone=zones[index % len(zones)],
                    db_subnet_group_name=subnet_group.name,
                    publicly_accessible=False,
                    promotion_tier=0 if index == 0 else 1,
                    performance_insights_enabled=True,
                    performance_insights_kms_key_id=key.arn,
                    performance_insights_retention_period=config.performance_insights_retention_days,
                    monitoring_interval=config.monitoring_interval_seconds,
                    monitoring_role_arn=monitoring_role.arn,
                    auto_minor_version_upgrade=False,
                    tags=aws_tags(tags, f"{cluster_id}-{role}", role=role.split("-", maxsplit=1)[0]),
                    opts=pulumi.ResourceOptions(parent=cluster, depends_on=[attachment]),
                )
            )
        if config.reader_autoscaling is not None:
            self._reader_autoscaling(name, cluster_id, config, tags)

        self.cluster = cluster
        self.cluster_identifier = cluster.cluster_identifier
        self.cluster_arn = cluster.arn
        self.writer_endpoint = cluster.endpoint
        self.reader_endpoint = cluster.reader_endpoint
        self.port = cluster.port
        self.security_group_id = security_group.id
        self.subnet_group_name = subnet_group.name
        self.kms_key_arn = key.arn
        self.secret_arn = (
            own_secret_arn
            if own_secret_arn is not None
            else cluster.master_user_secrets.apply(lambda secrets: secrets[0].secret_arn or "")
        )
        self.register_outputs(
            {
                "writerEndpoint": self.writer_endpoint,
                "readerEndpoint": self.reader_endpoint,
                "port": self.port,
                "secretArn": self.secret_arn,
                "securityGroupId": self.security_group_id,
            }
        )

    def _password_settings(
        self, name: str, args: AuroraPostgresArgs, key: aws.kms.Key
    ) -> tuple[dict[str, Any], pulumi.Output[str] | None]:
        """RDS-managed password, or (global databases, where RDS cannot manage it) our own secret.

        Returns the cluster's password arguments and the ARN of our own secret, if any.
        """
        if not args.global_database:
            return {"manage_master_user_password": True, "master_user_secret_kms_key_id": key.arn}, None
        generated = random.RandomPassword(
            f"{name}-aurora-master",
            length=40,
            special=True,
            override_special="!#$%^&*()-_=+[]{}<>:?",
            opts=pulumi.ResourceOptions(parent=self),
        )
        replicas: list[aws.secretsmanager.SecretReplicaArgsDict] = []
        if args.secret_replica is not None:
            region = args.secret_replica.region
            self.secret_replica_kms_key_arn = ReplicaKey(
                f"{name}-aurora-replica",
                region=region,
                description=f"Encrypts the {region} replica of the {name}-aurora master secret",
                tags=args.tags,
                opts=pulumi.ResourceOptions(parent=self),
            ).arn
            replicas.append(
                {"region": args.secret_replica.region, "kms_key_id": self.secret_replica_kms_key_arn}
            )
        secret = aws.secretsmanager.Secret(
            f"{name}-aurora-master",
            name=f"{name}-aurora/master",
            description=f"Master credentials of {name}-aurora (a global database member)",
            kms_key_id=key.arn,
            recovery_window_in_days=30,
            replicas=replicas or None,
            tags=aws_tags(args.tags, f"{name}-aurora-master"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.secretsmanager.SecretVersion(
            f"{name}-aurora-master",
            secret_id=secret.id,
            # Stays secret: json_dumps keeps the secretness of RandomPassword's `result`.
            secret_string=pulumi.Output.json_dumps(
                {"username": args.config.master_username, "password": generated.result}
            ),
            opts=pulumi.ResourceOptions(parent=secret),
        )
        if args.secret_replica is not None:
            self.secret_replica_arn = secret.arn.apply(lambda arn: replica_secret_arn(arn, region))
        # Write-only: the provider sends it to RDS and never stores it in the cluster's state; a new
        # password gets a new version, which is what makes the provider send it.
        return {
            "master_password_wo": generated.result,
            "master_password_wo_version": password_version(generated.result),
        }, secret.arn

    def secret_in(self, region: str) -> tuple[pulumi.Output[str], pulumi.Output[str]]:
        """The master secret's ARN and CMK ARN as read from `region` (its replica outside this region)."""
        if region != self._region and self.secret_replica_arn is not None:
            assert self.secret_replica_kms_key_arn is not None
            return self.secret_replica_arn, self.secret_replica_kms_key_arn
        return self.secret_arn, self.kms_key_arn

    def _reader_autoscaling(
        self, name: str, cluster_id: str, config: DatabaseConfig, tags: dict[str, str]
    ) -> None:
        scaling = config.reader_autoscaling
        assert scaling is not None
        target = aws.appautoscaling.Target(
            f"{name}-aurora-readers",
            service_namespace="rds",
            scalable_dimension="rds:cluster:ReadReplicaCount",
            resource_id=f"cluster:{cluster_id}",
            min_capacity=max(config.reader_count, 1),
            max_capacity=scaling.max_readers,
            tags=aws_tags(tags, f"{name}-aurora-readers"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=self.instances),
        )
        aws.appautoscaling.Policy(
            f"{name}-aurora-reader-cpu",
            policy_type="TargetTrackingScaling",
            service_namespace=target.service_namespace,
            scalable_dimension=target.scalable_dimension,
            resource_id=target.resource_id,
            target_tracking_scaling_policy_configuration={
                "predefined_metric_specification": {
                    "predefined_metric_type": "RDSReaderAverageCPUUtilization"
                },
                "target_value": float(scaling.target_cpu_percent),
                "scale_in_cooldown": scaling.scale_in_cooldown_seconds,
                "scale_out_cooldown": scaling.scale_out_cooldown_seconds,
            },
            opts=pulumi.ResourceOptions(parent=target),
        )
