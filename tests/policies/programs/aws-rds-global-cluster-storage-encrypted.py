"""An Aurora global cluster, encrypted or (violate) not."""

# expect: has storageEncrypted unset or false
import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
aws.rds.GlobalCluster(
    "g", global_cluster_identifier="g", engine="aurora-postgresql", storage_encrypted=not violate
)
