"""The project's one definition of a private S3 bucket, used for backups and for Loki's log chunks.

Versioned, SSE-KMS with a customer-managed key (bucket keys on, to cut KMS requests), every public
access path blocked, a policy denying requests without TLS, and the caller's lifecycle rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.components._base import policy_json
from infra.tagging import aws_tags


@dataclass(frozen=True)
class PrivateBucket:
    bucket: aws.s3.Bucket
    versioning: aws.s3.BucketVersioning  # replication must wait for it


def private_bucket(
    name: str,
    *,
    key: aws.kms.Key,
    lifecycle_rules: Sequence[aws.s3.BucketLifecycleConfigurationRuleArgsDict],
    tags: dict[str, str],
    parent: pulumi.Resource,
    exact_name: bool = False,
    provider: pulumi.ProviderResource | None = None,
) -> PrivateBucket:
    """A hardened bucket named `name` (`exact_name`) or `name-<random suffix>`, encrypted with `key`."""
    bucket = aws.s3.Bucket(
        name,
        bucket=name if exact_name else None,
        bucket_prefix=None if exact_name else f"{name}-",
        tags=aws_tags(tags, name),
        opts=pulumi.ResourceOptions(parent=parent, provider=provider),
    )
    on_bucket = pulumi.ResourceOptions(parent=bucket, provider=provider)
    aws.s3.BucketServerSideEncryptionConfiguration(
        name,
        bucket=bucket.id,
        rules=[
            {
                "apply_server_side_encryption_by_default": {
                    "sse_algorithm": "aws:kms",
                    "kms_master_key_id": key.arn,
                },
                "bucket_key_enabled": True,
            }
        ],
        opts=on_bucket,
    )
    public_access = aws.s3.BucketPublicAccessBlock(
        name,
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=on_bucket,
    )
    versioning = aws.s3.BucketVersioning(
        name, bucket=bucket.id, versioning_configuration={"status": "Enabled"}, opts=on_bucket
    )
    aws.s3.BucketPolicy(
        name,
        bucket=bucket.id,
        policy=policy_json(
            [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [bucket.arn, pulumi.Output.concat(bucket.arn, "/*")],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ]
        ),
        # S3 may abort a policy write racing the public access block's (pulumi/pulumi-aws#1570).
        opts=pulumi.ResourceOptions.merge(on_bucket, pulumi.ResourceOptions(depends_on=[public_access])),
    )
    aws.s3.BucketLifecycleConfiguration(
        name,
        bucket=bucket.id,
        rules=list(lifecycle_rules),
        opts=pulumi.ResourceOptions.merge(on_bucket, pulumi.ResourceOptions(depends_on=[versioning])),
    )
    return PrivateBucket(bucket, versioning)
