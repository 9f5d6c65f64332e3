"""An Aurora cluster encrypted with a customer key, or (violate) unencrypted."""

# expect: has storageEncrypted unset or false
import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
aws.rds.Cluster(
    "db",
    engine="aurora-postgresql",
    storage_encrypted=not violate,
    kms_key_id=KEY,
    manage_master_user_password=True,
    master_username="app",
)
