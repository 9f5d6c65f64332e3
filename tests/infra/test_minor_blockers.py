"""Issue 14's minor items, read from each stack's plan: flow-log trust, retained Qdrant volumes, a SPOT
pool that survives one type's shortage, and a production cluster that is hard to lose."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from infra.components.eks_nodes import NodePool
from offline_plan.document import PlanDocument
from tests.conftest import of_type

ROOT = Path(__file__).resolve().parents[2]


def test_only_this_accounts_flow_logs_may_assume_the_flow_log_role(stack_plan: PlanDocument) -> None:
    roles = {
        r["urn"]: r
        for r in of_type(stack_plan, "aws:iam/role:Role")
        if "vpc-flow-logs.amazonaws.com" in r["inputs"]["assumeRolePolicy"]
    }
    flow_logs = of_type(stack_plan, "aws:ec2/flowLog:FlowLog")
    assert flow_logs and roles
    for flow_log in flow_logs:
        assert set(flow_log["dependencies"]) & set(roles), "each flow log publishes with such a role"
    for role in roles.values():
        (statement,) = json.loads(role["inputs"]["assumeRolePolicy"])["Statement"]
        account = statement["Condition"]["StringEquals"]["aws:SourceAccount"]
        assert re.fullmatch(r"\d{12}", account)
        source = statement["Condition"]["ArnLike"]["aws:SourceArn"]
        assert re.fullmatch(rf"arn:aws[a-z-]*:ec2:[a-z0-9-]+:{account}:vpc-flow-log/\*", source), source


def test_qdrant_volumes_outlive_their_claims(stack_plan: PlanDocument) -> None:
    clusters = {c["provider"] for c in of_type(stack_plan, "kubernetes:storage.k8s.io/v1:StorageClass")}
    assert len(clusters) == len(of_type(stack_plan, "aws:eks/cluster:Cluster"))
    for cluster in clusters:  # each cluster (the DR region's too) has its own classes
        in_cluster = [
            c
            for c in of_type(stack_plan, "kubernetes:storage.k8s.io/v1:StorageClass")
            if c["provider"] == cluster
        ]
        classes = {c["inputs"]["metadata"]["name"]: c["inputs"]["reclaimPolicy"] for c in in_cluster}
        (qdrant,) = [
            s
            for s in of_type(stack_plan, "kubernetes:apps/v1:StatefulSet")
            if s["inputs"]["metadata"]["name"] == "qdrant" and s["provider"] == cluster
        ]
        claims = qdrant["inputs"]["spec"]["volumeClaimTemplates"]
        assert claims
        for claim in claims:
            assert classes[claim["spec"]["storageClassName"]] == "Retain", claim["metadata"]["name"]
        defaults = [
            c
            for c in in_cluster
            if (c["inputs"]["metadata"].get("annotations") or {}).get(
                "storageclass.kubernetes.io/is-default-class"
            )
        ]
        assert len(defaults) == 1, "exactly one default StorageClass"


def test_every_spot_pool_can_launch_more_than_one_instance_type(stack_plan: PlanDocument) -> None:
    spot = [
        g for g in of_type(stack_plan, "aws:eks/nodeGroup:NodeGroup") if g["inputs"]["capacityType"] == "SPOT"
    ]
    if stack_plan.stack == "staging":
        assert spot, "staging runs its ML pool on Spot"
    for group in spot:
        assert len(set(group["inputs"]["instanceTypes"])) > 1, group["name"]


def test_a_spot_pool_with_one_instance_type_is_refused() -> None:
    with pytest.raises(ValueError, match="spotAlternatives"):
        NodePool(name="ml", instance_type="c5.xlarge", min_nodes=1, max_nodes=2, capacity_type="SPOT")


def test_the_cluster_protection_settings_come_from_the_stack_file(stack_plan: PlanDocument) -> None:
    stack_file = yaml.safe_load((ROOT / f"Pulumi.{stack_plan.stack}.yaml").read_text())
    settings = stack_file["config"]["memory-platform:cluster"]
    for cluster in of_type(stack_plan, "aws:eks/cluster:Cluster"):  # the DR region's pilot light reuses them
        assert cluster["inputs"]["deletionProtection"] is settings["deletionProtection"]
        assert cluster["inputs"]["upgradePolicy"]["supportType"] == settings.get(
            "upgradeSupportType", "STANDARD"
        )
    for group in of_type(stack_plan, "aws:eks/nodeGroup:NodeGroup"):
        assert group["inputs"]["nodeRepairConfig"]["enabled"] is settings["nodeAutoRepair"], group["name"]
    if stack_plan.stack == "production":
        assert settings["deletionProtection"] is True
        assert settings["nodeAutoRepair"] is True
