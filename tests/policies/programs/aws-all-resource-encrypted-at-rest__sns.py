"""An SNS topic, encrypted or (violate) not."""
# expect: has no kmsMasterKeyId, so its messages are stored unencrypted

import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
aws.sns.Topic("events", kms_master_key_id=None if violate else KEY)
