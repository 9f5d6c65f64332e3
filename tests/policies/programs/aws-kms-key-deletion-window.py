"""A KMS key with a 30-day deletion window, or (violate) 7 days."""
# expect: can be deleted after 7 days, fewer than the required 14

import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
aws.kms.Key("k", enable_key_rotation=True, deletion_window_in_days=7 if violate else 30)
