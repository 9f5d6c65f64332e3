"""A plain RDS instance keeping backups 7 days, or (violate) 1 day."""

# expect: keeps backups for 1 day, fewer than the required 7
import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
aws.rds.Instance(
    "db",
    engine="postgres",
    instance_class="db.t4g.micro",
    allocated_storage=20,
    backup_retention_period=1 if violate else 7,
)
