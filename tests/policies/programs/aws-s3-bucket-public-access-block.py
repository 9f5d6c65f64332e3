"""All four public-access switches on, or (violate) one off."""

# expect: does not set blockPublicPolicy to true
import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
aws.s3.BucketPublicAccessBlock(
    "b",
    bucket="b",
    block_public_acls=True,
    block_public_policy=not violate,
    ignore_public_acls=True,
    restrict_public_buckets=True,
)
