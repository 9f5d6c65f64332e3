"""A PostgreSQL cluster parameter group forcing TLS, or (violate) not."""

# expect: does not set rds.force_ssl=1
import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
aws.rds.ClusterParameterGroup(
    "tls",
    family="aurora-postgresql16",
    parameters=[{"name": "rds.force_ssl", "value": "0" if violate else "1"}],
)
