"""`ClusterAddons`: third-party controllers the workloads rely on, installed with pinned Helm charts.

Today that is the AWS Load Balancer Controller, which turns the memory API's Ingress into an ALB.
Defaults and why:
- Every third-party chart version is pinned in `infra/standards.py`, the one place to bump them.
- The controller runs with its own IRSA role (service account `kube-system/aws-load-balancer-controller`);
  nodes carry no load-balancer permissions. Write actions on load balancers, target groups and
  security groups are limited to resources tagged `elbv2.k8s.aws/cluster`, i.e. the ones it created.
- `--aws-region` and `--aws-vpc-id` are passed explicitly: node IMDS hop limit is 1, so pods cannot
  discover them from instance metadata.
- Two replicas on the application pool with a PodDisruptionBudget (the chart's), non-root with an
  explicit user (65534), and a NetworkPolicy selecting them (webhooks on 9443, metrics on 8080).
- Secrets: no CSI driver or External Secrets. The memory API reads its Aurora and Redis secrets from
  Secrets Manager at start through IRSA, so secret values never enter Pulumi state or etcd.
"""

from __future__ import annotations

from typing import Any, cast

import pulumi
import pulumi_kubernetes as k8s

from infra.components._base import ComponentArgs, StrInput, policy_json
from infra.components.eks import POOL_LABEL, EksCluster
from infra.standards import (
    AWS_LOAD_BALANCER_CONTROLLER,
    restricted_container_security_context,
    restricted_pod_security_context,
)

LOAD_BALANCER_CONTROLLER_NAMESPACE = "kube-system"
LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT = "aws-load-balancer-controller"
INGRESS_CLASS = "alb"
_CLUSTER_TAG = "elbv2.k8s.aws/cluster"


class ClusterAddonsArgs(ComponentArgs):
    cluster: EksCluster
    vpc_id: StrInput
    region: str
    application_pool: str = "application"


