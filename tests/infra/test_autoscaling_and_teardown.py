"""Issue 14, items 10 and 6, read from each stack's plan: node autoscaling's IAM and sizes, teardown order."""

from __future__ import annotations

import hashlib
import importlib
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.components.eks_config import ClusterConfig
from infra.policy_config import stack_config
from offline_plan.document import PlanDocument
from tests.conftest import ROOT, by_urn, of_type

CHARTS = ROOT.parent / "shared" / "charts"
RELEASE = "kubernetes:helm.sh/v3:Release"


DR_SCOPE = "memory-platform:dr:DrRegion"


def _clusters(plan: PlanDocument) -> list[tuple[PlanDocument, tuple[Any, ...]]]:
    """Each EKS cluster's part of the plan (the primary's; the DR region's pilot light, if any) with the
    node pools the stack file gives it: every cluster must scale and tear down the same way."""
    config = stack_config(plan.stack)
    views = [
        (
            plan.model_copy(update={"resources": [r for r in plan.resources if DR_SCOPE not in r["urn"]]}),
            config.node_pools,
        )
    ]
    dr = [r for r in plan.resources if DR_SCOPE in r["urn"]]
    if dr:
        views.append((plan.model_copy(update={"resources": dr}), config.dr.compute.node_pools))
    return views


def _release(plan: PlanDocument, chart: str) -> dict[str, Any]:
    [found] = [r for r in of_type(plan, RELEASE) if r["inputs"]["chart"] == chart]
    return found


def _role_policy(plan: PlanDocument, role_suffix: str) -> dict[str, Any]:
    [role] = [r for r in of_type(plan, "aws:iam/role:Role") if r["name"].endswith(role_suffix)]
    [policy] = [
        r
        for r in of_type(plan, "aws:iam/rolePolicy:RolePolicy")
        if role["urn"] in r["propertyDependencies"].get("role", [])
    ]
    document: dict[str, Any] = json.loads(policy["inputs"]["policy"])
    return document


def _app_version(chart: Any) -> str:
    with tarfile.open(CHARTS / f"{chart.name}-{chart.version}.tgz") as archive:
        member = archive.extractfile(f"{chart.name}/Chart.yaml")
        assert member is not None
        return str(yaml.safe_load(member.read())["appVersion"])


def _asg_tags(plan: PlanDocument) -> dict[str, dict[str, str]]:
    """Node group URN -> the tags written on its Auto Scaling group."""
    tags: dict[str, dict[str, str]] = {}
    for tag in of_type(plan, "aws:autoscaling/tag:Tag"):
        tags.setdefault(tag["parent"], {})[tag["inputs"]["tag"]["key"]] = tag["inputs"]["tag"]["value"]
    return tags


def test_cluster_autoscaler_policy_is_upstreams_with_writes_limited_to_this_clusters_groups(
    stack_plan: PlanDocument,
) -> None:
    for cluster_plan, _ in _clusters(stack_plan):
        _cluster_autoscaler_policy_is_upstreams_with_writes_limited_to_this_clusters_groups(cluster_plan)


def _cluster_autoscaler_policy_is_upstreams_with_writes_limited_to_this_clusters_groups(
    stack_plan: PlanDocument,
) -> None:
    addons = importlib.import_module("infra.components.cluster_addons")
    upstream = getattr(addons, "CLUSTER_AUTOSCALER_POLICY", None)
    assert upstream is not None, "the autoscaler's policy must be upstream's, kept as data with its source"
    chart = importlib.import_module("infra.standards").CLUSTER_AUTOSCALER
    assert upstream.version == chart.app_version == _app_version(chart)
    assert (
        f"/cluster-autoscaler-{upstream.version}/cluster-autoscaler/cloudprovider/aws/README.md"
        in upstream.source
    )
    text = Path(upstream.path).read_text()
    assert hashlib.sha256(text.encode()).hexdigest() == upstream.sha256, "the data file is not upstream's"
    published = json.loads(text)["Statement"]
    planned = _role_policy(stack_plan, "-cluster-autoscaler")["Statement"]
    assert len(planned) == len(published) == 2
    assert planned[0] == published[0], "upstream's read-only statement is kept as published"
    writes = {k: v for k, v in planned[1].items() if k != "Condition"}
    assert writes == published[1], "upstream's writing statement, only with a condition added"
    [cluster] = of_type(stack_plan, "aws:eks/cluster:Cluster")
    condition = planned[1]["Condition"]["StringEquals"]
    assert condition[f"aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster['inputs']['name']}"] == "owned"
    # The writes reach exactly the groups the program tags: every node group's ASG matches the condition.
    groups = of_type(stack_plan, "aws:eks/nodeGroup:NodeGroup")
    tags = _asg_tags(stack_plan)
    for group in groups:
        carried = {f"aws:ResourceTag/{key}": value for key, value in tags.get(group["urn"], {}).items()}
        assert condition.items() <= carried.items(), f"{group['name']} could not be resized"


