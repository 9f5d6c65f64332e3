"""Aurora backups kept 7 days, or (violate) 3."""

# expect: keeps backups for 3 days, fewer than the required 7
import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
aws.rds.Cluster("db", engine="aurora-postgresql", backup_retention_period=3 if violate else 7)
