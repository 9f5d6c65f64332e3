"""A log group kept 30 days, or (violate) forever."""
# expect: keeps logs forever

import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
aws.cloudwatch.LogGroup("app", kms_key_id=KEY, retention_in_days=None if violate else 30)
