"""An ECR repository with immutable tags, or (violate) mutable ones."""
# expect: allows image tags to be overwritten

import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
aws.ecr.Repository(
    "app",
    image_tag_mutability="MUTABLE" if violate else "IMMUTABLE",
    image_scanning_configuration={"scan_on_push": True},
)
