"""Logging and audit where a user expects it: CloudTrail trails that are multi-region, validated and
encrypted, load balancers with access logs, and API stages with access logs (VPC flow logs and EKS audit
logs have their own policies)."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from policies.aws.sdk import types_with
from policies.framework import ADVISORY, Subject, is_set, resource_policy, truthy

TRAIL = "aws:cloudtrail/trail:Trail"
LOAD_BALANCERS = types_with("internal")
STAGES = frozenset({"aws:apigateway/stage:Stage", "aws:apigatewayv2/stage:Stage"})


def _trail(subject: Subject) -> Iterator[str]:
    if not truthy(subject.get("isMultiRegionTrail")):
        yield "records only its own region (isMultiRegionTrail unset or false)"
    if not truthy(subject.get("enableLogFileValidation")):
        yield "does not validate its log files (enableLogFileValidation unset or false), so tampering goes unnoticed"
    if not is_set(subject.get("kmsKeyId")):
        yield "does not encrypt its logs with a customer-managed key (no kmsKeyId)"
    if subject.get("enableLogging") is False:
        yield "has logging turned off (enableLogging=false)"


trail_complete = resource_policy(
    name="aws-cloudtrail-trail-complete",
    description="CloudTrail trails cover all regions, validate log files and encrypt them with a customer-managed key.",
    severity=Severity.HIGH,
    remediation="Set is_multi_region_trail=True, enable_log_file_validation=True and kms_key_id.",
    resource_types=[TRAIL],
    check=_trail,
)


def _access_logs(subject: Subject) -> Iterator[str]:
    if subject.resource_type in STAGES:
        if not is_set(subject.get("accessLogSettings", "destinationArn")):
            yield "keeps no access log (accessLogSettings.destinationArn unset)"
    elif not truthy(subject.get("accessLogs", "enabled")):
        yield "keeps no access log (accessLogs.enabled unset or false)"


access_logs = resource_policy(
    name="aws-all-resource-access-logs",
    description="Load balancers and API stages write access logs.",
    severity=Severity.MEDIUM,
    remediation="Enable access_logs (a bucket for load balancers, access_log_settings for API stages).",
    resource_types=LOAD_BALANCERS | STAGES,
    check=_access_logs,
    enforcement_level=ADVISORY,
)

POLICIES = [trail_complete, access_logs]
