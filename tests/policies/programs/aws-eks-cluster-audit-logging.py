"""EKS shipping audit logs, or (violate) only API logs."""

# expect: does not ship the control-plane logs audit, authenticator to CloudWatch
import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
aws.eks.Cluster(
    "eks",
    role_arn="arn:aws:iam::123456789012:role/eks",
    vpc_config={"subnet_ids": ["subnet-1"], "endpoint_private_access": True, "endpoint_public_access": False},
    encryption_config={"resources": ["secrets"], "provider": {"key_arn": KEY}},
    enabled_cluster_log_types=["api"] if violate else ["api", "audit", "authenticator"],
    access_config={"authentication_mode": "API"},
)
