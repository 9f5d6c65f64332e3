"""A multi-region validated trail, or (violate) one without log-file validation."""
# expect: does not validate its log files

import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
aws.cloudtrail.Trail(
    "audit",
    s3_bucket_name="trail",
    is_multi_region_trail=True,
    enable_log_file_validation=not violate,
    kms_key_id=KEY,
)