class ClusterAddons(pulumi.ComponentResource):
    """The AWS Load Balancer Controller (Helm) with its IRSA role."""

    load_balancer_controller: k8s.helm.v3.Release
    ingress_class: str

    def __init__(
        self, name: str, args: ClusterAddonsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("memory-platform:kubernetes:ClusterAddons", name, None, opts)
        cluster = args.cluster
        role = cluster.service_account_role(
            f"{name}-lb-controller",
            namespace=LOAD_BALANCER_CONTROLLER_NAMESPACE,
            service_account=LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT,
            policy=policy_json(load_balancer_controller_statements()),
            parent=self,
        )
        chart = AWS_LOAD_BALANCER_CONTROLLER
        values: dict[str, Any] = {
            "clusterName": cluster.cluster_name,
            "region": args.region,
            "vpcId": args.vpc_id,
            "replicaCount": 2,
            "serviceAccount": {
                "create": True,
                "name": LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT,
                "annotations": {"eks.amazonaws.com/role-arn": role.arn},
            },
            "nodeSelector": {POOL_LABEL: args.application_pool},
            "podDisruptionBudget": {"maxUnavailable": 1},
            "resources": {
                "requests": {"cpu": "100m", "memory": "128Mi"},
                "limits": {"cpu": "500m", "memory": "256Mi"},
            },
            # An explicit non-root user: under runAsNonRoot alone kubelet must trust the image's USER.
            "podSecurityContext": restricted_pod_security_context(65534),
            "securityContext": restricted_container_security_context(),
            "ingressClass": INGRESS_CLASS,
            "createIngressClassResource": True,
            # Services of type LoadBalancer stay with the in-tree controller unless asked for.
            "enableServiceMutatorWebhook": False,
        }
        self.load_balancer_controller = k8s.helm.v3.Release(
            f"{name}-lb-controller",
            name=chart.name,
            chart=chart.name,
            version=chart.version,
            repository_opts={"repo": chart.repository},
            namespace=LOAD_BALANCER_CONTROLLER_NAMESPACE,
            values=values,
            atomic=True,
            cleanup_on_fail=True,
            timeout=600,
            opts=pulumi.ResourceOptions(parent=self, provider=cluster.provider, depends_on=[role]),
        )
        # kube-system has no default-deny, but its pods are still each selected by a NetworkPolicy: the
        # API server calls the controller's webhooks (9443) from outside the pod network; metrics on 8080.
        controller_pods = {
            "app.kubernetes.io/name": chart.name,
            "app.kubernetes.io/instance": chart.name,
        }
        k8s.networking.v1.NetworkPolicy(
            f"{name}-lb-controller-ingress",
            metadata={"name": f"{chart.name}-ingress", "namespace": LOAD_BALANCER_CONTROLLER_NAMESPACE},
            spec=cast(
                Any,
                {
                    "podSelector": {"matchLabels": controller_pods},
                    "policyTypes": ["Ingress"],
                    "ingress": [{"ports": [{"protocol": "TCP", "port": port} for port in (9443, 8080)]}],
                },
            ),
            opts=pulumi.ResourceOptions(parent=self, provider=cluster.provider),
        )
        self.ingress_class = INGRESS_CLASS
        self.register_outputs({"loadBalancerControllerRoleArn": role.arn})


def load_balancer_controller_statements() -> list[dict[str, Any]]:
    """What the controller needs to run ALBs/NLBs; writes are limited to what it tagged itself."""
    owned = {"Null": {f"aws:ResourceTag/{_CLUSTER_TAG}": "false"}}
    tagging_new = {"Null": {f"aws:RequestTag/{_CLUSTER_TAG}": "false"}}
    return [
        {
            "Sid": "CreateServiceLinkedRole",
            "Effect": "Allow",
            "Action": "iam:CreateServiceLinkedRole",
            "Resource": "*",
            "Condition": {"StringEquals": {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}},
        },
        {
            "Sid": "Discover",
            "Effect": "Allow",
            "Action": [
                "ec2:DescribeAccountAttributes",
                "ec2:DescribeAddresses",
                "ec2:DescribeAvailabilityZones",
                "ec2:DescribeInternetGateways",
                "ec2:DescribeVpcs",
                "ec2:DescribeVpcPeeringConnections",
                "ec2:DescribeSubnets",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeInstances",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeTags",
                "ec2:DescribeCoipPools",
                "ec2:GetCoipPoolUsage",
                "ec2:DescribeRouteTables",
                "ec2:GetSecurityGroupsForVpc",
                "ec2:DescribeIpamPools",
                "elasticloadbalancing:Describe*",
                "acm:ListCertificates",
                "acm:DescribeCertificate",
                "iam:ListServerCertificates",
                "iam:GetServerCertificate",
                "cognito-idp:DescribeUserPoolClient",
                "waf-regional:GetWebACL",
                "waf-regional:GetWebACLForResource",
                "waf-regional:AssociateWebACL",
                "waf-regional:DisassociateWebACL",
                "wafv2:GetWebACL",
                "wafv2:GetWebACLForResource",
                "wafv2:AssociateWebACL",
                "wafv2:DisassociateWebACL",
                "shield:GetSubscriptionState",
                "shield:DescribeProtection",
                "shield:CreateProtection",
                "shield:DeleteProtection",
            ],
            "Resource": "*",
        },
        {
            "Sid": "ManageIngressOfNodeSecurityGroups",
            "Effect": "Allow",
            "Action": ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"],
            "Resource": "*",
        },
        {
            "Sid": "CreateTaggedSecurityGroups",
            "Effect": "Allow",
            "Action": "ec2:CreateSecurityGroup",
            "Resource": "*",
            "Condition": tagging_new,
        },
        {
            "Sid": "TagOnCreate",
            "Effect": "Allow",
            "Action": "ec2:CreateTags",
            "Resource": "arn:aws:ec2:*:*:security-group/*",
            "Condition": {"StringEquals": {"ec2:CreateAction": "CreateSecurityGroup"}, **tagging_new},
        },
        {
            "Sid": "ManageOwnSecurityGroups",
            "Effect": "Allow",
            "Action": [
                "ec2:CreateTags",
                "ec2:DeleteTags",
                "ec2:AuthorizeSecurityGroupIngress",
                "ec2:RevokeSecurityGroupIngress",
                "ec2:DeleteSecurityGroup",
            ],
            "Resource": "*",
            "Condition": owned,
        },
        {
            "Sid": "CreateTaggedLoadBalancers",
            "Effect": "Allow",
            "Action": ["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"],
            "Resource": "*",
            "Condition": tagging_new,
        },
        {
            "Sid": "ManageListenersAndRules",
            "Effect": "Allow",
            "Action": [
                "elasticloadbalancing:CreateListener",
                "elasticloadbalancing:DeleteListener",
                "elasticloadbalancing:CreateRule",
                "elasticloadbalancing:DeleteRule",
                "elasticloadbalancing:ModifyListener",
                "elasticloadbalancing:ModifyRule",
                "elasticloadbalancing:AddListenerCertificates",
                "elasticloadbalancing:RemoveListenerCertificates",
                "elasticloadbalancing:SetWebAcl",
            ],
            "Resource": "*",
        },
        {
            "Sid": "TagOwnLoadBalancers",
            "Effect": "Allow",
            "Action": ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
            "Resource": [
                "arn:aws:elasticloadbalancing:*:*:targetgroup/*/*",
                "arn:aws:elasticloadbalancing:*:*:loadbalancer/net/*/*",
                "arn:aws:elasticloadbalancing:*:*:loadbalancer/app/*/*",
                "arn:aws:elasticloadbalancing:*:*:listener/*/*/*/*",
                "arn:aws:elasticloadbalancing:*:*:listener-rule/*/*/*/*",
            ],
        },
        {
            "Sid": "ModifyOwnLoadBalancers",
            "Effect": "Allow",
            "Action": [
                "elasticloadbalancing:ModifyLoadBalancerAttributes",
                "elasticloadbalancing:SetIpAddressType",
                "elasticloadbalancing:SetSecurityGroups",
                "elasticloadbalancing:SetSubnets",
                "elasticloadbalancing:DeleteLoadBalancer",
                "elasticloadbalancing:ModifyTargetGroup",
                "elasticloadbalancing:ModifyTargetGroupAttributes",
                "elasticloadbalancing:DeleteTargetGroup",
                "elasticloadbalancing:ModifyListenerAttributes",
                "elasticloadbalancing:ModifyCapacityReservation",
                "elasticloadbalancing:ModifyIpPools",
            ],
            "Resource": "*",
            "Condition": owned,
        },
        {
            "Sid": "TagOnCreateLoadBalancers",
            "Effect": "Allow",
            "Action": "elasticloadbalancing:AddTags",
            "Resource": [
                "arn:aws:elasticloadbalancing:*:*:targetgroup/*/*",
                "arn:aws:elasticloadbalancing:*:*:loadbalancer/net/*/*",
                "arn:aws:elasticloadbalancing:*:*:loadbalancer/app/*/*",
            ],
            "Condition": {
                "StringEquals": {
                    "elasticloadbalancing:CreateAction": ["CreateTargetGroup", "CreateLoadBalancer"]
                },
                **tagging_new,
            },
        },
        {
            "Sid": "RegisterTargets",
            "Effect": "Allow",
            "Action": ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
            "Resource": "arn:aws:elasticloadbalancing:*:*:targetgroup/*/*",
        },
    ]
