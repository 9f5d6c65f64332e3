"""A Lambda permission for one bucket, or (violate) for any account."""
# expect: lets any AWS account invoke the function

import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
aws.lambda_.Permission(
    "s3",
    action="lambda:InvokeFunction",
    function="hook",
    principal="*" if violate else "s3.amazonaws.com",
    source_arn=None if violate else "arn:aws:s3:::b",
)
