"""S3 policies: KMS default encryption, all four public-access-block switches, a TLS-only bucket policy,
versioning, and (stack) every bucket actually has each of those companion resources attached."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyResource, Severity, StackValidationPolicy

from policies.framework import (
    ADVISORY,
    Subject,
    as_list,
    dig,
    is_set,
    linked,
    parse_document,
    resource_policy,
    stack_policy,
    statements,
)

BUCKET = "aws:s3/bucket:Bucket"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
# pulumi-aws v7 keeps the deprecated V2 names as aliases of the same resources.
SSE_TYPES = [
    SSE,
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
]
VERSIONING_TYPES = [VERSIONING, "aws:s3/bucketVersioningV2:BucketVersioningV2"]


def _kms(subject: Subject) -> Iterator[str]:
    rules = as_list(subject.get("rules"))
    if not rules:
        yield "has no encryption rule"
    for rule in rules:
        default = dig(rule, "applyServerSideEncryptionByDefault")
        if dig(default, "sseAlgorithm") not in ("aws:kms", "aws:kms:dsse"):
            yield f"encrypts with {dig(default, 'sseAlgorithm') or 'no algorithm'} instead of aws:kms"
        elif not is_set(dig(default, "kmsMasterKeyId")):
            yield "uses aws:kms without kmsMasterKeyId, i.e. the AWS-managed key"


bucket_encryption_kms = resource_policy(
    name="aws-s3-bucket-encryption-kms",
    description="S3 buckets encrypt objects by default with a customer-managed KMS key.",
    severity=Severity.HIGH,
    remediation=(
        "Set rules[].apply_server_side_encryption_by_default to sse_algorithm='aws:kms' with kms_master_key_id "
        "of a customer-managed key (and bucket_key_enabled=True)."
    ),
    resource_types=SSE_TYPES,
    check=_kms,
)

_BLOCK_SWITCHES = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


def _public_access_block(subject: Subject) -> Iterator[str]:
    off = [s for s in _BLOCK_SWITCHES if subject.get(s) is not True]
    if off:
        yield f"does not set {', '.join(off)} to true"


bucket_public_access_block = resource_policy(
    name="aws-s3-bucket-public-access-block",
    description="S3 public access blocks turn on all four switches.",
    severity=Severity.CRITICAL,
    remediation="Set block_public_acls, block_public_policy, ignore_public_acls and restrict_public_buckets to True.",
    resource_types=[PUBLIC_ACCESS_BLOCK],
    check=_public_access_block,
)


def _denies_insecure_transport(document: Mapping[str, Any] | None) -> bool:
    for statement in statements(document):
        if statement.get("Effect") != "Deny":
            continue
        condition = dig(statement, "Condition", "Bool", "aws:SecureTransport")
        if str(condition).lower() == "false" and "s3:*" in as_list(statement.get("Action")):
            return True
    return False


def _tls_only(subject: Subject) -> Iterator[str]:
    document = parse_document(subject.get("policy"))
    if document is None:
        yield "has no readable policy document"
    elif not _denies_insecure_transport(document):
        yield "does not deny s3:* when aws:SecureTransport is false, so plain-HTTP requests are accepted"


bucket_policy_tls_only = resource_policy(
    name="aws-s3-bucket-policy-tls-only",
    description="S3 bucket policies deny every request that does not use TLS.",
    severity=Severity.HIGH,
    remediation=(
        "Add a statement {Effect: Deny, Principal: '*', Action: 's3:*', Resource: [bucket, bucket/*], "
        "Condition: {Bool: {'aws:SecureTransport': 'false'}}}."
    ),
    resource_types=[BUCKET_POLICY],
    check=_tls_only,
)


def _versioning(subject: Subject) -> Iterator[str]:
    status = subject.get("versioningConfiguration", "status")
    if status != "Enabled":
        yield f"has versioning status {status or 'unset'} instead of Enabled"


bucket_versioning = resource_policy(
    name="aws-s3-bucket-versioning-enabled",
    description="S3 buckets keep object versions (needed for recovery and replication).",
    severity=Severity.MEDIUM,
    remediation="Set versioning_configuration={'status': 'Enabled'}.",
    resource_types=VERSIONING_TYPES,
    check=_versioning,
    enforcement_level=ADVISORY,
)


def _companion_policy(
    rule: str, companion_types: list[str], what: str, severity: Severity, remediation: str
) -> StackValidationPolicy:
    """``what`` is a noun phrase without its article ("public access block"): the messages read
    "has no public access block" and "Every S3 bucket has a public access block"."""
    wanted = set(companion_types)

    def check(
        resources: Sequence[PolicyResource], _config: Mapping[str, Any]
    ) -> Iterator[tuple[str, str | None]]:
        buckets = {r.urn: r for r in resources if r.resource_type == BUCKET}
        covered: set[str] = set()
        for resource in resources:
            if resource.resource_type in wanted:
                covered.update(b.urn for b in linked(resource, "bucket", buckets))
        for urn, bucket in buckets.items():
            if urn not in covered:
                yield f"{BUCKET} '{bucket.name}' has no {what}.", urn

    return stack_policy(
        name=f"aws-s3-bucket-{rule}",
        description=f"Every S3 bucket has {'an' if what[0] in 'aeiou' else 'a'} {what}.",
        severity=severity,
        remediation=remediation,
        check=check,
        covers=[BUCKET],
    )


bucket_has_encryption = _companion_policy(
    "has-encryption-configuration",
    SSE_TYPES,
    "server-side encryption configuration",
    Severity.HIGH,
    "Add an aws.s3.BucketServerSideEncryptionConfiguration for the bucket using a customer-managed KMS key.",
)
bucket_has_public_access_block = _companion_policy(
    "has-public-access-block",
    [PUBLIC_ACCESS_BLOCK],
    "public access block",
    Severity.CRITICAL,
    "Add an aws.s3.BucketPublicAccessBlock for the bucket with all four switches on.",
)
bucket_has_tls_policy = _companion_policy(
    "has-tls-only-policy",
    [BUCKET_POLICY],
    "bucket policy (which must deny non-TLS requests)",
    Severity.HIGH,
    "Add an aws.s3.BucketPolicy that denies requests with aws:SecureTransport=false.",
)

POLICIES = [
    bucket_encryption_kms,
    bucket_public_access_block,
    bucket_policy_tls_only,
    bucket_versioning,
    bucket_has_encryption,
    bucket_has_public_access_block,
    bucket_has_tls_policy,
]
