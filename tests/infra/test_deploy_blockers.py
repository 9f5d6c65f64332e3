"""Deploy blockers of issue 14, read from each stack's offline plan: what `pulumi up` would be refused."""

from __future__ import annotations

import hashlib
import importlib
import json
import tarfile
from pathlib import Path
from typing import Any

import yaml

from offline_plan.document import PlanDocument
from tests.conftest import by_urn, of_type

CHARTS = Path(__file__).resolve().parents[3] / "shared" / "charts"
SERVICE_LINKED_ROLE = "aws:iam/serviceLinkedRole:ServiceLinkedRole"


def _aws_principals(policy: str) -> set[str]:
    found: set[str] = set()
    for statement in json.loads(policy)["Statement"]:
        principal = statement.get("Principal", {}).get("AWS", [])
        found.update([principal] if isinstance(principal, str) else principal)
    return found


def test_kms_keys_name_the_autoscaling_role_only_after_creating_it(stack_plan: PlanDocument) -> None:
    """KMS refuses a key policy whose principal does not exist: the role is created before the key."""
    resources = by_urn(stack_plan)
    naming = [
        key
        for key in of_type(stack_plan, "aws:kms/key:Key")
        if any("/AWSServiceRoleForAutoScaling" in p for p in _aws_principals(key["inputs"]["policy"]))
    ]
    assert naming, "the EBS key lets EC2 Auto Scaling (managed node groups) use it"
    assert len(of_type(stack_plan, SERVICE_LINKED_ROLE)) == 1  # account-wide: one per stack, every cluster
    for key in naming:
        # directly, or through the key of the cluster that creates it (the DR region's pilot light)
        after, seen = list(key["dependencies"]), set()
        while after:
            urn = after.pop()
            if urn not in seen:
                seen.add(urn)
                after += resources[urn]["dependencies"] if resources[urn]["type"] == "aws:kms/key:Key" else []
        roles = [resources[urn] for urn in seen if resources[urn]["type"] == SERVICE_LINKED_ROLE]
        assert [r["inputs"]["awsServiceName"] for r in roles] == ["autoscaling.amazonaws.com"], key["urn"]
        assert roles[0]["options"]["retainOnDelete"] is True  # account-wide: a destroy must not remove it


def _lb_controller_policy(plan: PlanDocument) -> dict[str, Any]:
    """The load balancer controller's policy, the same in every cluster (the DR region's too)."""
    roles = [r for r in of_type(plan, "aws:iam/role:Role") if r["name"].endswith("-lb-controller")]
    documents = [
        json.loads(policy["inputs"]["policy"])
        for policy in of_type(plan, "aws:iam/rolePolicy:RolePolicy")
        if {role["urn"] for role in roles} & set(policy["propertyDependencies"].get("role", []))
    ]
    assert len(documents) == len(roles) == len(of_type(plan, "aws:eks/cluster:Cluster"))
    assert all(document == documents[0] for document in documents)
    document: dict[str, Any] = documents[0]
    return document


def test_load_balancer_controller_policy_is_upstreams_at_the_pinned_controller_version(
    stack_plan: PlanDocument,
) -> None:
    addons = importlib.import_module("infra.components.cluster_addons")
    upstream = getattr(addons, "LOAD_BALANCER_CONTROLLER_POLICY", None)
    assert upstream is not None, "the controller's policy must be upstream's iam_policy.json, kept as data"
    chart = importlib.import_module("infra.standards").AWS_LOAD_BALANCER_CONTROLLER
    with tarfile.open(CHARTS / f"{chart.name}-{chart.version}.tgz") as archive:
        member = archive.extractfile(f"{chart.name}/Chart.yaml")
        assert member is not None
        app_version = yaml.safe_load(member.read())["appVersion"]
    assert upstream.version == chart.app_version == app_version
    assert upstream.source.endswith(
        f"/aws-load-balancer-controller/{app_version}/docs/install/iam_policy.json"
    )
    text = upstream.path.read_text()
    assert hashlib.sha256(text.encode()).hexdigest() == upstream.sha256, "the data file is not upstream's"
    assert _lb_controller_policy(stack_plan) == json.loads(text)


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def test_load_balancer_controller_cannot_adopt_untagged_load_balancers(stack_plan: PlanDocument) -> None:
    statements = _lb_controller_policy(stack_plan)["Statement"]
    assert "elasticloadbalancing:SetRulePriorities" in {a for s in statements for a in _listed(s["Action"])}
    tagging = [
        s
        for s in statements
        if {"elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"} & set(_listed(s["Action"]))
    ]
    assert tagging
    for statement in tagging:
        # Load balancers and target groups only if the controller tagged them; listeners and rules
        # carry no cluster tag, so upstream leaves those unconditioned.
        listeners_only = all(":listener" in resource for resource in _listed(statement["Resource"]))
        assert "Condition" in statement or listeners_only, statement


def test_vpc_cni_enforces_network_policies(stack_plan: PlanDocument) -> None:
    cnis = [a for a in of_type(stack_plan, "aws:eks/addon:Addon") if a["inputs"]["addonName"] == "vpc-cni"]
    assert len(cnis) == len(of_type(stack_plan, "aws:eks/cluster:Cluster"))
    for cni in cnis:
        values = json.loads(cni["inputs"].get("configurationValues") or "{}")
        assert values.get("enableNetworkPolicy") == "true"  # the managed add-on's key; a string (EKS docs)


