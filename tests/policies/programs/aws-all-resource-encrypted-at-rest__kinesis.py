"""A Kinesis stream encrypted with KMS, or (violate) with encryption NONE."""
# expect: has encryptionType NONE (or unset), so its records are stored unencrypted

import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
aws.kinesis.Stream(
    "events",
    shard_count=1,
    encryption_type="NONE" if violate else "KMS",
    kms_key_id=None if violate else "arn:aws:kms:us-east-1:123456789012:key/abcd",
)
