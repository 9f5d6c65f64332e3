"""`ClusterAddons`: third-party controllers the workloads rely on, installed with pinned Helm charts.

The AWS Load Balancer Controller (the memory API's Ingress becomes an ALB), metrics-server (resource
metrics, without which no HorizontalPodAutoscaler scales) and Cluster Autoscaler (adds and removes nodes
of the managed node groups). Defaults and why:
- Every third-party chart version is pinned in `infra/standards.py`, the one place to bump them.
- The controller runs with its own IRSA role (service account `kube-system/aws-load-balancer-controller`);
  nodes carry no load-balancer permissions. Its policy is upstream's `docs/install/iam_policy.json` at
  the controller version of the pinned chart, verbatim (a data file; a test holds it to the source):
  hand-edited copies drifted (missing actions, conditions the controller cannot satisfy).
- `--aws-region` and `--aws-vpc-id` are passed explicitly: node IMDS hop limit is 1, so pods cannot
  discover them from instance metadata.
- Two replicas on the application pool with a PodDisruptionBudget (the chart's), non-root with an
  explicit user (65534), and a NetworkPolicy selecting them (webhooks on 9443, metrics on 8080).
- Node autoscaling is Cluster Autoscaler, not Karpenter: the pools are EKS managed node groups (each an
  Auto Scaling group that EKS drains, patches and repairs), which Cluster Autoscaler resizes in place
  within each pool's `minNodes`/`maxNodes`; Karpenter would launch instances outside them and replace the
  pools (their launch templates, labels, taints, auto repair) with NodePools. It finds the groups by
  their discovery tags, its IRSA role is upstream's policy with the two writing actions limited to
  Auto Scaling groups tagged for this cluster, and its image follows the control-plane minor.
- metrics-server runs two replicas spread over zones with a PodDisruptionBudget, so a node drain does
  not blind the HPAs; the API server reaches it on 10250.
- Teardown: each Ingress depends on the load balancer controller and the controller (through the
  provider) on the node groups, so `pulumi destroy` deletes Ingresses first and the provider's delete
  waits until each is gone, i.e. until the running controller has removed its finalizer and the ALB.
- Secrets: no CSI driver or External Secrets. The memory API reads its Aurora and Redis secrets from
  Secrets Manager at start through IRSA, so secret values never enter Pulumi state or etcd.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from infra.components._base import ComponentArgs, StrInput
from infra.components.eks import POOL_LABEL, EksCluster
from infra.standards import (
    AWS_LOAD_BALANCER_CONTROLLER,
    CLUSTER_AUTOSCALER,
    CLUSTER_AUTOSCALER_IMAGE_TAGS,
    METRICS_SERVER,
    HelmChart,
    restricted_container_security_context,
    restricted_pod_security_context,
    tcp,
)

LOAD_BALANCER_CONTROLLER_NAMESPACE = "kube-system"
LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT = "aws-load-balancer-controller"
ADDONS_NAMESPACE = "kube-system"
METRICS_SERVER_SERVICE_ACCOUNT = METRICS_SERVER.name
CLUSTER_AUTOSCALER_SERVICE_ACCOUNT = CLUSTER_AUTOSCALER.name
METRICS_SERVER_USER = 1000  # the chart's own runAsUser
_METRICS_SERVER_PORT = 10250  # the chart's containerPort: the API server's aggregation layer calls it
_CLUSTER_AUTOSCALER_PORT = 8085  # health and metrics
INGRESS_CLASS = "alb"
_DATA = Path(__file__).resolve().parent / "data"


class ClusterAddonsArgs(ComponentArgs):
    cluster: EksCluster
    vpc_id: StrInput
    region: str
    application_pool: str = "application"


class ClusterAddons(pulumi.ComponentResource):
    """The AWS Load Balancer Controller, metrics-server and Cluster Autoscaler (Helm), with IRSA roles."""

    load_balancer_controller: k8s.helm.v3.Release
    metrics_server: k8s.helm.v3.Release
    cluster_autoscaler: k8s.helm.v3.Release
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
        self.load_balancer_controller = self._release(
            f"{name}-lb-controller", chart, values, cluster, depends_on=[role]
        )
        # kube-system has no default-deny, but its pods are still each selected by a NetworkPolicy: the
        # API server calls the controller's webhooks (9443) from outside the pod network; metrics on 8080.
        self._ingress_policy(name, "lb-controller", chart, (9443, 8080), cluster)
        self.metrics_server = self._metrics_server(name, cluster, args.application_pool)
        self.cluster_autoscaler, autoscaler_role = self._cluster_autoscaler(
            name, cluster, args.region, args.application_pool
        )
        self.ingress_class = INGRESS_CLASS
        self.register_outputs(
            {"loadBalancerControllerRoleArn": role.arn, "clusterAutoscalerRoleArn": autoscaler_role.arn}
        )

    def _release(
        self,
        name: str,
        chart: HelmChart,
        values: dict[str, Any],
        cluster: EksCluster,
        depends_on: Sequence[pulumi.Resource] = (),
    ) -> k8s.helm.v3.Release:
        """A release of a pinned chart into kube-system through the cluster's provider.

        The provider waits for the node groups, CoreDNS and the EBS CSI driver, so the release does too.
        """
        return k8s.helm.v3.Release(
            name,
            name=chart.name,
            chart=chart.name,
            version=chart.version,
            repository_opts={"repo": chart.repository},
            namespace=ADDONS_NAMESPACE,
            values=values,
            atomic=True,
            cleanup_on_fail=True,
            timeout=600,
            opts=pulumi.ResourceOptions(parent=self, provider=cluster.provider, depends_on=list(depends_on)),
        )

    def _ingress_policy(
        self, name: str, suffix: str, chart: HelmChart, ports: Sequence[int], cluster: EksCluster
    ) -> None:
        """A NetworkPolicy selecting a chart's pods, admitting `ports` (callers outside the pod network)."""
        pods = {"app.kubernetes.io/name": chart.name, "app.kubernetes.io/instance": chart.name}
        k8s.networking.v1.NetworkPolicy(
            f"{name}-{suffix}-ingress",
            metadata={"name": f"{chart.name}-ingress", "namespace": ADDONS_NAMESPACE},
            spec=cast(
                Any,
                {
                    "podSelector": {"matchLabels": pods},
                    "policyTypes": ["Ingress"],
                    "ingress": [{"ports": tcp(*ports)}],
                },
            ),
            opts=pulumi.ResourceOptions(parent=self, provider=cluster.provider),
        )

    def _metrics_server(self, name: str, cluster: EksCluster, pool: str) -> k8s.helm.v3.Release:
        chart = METRICS_SERVER
        pods = {"app.kubernetes.io/name": chart.name, "app.kubernetes.io/instance": chart.name}
        values: dict[str, Any] = {
            "replicas": 2,
            "podDisruptionBudget": {"enabled": True, "maxUnavailable": 1},
            "topologySpreadConstraints": [
                {
                    "maxSkew": 1,
                    "topologyKey": "topology.kubernetes.io/zone",
                    "whenUnsatisfiable": "ScheduleAnyway",
                    "labelSelector": {"matchLabels": pods},
                }
            ],
            "serviceAccount": {"create": True, "name": METRICS_SERVER_SERVICE_ACCOUNT},
            "nodeSelector": {POOL_LABEL: pool},
            "resources": {
                "requests": {"cpu": "100m", "memory": "200Mi"},
                "limits": {"cpu": "500m", "memory": "400Mi"},
            },
            "podSecurityContext": restricted_pod_security_context(METRICS_SERVER_USER),
            "securityContext": restricted_container_security_context(),
        }
        release = self._release(f"{name}-metrics-server", chart, values, cluster)
        self._ingress_policy(name, "metrics-server", chart, (_METRICS_SERVER_PORT,), cluster)
        return release

    def _cluster_autoscaler(
        self, name: str, cluster: EksCluster, region: str, pool: str
    ) -> tuple[k8s.helm.v3.Release, aws.iam.Role]:
        chart = CLUSTER_AUTOSCALER
        tags = cluster.autoscaler_discovery_tags
        role = cluster.service_account_role(
            f"{name}-cluster-autoscaler",
            namespace=ADDONS_NAMESPACE,
            service_account=CLUSTER_AUTOSCALER_SERVICE_ACCOUNT,
            policy=cluster_autoscaler_policy(tags),
            parent=self,
        )
        values: dict[str, Any] = {
            "cloudProvider": "aws",
            "awsRegion": region,
            "nameOverride": chart.name,
            "fullnameOverride": chart.name,
            # The chart's default tag list, spelled out: the same keys the node groups' ASGs carry.
            "autoDiscovery": {"clusterName": cluster.cluster_name, "tags": list(tags)},
            "image": {"tag": CLUSTER_AUTOSCALER_IMAGE_TAGS[cluster.kubernetes_version]},
            "rbac": {
                "serviceAccount": {
                    "create": True,
                    "name": CLUSTER_AUTOSCALER_SERVICE_ACCOUNT,
                    "annotations": {"eks.amazonaws.com/role-arn": role.arn},
                }
            },
            "nodeSelector": {POOL_LABEL: pool},
            "resources": {
                "requests": {"cpu": "100m", "memory": "300Mi"},
                "limits": {"cpu": "500m", "memory": "600Mi"},
            },
            "securityContext": restricted_pod_security_context(),
            "containerSecurityContext": restricted_container_security_context(),
        }
        release = self._release(f"{name}-cluster-autoscaler", chart, values, cluster, depends_on=[role])
        self._ingress_policy(name, "cluster-autoscaler", chart, (_CLUSTER_AUTOSCALER_PORT,), cluster)
        return release, role


