"""A secret with a customer key, or (violate) the AWS-managed key."""
# expect: has no kmsKeyId

import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
aws.secretsmanager.Secret("s", kms_key_id=None if violate else KEY)
