"""A backup vault with a customer key, or (violate) without."""
# expect: has no kmsKeyArn

import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
aws.backup.Vault("v", kms_key_arn=None if violate else KEY)
