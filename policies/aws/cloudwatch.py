"""CloudWatch log group policies: a customer-managed key (logs carry request data) and a finite retention."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from policies.framework import ADVISORY, Subject, is_set, plural, resource_policy

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


def _encrypted(subject: Subject) -> Iterator[str]:
    if not is_set(subject.get("kmsKeyId")):
        yield "has no kmsKeyId, so its logs are not encrypted with a customer-managed key"


log_group_encrypted = resource_policy(
    name="aws-cloudwatch-log-group-encrypted",
    description="CloudWatch log groups are encrypted with a customer-managed KMS key.",
    severity=Severity.MEDIUM,
    remediation="Set kms_key_id to a customer-managed key whose policy allows the logs service principal.",
    resource_types=[LOG_GROUP],
    check=_encrypted,
)


def _retention(subject: Subject) -> Iterator[str]:
    minimum = int(subject.config.get("minRetentionDays", 30))
    days = subject.get("retentionInDays")
    if not days:
        yield "keeps logs forever (retentionInDays unset), which grows cost without bound"
    elif int(days) < minimum:
        yield f"keeps logs for {plural(days, 'day')}, fewer than the required {minimum}"


log_group_retention = resource_policy(
    name="aws-cloudwatch-log-group-retention",
    description="CloudWatch log groups have a finite retention of at least the configured days.",
    severity=Severity.LOW,
    remediation="Set retention_in_days to at least minRetentionDays.",
    resource_types=[LOG_GROUP],
    check=_retention,
    enforcement_level=ADVISORY,
    config={"minRetentionDays": {"type": "integer", "minimum": 1, "default": 30}},
)

POLICIES = [log_group_encrypted, log_group_retention]
