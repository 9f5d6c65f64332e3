"""Stack policies that need every Kubernetes object at once: each pod is selected by a NetworkPolicy and
each multi-replica workload is covered by a PodDisruptionBudget.

Under `pulumi preview` a Helm release is one resource; the offline plan renders it and passes its objects
too, so a chart's pods must be selected by a NetworkPolicy and covered by a PodDisruptionBudget as well.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyResource, Severity

from policies.framework import ADVISORY, dig, stack_policy
from policies.k8s.workloads import (
    REPLICATED_TYPES,
    RUNNING_TYPES,
    namespace_of,
    pod_labels,
    replicas,
    selector_matches,
)

NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"


def _selected(pod: PolicyResource, selectors: Sequence[PolicyResource], path: tuple[str, ...]) -> bool:
    namespace, labels = namespace_of(pod.props), pod_labels(pod.resource_type, pod.props)
    return any(
        namespace_of(s.props) == namespace and selector_matches(dig(s.props, *path, default=None), labels)
        for s in selectors
    )


def _network_policy(
    resources: Sequence[PolicyResource], _config: Mapping[str, Any]
) -> Iterator[tuple[str, str | None]]:
    policies = [r for r in resources if r.resource_type == NETWORK_POLICY]
    for workload in resources:
        if workload.resource_type in RUNNING_TYPES and not _selected(
            workload, policies, ("spec", "podSelector")
        ):
            yield (
                f"{workload.resource_type} '{workload.name}' in namespace {namespace_of(workload.props)} has pods "
                "that no NetworkPolicy selects, so they accept traffic from anywhere.",
                workload.urn,
            )


pod_network_policy = stack_policy(
    name="kubernetes-workload-pod-network-policy",
    description="Every pod is selected by a NetworkPolicy in its namespace.",
    severity=Severity.HIGH,
    remediation="Add a NetworkPolicy whose podSelector matches the pod labels (a default-deny plus allow rules).",
    check=_network_policy,
    covers=RUNNING_TYPES,
)


def _scaled_replicas(workload: PolicyResource, autoscalers: Sequence[PolicyResource]) -> int:
    count = replicas(workload.props)
    for hpa in autoscalers:
        target = dig(hpa.props, "spec", "scaleTargetRef", default={})
        if dig(target, "name") == dig(workload.props, "metadata", "name") and namespace_of(
            hpa.props
        ) == namespace_of(workload.props):
            count = max(count, int(dig(hpa.props, "spec", "minReplicas", default=1)))
    return count


def _pdb(resources: Sequence[PolicyResource], _config: Mapping[str, Any]) -> Iterator[tuple[str, str | None]]:
    budgets = [r for r in resources if r.resource_type == PDB]
    autoscalers = [r for r in resources if r.resource_type == HPA]
    for workload in resources:
        if workload.resource_type not in REPLICATED_TYPES:
            continue
        count = _scaled_replicas(workload, autoscalers)
        if count > 1 and not _selected(workload, budgets, ("spec", "selector")):
            yield (
                f"{workload.resource_type} '{workload.name}' runs {count} replicas without a PodDisruptionBudget, "
                "so a node drain can evict all of them at once.",
                workload.urn,
            )


multi_replica_pdb = stack_policy(
    name="kubernetes-workload-multi-replica-pdb",
    description="Every multi-replica workload has a PodDisruptionBudget selecting its pods.",
    severity=Severity.MEDIUM,
    remediation="Add a policy/v1 PodDisruptionBudget with maxUnavailable=1 whose selector matches the pod labels.",
    check=_pdb,
    covers=REPLICATED_TYPES,
    enforcement_level=ADVISORY,
)

POLICIES = [pod_network_policy, multi_replica_pdb]
