"""A bucket with a public access block, or (violate) without."""

# expect: has no public access block.
import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
bucket = aws.s3.Bucket("b")
if not violate:
    aws.s3.BucketPublicAccessBlock(
        "b",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
    )
