"""Policies for the smaller services the platform uses: Secrets Manager, ECR, AWS Backup and Route 53."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from policies.framework import ADVISORY, Subject, as_list, dig, is_set, plural, resource_policy, truthy

SECRET = "aws:secretsmanager/secret:Secret"  # noqa: S105 (a type token)
REPOSITORY = "aws:ecr/repository:Repository"
VAULT = "aws:backup/vault:Vault"
PLAN = "aws:backup/plan:Plan"
RECORD = "aws:route53/record:Record"


def _secret_cmk(subject: Subject) -> Iterator[str]:
    if not is_set(subject.get("kmsKeyId")):
        yield "has no kmsKeyId, so it is encrypted with the AWS-managed key"


secret_cmk = resource_policy(
    name="aws-secretsmanager-secret-cmk",
    description="Secrets Manager secrets are encrypted with a customer-managed KMS key.",
    severity=Severity.MEDIUM,
    remediation="Set kms_key_id to a customer-managed key.",
    resource_types=[SECRET],
    check=_secret_cmk,
)


def _ecr_kms(subject: Subject) -> Iterator[str]:
    configs = as_list(subject.get("encryptionConfigurations"))
    if not any(dig(c, "encryptionType") == "KMS" and is_set(dig(c, "kmsKey")) for c in configs):
        yield "is not encrypted with a customer-managed KMS key"


ecr_kms = resource_policy(
    name="aws-ecr-repository-kms",
    description="ECR repositories are encrypted with a customer-managed KMS key.",
    severity=Severity.MEDIUM,
    remediation="Set encryption_configurations=[{'encryption_type': 'KMS', 'kms_key': <key arn>}].",
    resource_types=[REPOSITORY],
    check=_ecr_kms,
)


def _ecr_hygiene(subject: Subject) -> Iterator[str]:
    if subject.get("imageTagMutability") not in ("IMMUTABLE", "IMMUTABLE_WITH_EXCLUSION"):
        yield "allows image tags to be overwritten (imageTagMutability is not IMMUTABLE)"
    if not truthy(subject.get("imageScanningConfiguration", "scanOnPush")):
        yield "does not scan images on push"


ecr_immutable_scanned = resource_policy(
    name="aws-ecr-repository-immutable-scanned",
    description="ECR repositories keep tags immutable and scan every pushed image.",
    severity=Severity.MEDIUM,
    remediation="Set image_tag_mutability='IMMUTABLE' and image_scanning_configuration.scan_on_push=True.",
    resource_types=[REPOSITORY],
    check=_ecr_hygiene,
    enforcement_level=ADVISORY,
)


def _vault_cmk(subject: Subject) -> Iterator[str]:
    if not is_set(subject.get("kmsKeyArn")):
        yield "has no kmsKeyArn, so recovery points use the AWS-managed key"


backup_vault_cmk = resource_policy(
    name="aws-backup-vault-cmk",
    description="Backup vaults encrypt recovery points with a customer-managed KMS key.",
    severity=Severity.MEDIUM,
    remediation="Set kms_key_arn to a customer-managed key.",
    resource_types=[VAULT],
    check=_vault_cmk,
)


def _plan_retention(subject: Subject) -> Iterator[str]:
    minimum = int(subject.config.get("minRetentionDays", 7))
    rules = as_list(subject.get("rules"))
    if not rules:
        yield "has no rules"
    for rule in rules:
        days = dig(rule, "lifecycle", "deleteAfter")
        if days is not None and int(days) < minimum:
            yield f"rule {dig(rule, 'ruleName', default='?')} deletes recovery points after {plural(days, 'day')}, fewer than the required {minimum}"


backup_plan_retention = resource_policy(
    name="aws-backup-plan-retention",
    description="Backup plan rules keep recovery points for at least the configured number of days.",
    severity=Severity.MEDIUM,
    remediation="Set rules[].lifecycle.delete_after to at least minRetentionDays.",
    resource_types=[PLAN],
    check=_plan_retention,
    enforcement_level=ADVISORY,
    config={"minRetentionDays": {"type": "integer", "minimum": 1, "default": 7}},
)


def _failover_health_check(subject: Subject) -> Iterator[str]:
    for routing in as_list(subject.get("failoverRoutingPolicies")):
        if dig(routing, "type") == "PRIMARY" and not is_set(subject.get("healthCheckId")):
            yield "is a PRIMARY failover record without healthCheckId, so Route 53 never fails over"


route53_failover_health_check = resource_policy(
    name="aws-route53-record-failover-health-check",
    description="Primary failover records are tied to a health check.",
    severity=Severity.MEDIUM,
    remediation="Set health_check_id to an aws.route53.HealthCheck on the primary endpoint.",
    resource_types=[RECORD],
    check=_failover_health_check,
)

POLICIES = [
    secret_cmk,
    ecr_kms,
    ecr_immutable_scanned,
    backup_vault_cmk,
    backup_plan_retention,
    route53_failover_health_check,
]
