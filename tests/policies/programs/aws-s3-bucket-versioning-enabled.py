"""Versioning on, or (violate) suspended."""

# expect: has versioning status Suspended instead of Enabled
import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
aws.s3.BucketVersioning(
    "b", bucket="b", versioning_configuration={"status": "Suspended" if violate else "Enabled"}
)
