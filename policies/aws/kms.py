"""KMS key policies: automatic rotation and a deletion window long enough to undo a mistake."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from policies.framework import ADVISORY, Subject, plural, resource_policy, truthy

KEY = "aws:kms/key:Key"


def _rotation(subject: Subject) -> Iterator[str]:
    spec = subject.get("customerMasterKeySpec", default="SYMMETRIC_DEFAULT")
    if spec == "SYMMETRIC_DEFAULT" and not truthy(subject.get("enableKeyRotation")):
        yield "has enableKeyRotation unset or false"


key_rotation = resource_policy(
    name="aws-kms-key-rotation-enabled",
    description="Symmetric customer-managed KMS keys rotate automatically.",
    severity=Severity.HIGH,
    remediation="Set enable_key_rotation=True.",
    resource_types=[KEY],
    check=_rotation,
)


def _deletion_window(subject: Subject) -> Iterator[str]:
    minimum = int(subject.config.get("minDeletionWindowDays", 14))
    days = subject.get("deletionWindowInDays", default=30)
    if int(days) < minimum:
        yield f"can be deleted after {plural(days, 'day')}, fewer than the required {minimum}"


key_deletion_window = resource_policy(
    name="aws-kms-key-deletion-window",
    description="KMS keys keep a deletion window long enough to cancel an accidental deletion.",
    severity=Severity.MEDIUM,
    remediation="Set deletion_window_in_days to at least minDeletionWindowDays (default 14, AWS maximum 30).",
    resource_types=[KEY],
    check=_deletion_window,
    enforcement_level=ADVISORY,
    config={"minDeletionWindowDays": {"type": "integer", "minimum": 7, "maximum": 30, "default": 14}},
)

POLICIES = [key_rotation, key_deletion_window]