@dataclass(frozen=True)
class UpstreamPolicy:
    """An IAM policy document copied verbatim from its upstream repository at one version."""

    path: Path
    version: str
    source: str
    sha256: str

    def text(self) -> str:
        return self.path.read_text()


# cluster-autoscaler/cloudprovider/aws/README.md of kubernetes/autoscaler at tag cluster-autoscaler-1.35.0
# (the pinned chart's appVersion; commit 25fc5c74f6b0), "Full Cluster Autoscaler Features Policy
# (Recommended)", the JSON block verbatim. Identical at cluster-autoscaler-1.34.5, -1.35.2 and -1.36.1.
CLUSTER_AUTOSCALER_POLICY = UpstreamPolicy(
    path=_DATA / "cluster-autoscaler-iam-policy-1.35.0.json",
    version="1.35.0",
    source=(
        "https://github.com/kubernetes/autoscaler/blob/cluster-autoscaler-1.35.0/"
        "cluster-autoscaler/cloudprovider/aws/README.md#full-cluster-autoscaler-features-policy-recommended"
    ),
    sha256="d394a3f6e8f327a043fb43616f940152fee106d9e4839ede027c360331623fa6",
)
_AUTOSCALER_WRITES = {"autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"}


def cluster_autoscaler_policy(discovery_tags: dict[str, str]) -> str:
    """Upstream's policy, its writing statement limited to Auto Scaling groups carrying `discovery_tags`.

    Upstream: "only the second block of actions should be updated to restrict the resources/add
    conditionals"; the read-only statement stays as published.
    """
    document = json.loads(CLUSTER_AUTOSCALER_POLICY.text())
    writes = [s for s in document["Statement"] if set(s["Action"]) == _AUTOSCALER_WRITES]
    if len(writes) != 1:
        raise ValueError(
            f"{CLUSTER_AUTOSCALER_POLICY.path.name} no longer has one statement of {_AUTOSCALER_WRITES}"
        )
    writes[0]["Condition"] = {
        "StringEquals": {f"aws:ResourceTag/{key}": value for key, value in discovery_tags.items()}
    }
    return json.dumps(document)


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
