"""`ClusterAddons`: third-party controllers the workloads rely on, installed with pinned Helm charts.

Today that is the AWS Load Balancer Controller, which turns the memory API's Ingress into an ALB.
Defaults and why:
- Every third-party chart version is pinned in `infra/standards.py`, the one place to bump them.
- The controller runs with its own IRSA role (service account `kube-system/aws-load-balancer-controller`);
  nodes carry no load-balancer permissions. Its policy is upstream's `docs/install/iam_policy.json` at
  the controller version of the pinned chart, verbatim (a data file; a test holds it to the source):
  hand-edited copies drifted (missing actions, conditions the controller cannot satisfy).
- `--aws-region` and `--aws-vpc-id` are passed explicitly: node IMDS hop limit is 1, so pods cannot
  discover them from instance metadata.
- Two replicas on the application pool with a PodDisruptionBudget (the chart's), non-root with an
  explicit user (65534), and a NetworkPolicy selecting them (webhooks on 9443, metrics on 8080).
- Secrets: no CSI driver or External Secrets. The memory API reads its Aurora and Redis secrets from
  Secrets Manager at start through IRSA, so secret values never enter Pulumi state or etcd.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pulumi
import pulumi_kubernetes as k8s

from infra.components._base import ComponentArgs, StrInput
from infra.components.eks import POOL_LABEL, EksCluster
from infra.standards import (
    AWS_LOAD_BALANCER_CONTROLLER,
    restricted_container_security_context,
    restricted_pod_security_context,
)

LOAD_BALANCER_CONTROLLER_NAMESPACE = "kube-system"
LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT = "aws-load-balancer-controller"
INGRESS_CLASS = "alb"
_DATA = Path(__file__).resolve().parent / "data"


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
            policy=LOAD_BALANCER_CONTROLLER_POLICY.text(),
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


@dataclass(frozen=True)
class UpstreamPolicy:
    """An IAM policy document copied verbatim from its upstream repository at one version."""

    path: Path
    version: str
    source: str
    sha256: str

    def text(self) -> str:
        return self.path.read_text()


# docs/install/iam_policy.json of kubernetes-sigs/aws-load-balancer-controller at the controller version
# the pinned chart ships (chart 1.17.1, appVersion v2.17.1; tag commit 3b9bdb1e3fb2). Bump it with the
# chart: replace the file with the new tag's, and update version and sha256.
LOAD_BALANCER_CONTROLLER_POLICY = UpstreamPolicy(
    path=_DATA / "aws-load-balancer-controller-iam-policy-v2.17.1.json",
    version="v2.17.1",
    source=(
        "https://raw.githubusercontent.com/kubernetes-sigs/aws-load-balancer-controller/v2.17.1/"
        "docs/install/iam_policy.json"
    ),
    sha256="16f232c9d9f79366fe949c4550ad517a202380058a9e48d45a4e215044a20a6a",
)
