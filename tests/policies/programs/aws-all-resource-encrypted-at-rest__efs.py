"""An EFS file system, encrypted or (violate) not."""
# expect: has encrypted false

import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
aws.efs.FileSystem("shared", encrypted=not violate, kms_key_id=KEY)
