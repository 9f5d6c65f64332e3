"""A node group on an allowed family, or (violate) on p5."""

# expect: whose family p5 is not one of
import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
aws.eks.NodeGroup(
    "nodes",
    cluster_name="eks",
    node_role_arn="arn:aws:iam::123456789012:role/nodes",
    subnet_ids=["subnet-1"],
    scaling_config={"desired_size": 2, "min_size": 2, "max_size": 3},
    launch_template={"id": "lt-1", "version": "1"},
    instance_types=["p5.48xlarge" if violate else "m7i.large"],
)
