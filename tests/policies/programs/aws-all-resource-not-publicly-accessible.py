"""A plain RDS instance (not Aurora), private or (violate) publicly accessible."""
# expect: has publiclyAccessible=true, which gives it an endpoint reachable from the internet

import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
aws.rds.Instance(
    "db",
    engine="postgres",
    instance_class="db.t4g.micro",
    allocated_storage=20,
    storage_encrypted=True,
    publicly_accessible=violate,
)
