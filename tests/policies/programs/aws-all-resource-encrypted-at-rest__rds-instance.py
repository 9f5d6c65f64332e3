"""A plain RDS instance, encrypted or (violate) not."""
# expect: has storageEncrypted unset, so its data is stored unencrypted

import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
aws.rds.Instance(
    "db",
    engine="postgres",
    instance_class="db.t4g.micro",
    allocated_storage=20,
    **({} if violate else {"storage_encrypted": True}),
)
