"""An encrypted EBS volume with a customer key, or (violate) the AWS-managed key."""
# expect: is encrypted with an AWS-managed key

import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
aws.ebs.Volume(
    "data", availability_zone="us-east-1a", size=20, encrypted=True, kms_key_id=None if violate else KEY
)
