"""A node group on a pinned launch template, or (violate) with SSH remote access."""

# expect: enables remoteAccess (SSH)
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
    instance_types=["m7i.large"],
    remote_access={"ec2_ssh_key": "ops"} if violate else None,
)
