"""Aurora with deletion protection, or (violate) without."""

# expect: has deletionProtection unset or false
import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
aws.rds.Cluster("db", engine="aurora-postgresql", deletion_protection=not violate)
