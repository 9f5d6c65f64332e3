"""An Aurora instance, private or (violate) publicly accessible."""

# expect: has publiclyAccessible=true
import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
aws.rds.ClusterInstance(
    "db-1",
    cluster_identifier="db",
    instance_class="db.r7g.large",
    engine="aurora-postgresql",
    publicly_accessible=violate,
)
