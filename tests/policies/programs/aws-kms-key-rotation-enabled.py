"""A KMS key rotating, or (violate) not."""
# expect: has enableKeyRotation unset or false

import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
aws.kms.Key("k", enable_key_rotation=not violate)
