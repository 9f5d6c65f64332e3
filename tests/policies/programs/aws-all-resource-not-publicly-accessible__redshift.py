"""A Redshift cluster, private or (violate) public."""
# expect: has publiclyAccessible=true

import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
aws.redshift.Cluster(
    "dw", cluster_identifier="dw", node_type="ra3.xlplus", encrypted="true", publicly_accessible=violate
)
