"""A private-only EKS cluster with a Kubernetes object deployed through it: reachable by a CodeBuild-hosted
GitHub Actions runner in its subnet, or (violate) by nobody, the runner's webhook taking push events only."""

# expect: has a private-only API endpoint
import json

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16")
subnet = aws.ec2.Subnet("private", vpc_id=vpc.id, cidr_block="10.0.1.0/24")
cluster = aws.eks.Cluster(
    "eks",
    role_arn="arn:aws:iam::123456789012:role/eks",
    vpc_config={"subnet_ids": [subnet.id], "endpoint_private_access": True, "endpoint_public_access": False},
    encryption_config={"resources": ["secrets"], "provider": {"key_arn": KEY}},
    enabled_cluster_log_types=["api", "audit", "authenticator"],
    access_config={"authentication_mode": "API"},
)
runner_group = aws.ec2.SecurityGroup("runner", vpc_id=vpc.id, description="runner")
project = aws.codebuild.Project(
    "runner",
    service_role="arn:aws:iam::123456789012:role/codebuild",
    source={"type": "GITHUB", "location": "https://github.com/org/repo"},
    artifacts={"type": "NO_ARTIFACTS"},
    environment={
        "type": "LINUX_CONTAINER",
        "compute_type": "BUILD_GENERAL1_SMALL",
        "image": "aws/codebuild/standard:7.0",
    },
    vpc_config={"vpc_id": vpc.id, "subnets": [subnet.id], "security_group_ids": [runner_group.id]},
)
aws.codebuild.Webhook(
    "runner",
    project_name=project.name,
    filter_groups=[{"filters": [{"type": "EVENT", "pattern": "PUSH" if violate else "WORKFLOW_JOB_QUEUED"}]}],
)
provider = k8s.Provider(
    "k8s", kubeconfig=cluster.endpoint.apply(lambda endpoint: json.dumps({"server": endpoint}))
)
k8s.core.v1.Namespace("apps", metadata={"name": "apps"}, opts=pulumi.ResourceOptions(provider=provider))
