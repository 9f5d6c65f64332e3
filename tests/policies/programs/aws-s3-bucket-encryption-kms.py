"""Bucket default encryption with a customer key, or (violate) SSE-S3."""

# expect: encrypts with AES256 instead of aws:kms
import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
aws.s3.BucketServerSideEncryptionConfiguration(
    "b",
    bucket="b",
    rules=[
        {
            "apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}
            if violate
            else {"sse_algorithm": "aws:kms", "kms_master_key_id": KEY}
        }
    ],
)
