"""Aurora with an RDS-managed password, or (violate) a password in state."""

# expect: sets masterPassword
import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
password = pulumi.Output.secret("s3cr3t-from-config")
aws.rds.Cluster(
    "db",
    engine="aurora-postgresql",
    master_username="app",
    **({"master_password": password} if violate else {"manage_master_user_password": True}),
)
