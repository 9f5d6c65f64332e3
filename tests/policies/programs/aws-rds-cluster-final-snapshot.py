"""Aurora keeps a final snapshot, or (violate) skips it."""

# expect: has skipFinalSnapshot=true
import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
aws.rds.Cluster(
    "db", engine="aurora-postgresql", skip_final_snapshot=violate, final_snapshot_identifier="db-final"
)
