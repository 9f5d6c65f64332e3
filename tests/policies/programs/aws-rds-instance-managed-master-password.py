"""A plain RDS instance with an RDS-managed password, or (violate) a literal one."""

# expect: sets password, which stores the database password in Pulumi state
import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
aws.rds.Instance(
    "db",
    engine="postgres",
    instance_class="db.t4g.micro",
    allocated_storage=20,
    username="app",
    **({"password": "hunter2-hunter2"} if violate else {"manage_master_user_password": True}),
)