def test_node_groups_can_be_replaced_without_a_name_clash(stack_plan: PlanDocument) -> None:
    groups = of_type(stack_plan, "aws:eks/nodeGroup:NodeGroup")
    assert groups
    for group in groups:
        assert "nodeGroupName" not in group["inputs"], group["urn"]
        assert group["inputs"]["nodeGroupNamePrefix"].endswith("-")


CLUSTER = "aws:eks/cluster:Cluster"
GRANT_TYPES = {"aws:iam/rolePolicy:RolePolicy", "aws:iam/rolePolicyAttachment:RolePolicyAttachment"}


def test_node_groups_and_addons_wait_for_their_roles_permissions(stack_plan: PlanDocument) -> None:
    """Creating a node group or add-on before its role's policies are attached fails (nodes never join)."""
    grants: dict[str, set[str]] = {}
    for grant in stack_plan.resources:
        if grant["type"] in GRANT_TYPES:
            for role in grant["propertyDependencies"].get("role", []):
                grants.setdefault(role, set()).add(grant["urn"])
    users = [
        (resource, prop)
        for resource_type, prop in (
            ("aws:eks/nodeGroup:NodeGroup", "nodeRoleArn"),
            ("aws:eks/addon:Addon", "serviceAccountRoleArn"),
        )
        for resource in of_type(stack_plan, resource_type)
        if resource["propertyDependencies"].get(prop)
    ]
    assert len(users) >= 3  # the pools, vpc-cni and the EBS CSI driver
    for resource, prop in users:
        for role in resource["propertyDependencies"][prop]:
            assert grants.get(role), role
            missing = grants[role] - set(resource["dependencies"])
            assert not missing, f"{resource['urn']} does not wait for {sorted(missing)}"


ROOT = Path(__file__).resolve().parents[2]
VIEW = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminViewPolicy"
ADMIN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"


def test_access_entries_are_the_stack_files_roles_named_after_each_role(stack_plan: PlanDocument) -> None:
    """Whoever runs Pulumi is not an entry (every preview by another identity planned a replacement)."""
    cluster = yaml.safe_load((ROOT / f"Pulumi.{stack_plan.stack}.yaml").read_text())["config"][
        "memory-platform:cluster"
    ]
    admins, viewers = cluster.get("adminRoleArns", []), cluster.get("readOnlyRoleArns", [])
    expected = dict.fromkeys(admins, ADMIN) | dict.fromkeys(viewers, VIEW)
    entries = {e["inputs"]["principalArn"]: e for e in of_type(stack_plan, "aws:eks/accessEntry:AccessEntry")}
    assert set(entries) == set(expected), "access entries are exactly the stack file's roles"
    assert viewers, "the preview/drift role reads the cluster"
    granted = {
        a["inputs"]["principalArn"]: a["inputs"]["policyArn"]
        for a in of_type(stack_plan, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    }
    assert granted == expected
    for arn, entry in entries.items():
        assert entry["name"] == f"memory-{stack_plan.stack}-access-{arn.rsplit('/', 1)[-1].lower()}"


def test_access_entry_names_do_not_depend_on_list_order() -> None:
    cluster = importlib.import_module("infra.components.eks_config").ClusterConfig
    admins = ["arn:aws:iam::123456789012:role/Deploy", "arn:aws:iam::123456789012:role/BreakGlass"]
    viewer = ["arn:aws:iam::123456789012:role/Preview"]
    one = cluster(admin_role_arns=admins, read_only_role_arns=viewer).access_entries()
    other = cluster(admin_role_arns=admins[::-1], read_only_role_arns=viewer).access_entries()
    assert one == other and set(one) == {"deploy", "breakglass", "preview"}


def test_kubernetes_objects_wait_for_nodes_dns_and_the_volume_driver(stack_plan: PlanDocument) -> None:
    """Every Kubernetes object (releases and StatefulSets included) is ordered after the node groups,
    CoreDNS and the EBS CSI driver, and so is deleted before them."""
    resources = by_urn(stack_plan)
    objects = [r for r in stack_plan.resources if r["type"].startswith("kubernetes:")]
    assert any(r["type"] == "kubernetes:apps/v1:StatefulSet" for r in objects)
    assert any(r["type"] == "kubernetes:helm.sh/v3:Release" for r in objects)
    for obj in objects:
        provider = resources[obj["provider"].rsplit("::", 1)[0]]
        [cluster] = [
            urn for urn in provider["propertyDependencies"]["kubeconfig"] if resources[urn]["type"] == CLUSTER
        ]
        addons = {
            a["inputs"]["addonName"]: a["urn"]
            for a in of_type(stack_plan, "aws:eks/addon:Addon")
            if cluster in a["dependencies"]
        }
        needed = {
            g["urn"]
            for g in of_type(stack_plan, "aws:eks/nodeGroup:NodeGroup")
            if cluster in g["dependencies"]
        }
        needed |= {addons["coredns"], addons["aws-ebs-csi-driver"]}
        missing = needed - set(provider["dependencies"]) - set(obj["dependencies"])
        assert not missing, f"{obj['urn']} may start before {sorted(missing)}"


def test_the_api_ingress_is_deleted_before_the_load_balancer_controller(stack_plan: PlanDocument) -> None:
    controllers = {
        r["provider"]: r["urn"]
        for r in of_type(stack_plan, "kubernetes:helm.sh/v3:Release")
        if r["inputs"]["chart"] == "aws-load-balancer-controller"
    }
    ingresses = of_type(stack_plan, "kubernetes:networking.k8s.io/v1:Ingress")
    assert ingresses
    for ingress in ingresses:  # each waits for its own cluster's controller
        assert controllers[ingress["provider"]] in ingress["dependencies"], ingress["urn"]
