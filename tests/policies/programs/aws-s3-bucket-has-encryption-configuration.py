"""A bucket with its encryption configuration, or (violate) without."""

# expect: has no server-side encryption configuration.
import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
bucket = aws.s3.Bucket("b")
if not violate:
    aws.s3.BucketServerSideEncryptionConfiguration(
        "b",
        bucket=bucket.id,
        rules=[
            {
                "apply_server_side_encryption_by_default": {
                    "sse_algorithm": "aws:kms",
                    "kms_master_key_id": KEY,
                }
            }
        ],
    )
