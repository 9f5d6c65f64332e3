"""`DisasterRecovery`: a warm standby of the data tier in a second region (production only).

What it creates and why:
- Two explicit AWS providers, one per region. Every resource of this component names one of
  them, so nothing here depends on the default provider (whose region is the stack's).
- A standby VPC in the DR region built by the same `Network` component under the DR provider,
  with NAT strategy `none`: the secondary cluster needs only the isolated subnets, and NAT
  gateways are the only costly part of an idle VPC. Reusing `Network` (instead of a bare VPC)
  keeps the subnet layout, flow logs and S3 endpoint identical to the primary, so standing up
  compute in the DR region at failover is switching `dr.natStrategy` on, not designing a VPC.
- An Aurora global database created *from* the primary cluster (`sourceDbClusterIdentifier`),
  so turning DR on never replaces the primary. The secondary cluster has its own CMK, subnet
  group, TLS-only parameter group and security group, plus one reader so it can be promoted.
  It depends on the primary's writer instance: a global secondary cannot attach to a primary
  cluster that has no instance yet. Its security group admits nothing until a DR-region client
  exists; the failover runbook adds the DR cluster's security group.
- An S3 backup bucket (versioned, SSE-KMS with a CMK, public access blocked, TLS-only policy,
  lifecycle to Standard-IA, Glacier and expiry) replicated to a DR-region twin with Replication
  Time Control (15 minutes, with metrics).
- The global writer endpoint (`writer_endpoint`): Aurora points it at whichever cluster writes, so the
  API keeps its database host through a switchover or failover.
- The secondary ignores `replicationSourceIdentifier` and `globalClusterIdentifier` (as
  terraform-aws-rds-aurora v10 does): AWS changes both when the writer moves.
- AWS Backup: a vault per region (each with its CMK) and a daily plan per region that selects the
  stack's clusters by tag (`aurora.BACKUP_SELECTION_TAG`), not by ARN, so whichever cluster writes is backed
  up; each plan copies into the other region's vault (primary to DR and DR to primary).
- Not here: the API hostname's Route 53 failover (`FailoverDns`), which needs both regions' load
  balancers and so is created after the workloads.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.components._base import (
    ComponentArgs,
    assume_role_policy,
    encryption_key,
    logs_key_statement,
    policy_json,
)
from infra.components._buckets import private_bucket
from infra.components.aurora import (
    GLOBAL_MEMBER_IGNORED,
    DatabaseConfig,
    backup_selection_tag,
    cluster_parameters,
)
from infra.components.disaster_recovery_config import DisasterRecoveryConfig
from infra.components.network import Network, NetworkArgs
from infra.contracts import DisasterRecoveryOutputs, backup_max_age_hours
from infra.tagging import aws_tags

REPLICATION_TIME_MINUTES = 15
BACKUP_INTERVAL_HOURS = 24  # the plan's schedule (dr.backupSchedule) is a daily cron
BACKUP_START_WINDOW_MINUTES = 60
BACKUP_COMPLETION_WINDOW_MINUTES = 360
BACKUP_POLICY = "arn:{partition}:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"
RESTORE_POLICY = "arn:{partition}:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores"


class DisasterRecoveryArgs(ComponentArgs):
    config: DisasterRecoveryConfig
    primary_region: str
    database: DatabaseConfig
    primary_cluster_arn: pulumi.Output[str]
    primary_cluster_identifier: pulumi.Output[str]
    primary_writer: aws.rds.ClusterInstance
    primary_db_subnet_group_name: pulumi.Output[str] | None = None
    primary_db_security_group_id: pulumi.Output[str] | None = None
    tags: dict[str, str]


class DisasterRecovery(pulumi.ComponentResource):
    """Global database secondary, replicated backup bucket, cross-region backups."""

    primary_provider: aws.Provider
    dr_provider: aws.Provider
    network: Network
    secondary_cluster: aws.rds.Cluster
    dr_region: str
    writer_endpoint: pulumi.Output[str]
    outputs: pulumi.Output[dict[str, Any]]

    def __init__(
        self, name: str, args: DisasterRecoveryArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("memory-platform:dr:DisasterRecovery", name, None, opts)
        config, tags = args.config, args.tags
        if config.region is None:
            raise ValueError("dr.region is required when dr.enabled is true")
        self._tags = tags
        self._primary_region = args.primary_region
        self.dr_region: str = config.region
        self.primary_provider = aws.Provider(
            f"{name}-primary", region=args.primary_region, opts=pulumi.ResourceOptions(parent=self)
        )
        self.dr_provider = aws.Provider(
            f"{name}-dr", region=config.region, opts=pulumi.ResourceOptions(parent=self)
        )
        self._primary = pulumi.ResourceOptions(parent=self, provider=self.primary_provider)
        self._dr = pulumi.ResourceOptions(parent=self, provider=self.dr_provider)
        invoke = pulumi.InvokeOptions(parent=self, provider=self.primary_provider)
        self._account = aws.get_caller_identity(opts=invoke).account_id
        self._partition = aws.get_partition(opts=invoke).partition

        self.network = Network(
            f"{name}-dr",
            NetworkArgs(config=config.network_config(), tags=tags),
            opts=pulumi.ResourceOptions(parent=self, providers=[self.dr_provider]),
        )
        global_cluster, secondary = self._global_database(name, args, config.region)
        # The global writer endpoint follows the writer across regions (the regional cluster endpoint
        # of the original primary would be read-only, or gone, after a switchover or failover).
        self.writer_endpoint = global_cluster.endpoint
        backup_vault, dr_vault = self._backups(name, args, config)
        self._replicated_bucket(name, args.primary_region, config)

        outputs: dict[str, Any] = {
            "stack": pulumi.get_stack(),
            "project": pulumi.get_project(),
            "primaryRegion": args.primary_region,
            "drRegion": config.region,
            "activeRegion": config.active_region or args.primary_region,
            "globalClusterIdentifier": global_cluster.global_cluster_identifier,
            "primaryClusterIdentifier": args.primary_cluster_identifier,
            "primaryClusterArn": args.primary_cluster_arn,
            "secondaryClusterIdentifier": secondary.cluster_identifier,
            "secondaryClusterArn": secondary.arn,
            "backupVaultName": backup_vault.name,
            "drBackupVaultName": dr_vault.name,
            "rpoMinutes": config.rpo_minutes,
            "backupMaxAgeHours": backup_max_age_hours(
                BACKUP_INTERVAL_HOURS, BACKUP_START_WINDOW_MINUTES, BACKUP_COMPLETION_WINDOW_MINUTES
            ),
            "primaryDbSubnetGroupName": args.primary_db_subnet_group_name,
            "primaryDbSecurityGroupId": args.primary_db_security_group_id,
            "drDbSubnetGroupName": self._dr_subnet_group.name,
            "drDbSecurityGroupId": self._dr_security_group.id,
        }
        self.secondary_cluster = secondary
        # The component's own part of the `disasterRecovery` stack output; other components in the DR
        # region add theirs, and `dr_stack_output` validates the union once.
        self.output_values: Mapping[str, Any] = outputs
        self.outputs = dr_stack_output(outputs)
        self.register_outputs({"disasterRecovery": self.outputs})

    def _global_database(
        self, name: str, args: DisasterRecoveryArgs, dr_region: str
    ) -> tuple[aws.rds.GlobalCluster, aws.rds.Cluster]:
        database, tags = args.database, self._tags
        global_cluster = aws.rds.GlobalCluster(
            f"{name}-global",
            global_cluster_identifier=f"{name}-global",
            source_db_cluster_identifier=args.primary_cluster_arn,
            force_destroy=True,
            deletion_protection=database.deletion_protection,
            tags=aws_tags(tags, f"{name}-global"),
            opts=self._primary,
        )
        cluster_id = f"{name}-aurora-dr"
        log_group_name = f"/aws/rds/cluster/{cluster_id}/postgresql"
        key = encryption_key(
            f"{name}-dr-aurora",
            description=f"Encrypts the storage and Performance Insights of {cluster_id}",
            tags=tags,
            parent=self,
            provider=self.dr_provider,
            service_statements=[
                logs_key_statement(dr_region, self._account, self._partition, log_group_name)
            ],
        )
        security_group = aws.ec2.SecurityGroup(
            f"{name}-dr-aurora",
            vpc_id=self.network.vpc_id,
            description=f"Aurora secondary {cluster_id}: no clients until failover",
            tags=aws_tags(tags, f"{name}-dr-aurora"),
            opts=self._dr,
        )
        subnet_group = aws.rds.SubnetGroup(
            f"{name}-dr-aurora",
            name=cluster_id,
            description=f"Isolated subnets of {cluster_id}",
            subnet_ids=self.network.isolated_subnet_ids,
            tags=aws_tags(tags, f"{name}-dr-aurora"),
            opts=self._dr,
        )
        parameters = aws.rds.ClusterParameterGroup(
            f"{name}-dr-aurora",
            name=f"{cluster_id}-pg{database.engine_major}",
            family=f"aurora-postgresql{database.engine_major}",
            description=f"TLS only and pg_stat_statements for {cluster_id}",
            # No rds.global_db_rpo: it is enforced from the writer's group, and AWS advises leaving it
            # unset on the secondary of a two-region global database, so after a failover (no secondary
            # left until the old primary rejoins) the promoted cluster does not block its own commits.
            parameters=cluster_parameters(database),
            tags=aws_tags(tags, f"{name}-dr-aurora"),
            opts=self._dr,
        )
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-dr-aurora-postgresql",
            name=log_group_name,
            retention_in_days=database.log_retention_days,
            kms_key_id=key.arn,
            tags=aws_tags(tags, f"{name}-dr-aurora-postgresql"),
            opts=self._dr,
        )
        self._dr_subnet_group, self._dr_security_group = subnet_group, security_group
        secondary = aws.rds.Cluster(
            f"{name}-aurora-dr",
            cluster_identifier=cluster_id,
            engine="aurora-postgresql",
            engine_version=database.engine_version,
            global_cluster_identifier=global_cluster.id,
            storage_encrypted=True,
            kms_key_id=key.arn,
            iam_database_authentication_enabled=True,
            db_subnet_group_name=subnet_group.name,
            vpc_security_group_ids=[security_group.id],
            db_cluster_parameter_group_name=parameters.name,
            backup_retention_period=database.backup_retention_days,
            preferred_backup_window=database.backup_window,
            copy_tags_to_snapshot=True,
            deletion_protection=database.deletion_protection,
            # A global secondary cannot take a final snapshot; the data's home is the primary.
            skip_final_snapshot=True,
            enabled_cloudwatch_logs_exports=["postgresql"],
            tags=aws_tags(tags, cluster_id, **backup_selection_tag(name)),
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=self.dr_provider,
                depends_on=[args.primary_writer, log_group],
                ignore_changes=GLOBAL_MEMBER_IGNORED,
            ),
        )
        aws.rds.ClusterInstance(
            f"{name}-aurora-dr-reader",
            identifier=f"{cluster_id}-reader-1",
            cluster_identifier=secondary.id,
            engine=aws.rds.EngineType.AURORA_POSTGRESQL,
            engine_version=database.engine_version,
            instance_class=database.instance_class,
            db_subnet_group_name=subnet_group.name,
            publicly_accessible=False,
            performance_insights_enabled=True,
            performance_insights_kms_key_id=key.arn,
            performance_insights_retention_period=database.performance_insights_retention_days,
            auto_minor_version_upgrade=False,
            tags=aws_tags(tags, f"{cluster_id}-reader-1", role="reader"),
            opts=pulumi.ResourceOptions(parent=secondary, provider=self.dr_provider),
        )
        return global_cluster, secondary

    def _backups(
        self, name: str, args: DisasterRecoveryArgs, config: DisasterRecoveryConfig
    ) -> tuple[aws.backup.Vault, aws.backup.Vault]:
        tags = self._tags
        primary_key = encryption_key(
            f"{name}-backup",
            description=f"Encrypts the backup vault and bucket of {name}",
            tags=tags,
            parent=self,
            provider=self.primary_provider,
        )
        dr_key = encryption_key(
            f"{name}-dr-backup",
            description=f"Encrypts the DR-region backup vault and bucket of {name}",
            tags=tags,
            parent=self,
            provider=self.dr_provider,
        )
        self._bucket_keys = (primary_key, dr_key)
        vault = aws.backup.Vault(
            f"{name}-backup",
            name=f"{name}-backup",
            kms_key_arn=primary_key.arn,
            tags=aws_tags(tags, f"{name}-backup"),
            opts=self._primary,
        )
        dr_vault = aws.backup.Vault(
            f"{name}-dr-backup",
            name=f"{name}-dr-backup",
            kms_key_arn=dr_key.arn,
            tags=aws_tags(tags, f"{name}-dr-backup"),
            opts=self._dr,
        )
        role = aws.iam.Role(
            f"{name}-backup",
            assume_role_policy=assume_role_policy("backup.amazonaws.com"),
            tags=aws_tags(tags, f"{name}-backup"),
            opts=self._primary,
        )
        attachments = [
            aws.iam.RolePolicyAttachment(
                f"{name}-backup-{kind}",
                role=role.name,
                policy_arn=policy.format(partition=self._partition),
                opts=pulumi.ResourceOptions(parent=role, provider=self.primary_provider),
            )
            for kind, policy in (("backup", BACKUP_POLICY), ("restore", RESTORE_POLICY))
        ]
        # One plan per region, each selecting the stack's cluster in its region by tag and copying into
        # the other region's vault. The names of the primary's plan and selection are unchanged.
        for suffix, region_vault, other_vault, provider in (
            ("", vault, dr_vault, self.primary_provider),
            ("-dr", dr_vault, vault, self.dr_provider),
        ):
            self._backup_plan(
                f"{name}{suffix}",
                config,
                vault=region_vault,
                copy_to=other_vault,
                role=role,
                attachments=attachments,
                selected=backup_selection_tag(name),
                provider=provider,
            )
        return vault, dr_vault

    def _backup_plan(
        self,
        name: str,
        config: DisasterRecoveryConfig,
        *,
        vault: aws.backup.Vault,
        copy_to: aws.backup.Vault,
        role: aws.iam.Role,
        attachments: list[aws.iam.RolePolicyAttachment],
        selected: dict[str, str],
        provider: aws.Provider,
    ) -> None:
        """A daily plan in `provider`'s region: the tagged cluster there into `vault`, copied to `copy_to`."""
        lifecycle: Any = {"delete_after": config.backup_retention_days}
        plan = aws.backup.Plan(
            f"{name}-backup",
            name=f"{name}-aurora-daily",
            rules=[
                {
                    "rule_name": "daily-with-dr-copy",
                    "target_vault_name": vault.name,
                    "schedule": config.backup_schedule,
                    "start_window": BACKUP_START_WINDOW_MINUTES,
                    "completion_window": BACKUP_COMPLETION_WINDOW_MINUTES,
                    "lifecycle": lifecycle,
                    "copy_actions": [{"destination_vault_arn": copy_to.arn, "lifecycle": lifecycle}],
                }
            ],
            tags=aws_tags(self._tags, f"{name}-backup"),
            opts=pulumi.ResourceOptions(parent=self, provider=provider),
        )
        aws.backup.Selection(
            f"{name}-backup-aurora",
            name=f"{name}-aurora",
            plan_id=plan.id,
            iam_role_arn=role.arn,
            # Whichever cluster of the global database is in this region, writer or not (never an ARN).
            selection_tags=[
                {"type": "STRINGEQUALS", "key": key, "value": value} for key, value in selected.items()
            ],
            # Selections cannot be updated; the next backup is hours away, so no overlap is needed.
            opts=pulumi.ResourceOptions(
                parent=plan, provider=provider, depends_on=attachments, delete_before_replace=True
            ),
        )

    def _replicated_bucket(self, name: str, primary_region: str, config: DisasterRecoveryConfig) -> None:
        primary_key, dr_key = self._bucket_keys
        lifecycle: list[aws.s3.BucketLifecycleConfigurationRuleArgsDict] = [
            {
                "id": "colder-then-expire",
                "status": "Enabled",
                "filter": {},
                "transitions": [
                    {"days": config.bucket_transition_days, "storage_class": "STANDARD_IA"},
                    {"days": config.bucket_glacier_days, "storage_class": "GLACIER"},
                ],
                "expiration": {"days": config.bucket_expiry_days},
                "noncurrent_version_expiration": {"noncurrent_days": 30},
                "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
            }
        ]
        source, target = (
            private_bucket(
                f"{name}-backups-{region}",
                exact_name=True,
                key=key,
                lifecycle_rules=lifecycle,
                tags=self._tags,
                parent=self,
                provider=provider,
            )
            for region, key, provider in (
                (primary_region, primary_key, self.primary_provider),
                (config.region, dr_key, self.dr_provider),
            )
        )
        self.backup_bucket_name = source.bucket.bucket
        self.backup_bucket_arn = source.bucket.arn
        self.backup_kms_key_arn = primary_key.arn
        role = aws.iam.Role(
            f"{name}-backup-replication",
            assume_role_policy=assume_role_policy("s3.amazonaws.com"),
            tags=aws_tags(self._tags, f"{name}-backup-replication"),
            opts=self._primary,
        )
        aws.iam.RolePolicy(
            f"{name}-backup-replication",
            role=role.id,
            policy=policy_json(
                [
                    {
                        "Effect": "Allow",
                        "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
                        "Resource": source.bucket.arn,
                    },
                    {
                        "Effect": "Allow",
                        "Action": [
                            "s3:GetObjectVersionForReplication",
                            "s3:GetObjectVersionAcl",
                            "s3:GetObjectVersionTagging",
                        ],
                        "Resource": source.bucket.arn.apply(lambda arn: f"{arn}/*"),
                    },
                    {
                        "Effect": "Allow",
                        "Action": ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
                        "Resource": target.bucket.arn.apply(lambda arn: f"{arn}/*"),
                    },
                    {"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": primary_key.arn},
                    {"Effect": "Allow", "Action": ["kms:Encrypt"], "Resource": dr_key.arn},
                ]
            ),
            opts=pulumi.ResourceOptions(parent=role, provider=self.primary_provider),
        )
        aws.s3.BucketReplicationConfig(
            f"{name}-backups-replication",
            bucket=source.bucket.id,
            role=role.arn,
            rules=[
                {
                    "id": "everything-to-dr",
                    "status": "Enabled",
                    "filter": {},
                    "delete_marker_replication": {"status": "Enabled"},
                    "source_selection_criteria": {"sse_kms_encrypted_objects": {"status": "Enabled"}},
                    "destination": {
                        "bucket": target.bucket.arn,
                        "storage_class": "STANDARD",
                        "encryption_configuration": {"replica_kms_key_id": dr_key.arn},
                        "replication_time": {
                            "status": "Enabled",
                            "time": {"minutes": REPLICATION_TIME_MINUTES},
                        },
                        "metrics": {
                            "status": "Enabled",
                            "event_threshold": {"minutes": REPLICATION_TIME_MINUTES},
                        },
                    },
                }
            ],
            opts=pulumi.ResourceOptions(
                parent=source.bucket,
                provider=self.primary_provider,
                depends_on=[source.versioning, target.versioning],
            ),
        )


def dr_stack_output(*parts: Mapping[str, Any]) -> pulumi.Output[dict[str, Any]]:
    """The `disasterRecovery` stack output: the union of `parts`, validated by the model `platform-ops`
    reads it with. A key given by two parts is a wiring mistake and fails the program."""
    merged: dict[str, Any] = {}
    for part in parts:
        clash = merged.keys() & part.keys()
        if clash:
            raise ValueError(f"disasterRecovery output keys given twice: {', '.join(sorted(clash))}")
        merged.update(part)
    return pulumi.Output.all(**merged).apply(_typed_outputs)


def _typed_outputs(values: dict[str, Any]) -> dict[str, Any]:
    return DisasterRecoveryOutputs.model_validate(values).model_dump(by_alias=True, exclude_none=True)
