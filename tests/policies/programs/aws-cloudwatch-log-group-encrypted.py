"""A log group with a customer key, or (violate) without."""
# expect: has no kmsKeyId

import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
aws.cloudwatch.LogGroup("app", retention_in_days=30, kms_key_id=None if violate else KEY)