def test_cluster_autoscaler_runs_with_its_own_role_and_finds_this_cluster(stack_plan: PlanDocument) -> None:
    for cluster_plan, _ in _clusters(stack_plan):
        _cluster_autoscaler_runs_with_its_own_role_and_finds_this_cluster(cluster_plan)


def _cluster_autoscaler_runs_with_its_own_role_and_finds_this_cluster(stack_plan: PlanDocument) -> None:
    release = _release(stack_plan, "cluster-autoscaler")
    values = release["inputs"]["values"]
    [cluster] = of_type(stack_plan, "aws:eks/cluster:Cluster")
    assert values["autoDiscovery"]["clusterName"] == cluster["inputs"]["name"]
    [role] = [
        r for r in of_type(stack_plan, "aws:iam/role:Role") if r["name"].endswith("-cluster-autoscaler")
    ]
    account = values["rbac"]["serviceAccount"]
    trust = json.dumps(json.loads(role["inputs"]["assumeRolePolicy"]))
    assert f"system:serviceaccount:kube-system:{account['name']}" in trust
    assert account["annotations"]["eks.amazonaws.com/role-arn"].split("/")[-1].startswith(role["name"])


def test_node_groups_leave_their_size_to_the_autoscaler_within_the_stack_files_bounds(
    stack_plan: PlanDocument,
) -> None:
    for cluster_plan, node_pools in _clusters(stack_plan):
        _node_groups_leave_their_size_to_the_autoscaler(cluster_plan, node_pools)


def _node_groups_leave_their_size_to_the_autoscaler(
    stack_plan: PlanDocument, node_pools: tuple[Any, ...]
) -> None:
    pools = {pool.name: pool for pool in node_pools}
    groups = of_type(stack_plan, "aws:eks/nodeGroup:NodeGroup")
    assert {g["inputs"]["labels"]["memory-platform.io/pool"] for g in groups} == set(pools)
    tags = _asg_tags(stack_plan)
    [cluster] = of_type(stack_plan, "aws:eks/cluster:Cluster")
    for group in groups:
        pool = pools[group["inputs"]["labels"]["memory-platform.io/pool"]]
        scaling = group["inputs"]["scalingConfig"]
        assert (scaling["minSize"], scaling["maxSize"]) == (pool.min_nodes, pool.max_nodes)
        # `pulumi up` must not reset what the autoscaler chose (terraform-aws-eks ignores it likewise).
        assert "scalingConfig.desiredSize" in group["options"]["ignoreChanges"]
        assert tags.get(group["urn"], {}).keys() >= {
            "k8s.io/cluster-autoscaler/enabled",
            f"k8s.io/cluster-autoscaler/{cluster['inputs']['name']}",
        }, f"{group['name']}'s Auto Scaling group lacks the discovery tags"


def _deleted_after(plan: PlanDocument, start: str) -> set[str]:
    """Everything Pulumi deletes only after `start`: its recorded dependencies and its provider, transitively.

    Parents are left out on purpose (a component parent orders nothing against its siblings' dependencies),
    so an edge this finds is one `pulumi destroy` honours.
    """
    resources = by_urn(plan)
    seen: set[str] = set()
    stack = [start]
    while stack:
        urn = stack.pop()
        if urn in seen or urn not in resources:
            continue
        seen.add(urn)
        resource = resources[urn]
        stack.extend(resource.get("dependencies") or [])
        if resource.get("provider"):
            stack.append(resource["provider"].rsplit("::", 1)[0])
    return seen - {start}


