"""An ECR repository with KMS, or (violate) AES256."""
# expect: is not encrypted with a customer-managed KMS key

import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
aws.ecr.Repository(
    "app",
    image_tag_mutability="IMMUTABLE",
    image_scanning_configuration={"scan_on_push": True},
    encryption_configurations=[
        {"encryption_type": "AES256"} if violate else {"encryption_type": "KMS", "kms_key": KEY}
    ],
)
