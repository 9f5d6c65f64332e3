"""Kubernetes building blocks shared by the workload components: restricted pods, pools, policies.

Every workload of the project runs under the Pod Security Standards "restricted" profile; what that
means (security contexts, namespace labels) is defined once in `infra/standards.py`.

Specs are written as the Kubernetes API spells them (camelCase), which pulumi_kubernetes accepts;
they are passed as `cast(Any, ...)` because the SDK's `*ArgsDict` TypedDicts are snake_case, and
matching large literals against their overloads exhausts mypy's memory.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from infra.components.eks import POOL_LABEL
from infra.components.eks_nodes import NodePool
from infra.standards import pod_security_labels

PROMETHEUS_NAMESPACE = "monitoring"
PROMETHEUS_POD_LABELS = {"app.kubernetes.io/name": "prometheus"}
# kube-prometheus-stack selects ServiceMonitors carrying this label.
SERVICE_MONITOR_LABELS = {"release": "kube-prometheus-stack"}
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"


def restricted_namespace(
    name: str, namespace: str, labels: dict[str, str], provider: k8s.Provider, parent: pulumi.Resource
) -> k8s.core.v1.Namespace:
    """A namespace where the API server rejects any pod that is not "restricted" compliant."""
    return k8s.core.v1.Namespace(
        name,
        metadata={
            "name": namespace,
            "labels": {**labels, **pod_security_labels("restricted")},
        },
        opts=pulumi.ResourceOptions(parent=parent, provider=provider),
    )


def pool_placement(pool: NodePool) -> dict[str, Any]:
    """nodeSelector for the pool's label and a toleration for each of its taints."""
    tolerations = [
        {"key": taint.key, "operator": "Equal", "value": taint.value, "effect": taint.effect}
        for taint in pool.taints
    ]
    placement: dict[str, Any] = {"nodeSelector": {POOL_LABEL: pool.name}}
    if tolerations:
        placement["tolerations"] = tolerations
    return placement


def default_deny(
    name: str, namespace: str, provider: k8s.Provider, parent: pulumi.Resource
) -> k8s.networking.v1.NetworkPolicy:
    """Denies all ingress and egress of every pod in the namespace; other policies open paths."""
    return k8s.networking.v1.NetworkPolicy(
        name,
        metadata=k8s.meta.v1.ObjectMetaArgs(name="default-deny", namespace=namespace),
        spec=k8s.networking.v1.NetworkPolicySpecArgs(
            pod_selector=k8s.meta.v1.LabelSelectorArgs(), policy_types=["Ingress", "Egress"]
        ),
        opts=pulumi.ResourceOptions(parent=parent, provider=provider),
    )


def dns_egress() -> dict[str, Any]:
    """Egress to the cluster DNS (CoreDNS in kube-system) on 53/UDP and 53/TCP."""
    return {
        "to": [
            {
                "namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: "kube-system"}},
                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
            }
        ],
        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
    }


def pods_in(namespace: str, labels: dict[str, str]) -> dict[str, Any]:
    """A NetworkPolicy peer: pods with `labels` in `namespace`."""
    return {
        "namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: namespace}},
        "podSelector": {"matchLabels": labels},
    }


def prometheus_peer() -> dict[str, Any]:
    return pods_in(PROMETHEUS_NAMESPACE, PROMETHEUS_POD_LABELS)


def service_monitor(
    name: str,
    *,
    object_name: str,
    namespace: str,
    selector_labels: dict[str, str],
    port: str,
    labels: dict[str, str],
    provider: k8s.Provider,
    parent: pulumi.Resource,
    authorization: dict[str, Any] | None = None,
    crds: pulumi.Resource | None = None,
) -> k8s.apiextensions.CustomResource:
    """A prometheus-operator ServiceMonitor scraping `/metrics` on the named Service port.

    `crds` is the release that installs the ServiceMonitor CRD; the object waits for it.
    """
    endpoint: dict[str, Any] = {"port": port, "path": "/metrics", "interval": "30s", "scheme": "http"}
    if authorization:
        endpoint["authorization"] = authorization
    return k8s.apiextensions.CustomResource(
        name,
        api_version="monitoring.coreos.com/v1",
        kind="ServiceMonitor",
        metadata={
            "name": object_name,
            "namespace": namespace,
            "labels": {**labels, **SERVICE_MONITOR_LABELS},
        },
        spec={
            "selector": {"matchLabels": selector_labels},
            "namespaceSelector": {"matchNames": [namespace]},
            "endpoints": [endpoint],
        },
        opts=pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=[crds] if crds else None),
    )