def test_destroy_removes_ingresses_then_the_lb_controller_then_the_nodes(stack_plan: PlanDocument) -> None:
    for cluster_plan, _ in _clusters(stack_plan):
        _destroy_removes_ingresses_then_the_lb_controller_then_the_nodes(cluster_plan)


def _destroy_removes_ingresses_then_the_lb_controller_then_the_nodes(stack_plan: PlanDocument) -> None:
    """On destroy Pulumi deletes dependents first. Every Ingress (and TargetGroupBinding) depends on the
    load balancer controller, so the controller is still running to remove its finalizer and the ALB; the
    controller depends on the node groups, so its pods still have nodes while it does."""
    controller = _release(stack_plan, "aws-load-balancer-controller")
    groups = {g["urn"] for g in of_type(stack_plan, "aws:eks/nodeGroup:NodeGroup")}
    assert groups and groups <= _deleted_after(stack_plan, controller["urn"]), (
        "the controller may outlive no node"
    )
    balanced = [
        r
        for r in stack_plan.resources
        if r["type"]
        in {"kubernetes:networking.k8s.io/v1:Ingress", "kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding"}
    ]
    assert balanced
    for resource in balanced:
        assert controller["urn"] in _deleted_after(stack_plan, resource["urn"]), resource["urn"]
        # Ordering is enough because the provider's delete blocks until the object is gone, i.e. until the
        # controller has removed its finalizer (pulumi-kubernetes provider/pkg/await/await.go `Deletion`);
        # `pulumi.com/skipAwait` would turn that wait off (metadata/overrides.go `DeletedCondition`).
        annotations = (resource["inputs"].get("metadata") or {}).get("annotations") or {}
        assert str(annotations.get("pulumi.com/skipAwait", "")).lower() != "true", resource["urn"]


def test_addons_carry_exactly_the_versions_the_stack_file_pins(stack_plan: PlanDocument) -> None:
    """Item 12: add-on versions are pinned in the stack file, not whatever AWS defaults to on the day."""
    config = stack_config(stack_plan.stack).cluster
    pins = config.addon_versions
    planned = {
        a["inputs"]["addonName"]: a["inputs"]["addonVersion"]
        for a in of_type(stack_plan, "aws:eks/addon:Addon")
    }
    assert set(planned) == {"vpc-cni", "coredns", "kube-proxy", "aws-ebs-csi-driver"}
    pinned = {name: pins.pinned(name) for name in planned if pins.pinned(name) is not None}
    # Every add-on with a version from AWS's own tables (CoreDNS, kube-proxy) or corroborated (vpc-cni)
    # is pinned; only the EBS CSI driver has no published per-version table (see the stack file).
    assert set(pinned) >= {"vpc-cni", "coredns", "kube-proxy"}
    for name, version in pinned.items():
        assert planned[name] == version, (
            f"{name} is planned at {planned[name]}, the stack file pins {version}"
        )
    assert planned["kube-proxy"].startswith(f"v{config.version}.")


def test_a_kube_proxy_pin_for_another_kubernetes_version_is_refused() -> None:
    with pytest.raises(ValueError, match=r"kubeProxy v1\.33\.5-eksbuild\.2 is not for Kubernetes 1\.34"):
        ClusterConfig.model_validate(
            {"version": "1.34", "addonVersions": {"kubeProxy": "v1.33.5-eksbuild.2"}}
        )


def test_every_supported_control_plane_minor_has_a_cluster_autoscaler_of_that_minor() -> None:
    """Upstream runs Cluster Autoscaler at the control plane's minor; a stack may use any supported one."""
    standards = importlib.import_module("infra.standards")
    supported = importlib.import_module("infra.components.eks_config").SUPPORTED_EKS_VERSIONS
    tags = standards.CLUSTER_AUTOSCALER_IMAGE_TAGS
    assert set(tags) == set(supported)
    for minor, tag in tags.items():
        assert tag.startswith(f"v{minor}."), (minor, tag)
