"""Properties of the Network and EksCluster components, read from the offline plan of each stack."""

from __future__ import annotations

import importlib
import inspect
import json
from functools import cache
from typing import Any

from infra.standards import REQUIRED_TAGS
from offline_plan.aws_answers import EKS_UNSUPPORTED_ZONE_IDS, zone_named
from offline_plan.document import PlanDocument
from tests.conftest import by_urn, of_type

DR_COMPONENT = "memory-platform:dr:"  # DisasterRecovery (the data replicas) and DrRegion (the pilot light)
# EKS clusters per stack: production adds the DR region's pilot light, with the same hardening.
CLUSTERS = {"staging": 1, "production": 2}


def inputs_of(plan: PlanDocument, resource_type: str) -> list[dict[str, Any]]:
    return [resource["inputs"] for resource in of_type(plan, resource_type)]


def primary_inputs_of(plan: PlanDocument, resource_type: str) -> list[dict[str, Any]]:
    """Like `inputs_of`, leaving out the DR region's standby network (see test_data_tier.py)."""
    return [r["inputs"] for r in of_type(plan, resource_type) if DR_COMPONENT not in r["urn"]]


@cache
def is_taggable(resource_type: str) -> bool:
    package, middle, class_name = resource_type.split(":")
    if package != "aws":
        return False
    module = importlib.import_module(f"pulumi_aws.{middle.split('/')[0]}")
    return "tags" in inspect.signature(getattr(module, class_name)._internal_init).parameters


def test_production_spreads_nat_gateways_across_every_az(production_plan: PlanDocument) -> None:
    nats = primary_inputs_of(production_plan, "aws:ec2/natGateway:NatGateway")
    subnets = {r["urn"]: r for r in of_type(production_plan, "aws:ec2/subnet:Subnet")}
    assert len(nats) == 3
    nat_resources = [
        r for r in of_type(production_plan, "aws:ec2/natGateway:NatGateway") if DR_COMPONENT not in r["urn"]
    ]
    zones = {
        subnets[dep]["inputs"]["availabilityZone"]
        for nat in nat_resources
        for dep in nat["propertyDependencies"]["subnetId"]
    }
    # us-east-1c is use1-az3 in the plan's account, a zone EKS refuses: the network skips it.
    assert zones == {"us-east-1a", "us-east-1b", "us-east-1d"}


def test_staging_has_a_single_nat(staging_plan: PlanDocument) -> None:
    assert len(of_type(staging_plan, "aws:ec2/natGateway:NatGateway")) == 1
    routes = [r for r in inputs_of(staging_plan, "aws:ec2/route:Route") if "natGatewayId" in r]
    assert len(routes) == 2 and len({r["natGatewayId"] for r in routes}) == 1


def test_subnet_tiers_per_zone(stack_plan: PlanDocument) -> None:
    zones = 3 if stack_plan.stack == "production" else 2
    tiers = [s["tags"]["tier"] for s in primary_inputs_of(stack_plan, "aws:ec2/subnet:Subnet")]
    assert sorted(tiers) == sorted(["public", "private", "isolated"] * zones)
    for subnet in inputs_of(stack_plan, "aws:ec2/subnet:Subnet"):
        assert subnet["mapPublicIpOnLaunch"] is False
        role = {"public": "kubernetes.io/role/elb", "private": "kubernetes.io/role/internal-elb"}.get(
            subnet["tags"]["tier"]
        )
        if role:
            assert subnet["tags"][role] == "1"


def test_no_subnet_lands_in_a_zone_eks_refuses(stack_plan: PlanDocument) -> None:
    """Zone names map to zone IDs per account; the plan's account maps us-east-1c to use1-az3, which
    CreateCluster refuses. Every subnet of both regions (primary and DR) must sit in a zone EKS supports."""
    regions = {
        r["urn"]: r["inputs"].get("region")
        for r in stack_plan.resources
        if r["type"] == "pulumi:providers:aws"
    }
    default_region = next(region for urn, region in regions.items() if "::default" in urn)
    checked = 0
    for subnet in of_type(stack_plan, "aws:ec2/subnet:Subnet"):
        region = regions.get(subnet["provider"].rsplit("::", 1)[0]) or default_region
        zone = zone_named(region, subnet["inputs"]["availabilityZone"])
        assert zone is not None, subnet["urn"]
        assert zone.zone_id not in EKS_UNSUPPORTED_ZONE_IDS, f"{subnet['name']} is in {zone.zone_id}"
        checked += 1
    assert checked >= 6
    assert not [w for w in stack_plan.warnings if "EKS" in w and "zone" in w]


def test_isolated_subnets_have_no_internet_route(stack_plan: PlanDocument) -> None:
    resources = by_urn(stack_plan)
    isolated_tables = {
        resources[dep]["urn"]
        for assoc in of_type(stack_plan, "aws:ec2/routeTableAssociation:RouteTableAssociation")
        for dep in assoc["propertyDependencies"]["subnetId"]
        if resources[dep]["inputs"]["tags"]["tier"] == "isolated"
        for dep in assoc["propertyDependencies"]["routeTableId"]
    }
    assert len(isolated_tables) == (2 if stack_plan.stack == "production" else 1)  # + DR standby VPC
    routes_into = [
        route
        for route in of_type(stack_plan, "aws:ec2/route:Route")
        if set(route["propertyDependencies"]["routeTableId"]) & isolated_tables
    ]
    assert routes_into == []


def test_flow_logs_are_on_and_encrypted(stack_plan: PlanDocument) -> None:
    [flow_log] = primary_inputs_of(stack_plan, "aws:ec2/flowLog:FlowLog")
    assert flow_log["trafficType"] == "ALL"
    groups = {g["name"]: g for g in primary_inputs_of(stack_plan, "aws:cloudwatch/logGroup:LogGroup")}
    group = next(g for name, g in groups.items() if name.endswith("/flow-logs"))
    assert group["kmsKeyId"].startswith("arn:aws:kms:")
    assert group["retentionInDays"] == (365 if stack_plan.stack == "production" else 30)


def test_every_launch_template_requires_imdsv2_and_encrypts_its_root_volume(stack_plan: PlanDocument) -> None:
    templates = inputs_of(stack_plan, "aws:ec2/launchTemplate:LaunchTemplate")
    assert len(templates) == 3 + 2 * (CLUSTERS[stack_plan.stack] - 1)  # the DR pilot light has 2 pools
    for template in templates:
        metadata = template["metadataOptions"]
        assert metadata["httpTokens"] == "required"
        assert metadata["httpPutResponseHopLimit"] == 1
        [volume] = template["blockDeviceMappings"]
        assert volume["ebs"]["encrypted"] == "true"
        assert volume["ebs"]["volumeType"] == "gp3"
        assert volume["ebs"]["kmsKeyId"].startswith("arn:aws:kms:")


def test_node_group_sizes_come_from_the_stack_file(
    production_plan: PlanDocument, staging_plan: PlanDocument
) -> None:
    def sizes(plan: PlanDocument) -> dict[str, tuple[int, int, int, list[str]]]:
        return {
            g["nodeGroupNamePrefix"].removesuffix("-"): (
                g["scalingConfig"]["minSize"],
                g["scalingConfig"]["desiredSize"],
                g["scalingConfig"]["maxSize"],
                g["instanceTypes"],
            )
            for g in inputs_of(plan, "aws:eks/nodeGroup:NodeGroup")
        }

    assert sizes(production_plan) == {
        "application": (3, 3, 10, ["m5.xlarge"]),
        "ml-workload": (2, 2, 8, ["c5.2xlarge"]),
        "database": (3, 3, 3, ["r5.xlarge"]),
    }
    assert sizes(staging_plan)["application"] == (2, 2, 4, ["m5.large"])


def test_only_the_database_pool_is_tainted(stack_plan: PlanDocument) -> None:
    groups = {
        g["nodeGroupNamePrefix"].removesuffix("-"): g
        for g in inputs_of(stack_plan, "aws:eks/nodeGroup:NodeGroup")
    }
    assert groups["database"]["taints"] == [
        {"key": "dedicated", "value": "database", "effect": "NO_SCHEDULE"}
    ]
    assert not groups["application"].get("taints") and not groups["ml-workload"].get("taints")
    assert groups["database"]["labels"]["memory-platform.io/pool"] == "database"


def test_desired_size_is_left_to_the_autoscaler(stack_plan: PlanDocument) -> None:
    for group in of_type(stack_plan, "aws:eks/nodeGroup:NodeGroup"):
        assert "scalingConfig.desiredSize" in group["options"]["ignoreChanges"]


def test_secrets_are_encrypted_with_a_rotated_customer_key(stack_plan: PlanDocument) -> None:
    clusters = of_type(stack_plan, "aws:eks/cluster:Cluster")
    assert len(clusters) == CLUSTERS[stack_plan.stack]
    for cluster in clusters:
        [encryption] = (
            cluster["inputs"]["encryptionConfig"]
            if isinstance(cluster["inputs"]["encryptionConfig"], list)
            else [cluster["inputs"]["encryptionConfig"]]
        )
        assert encryption["resources"] == ["secrets"]
        key_urns = cluster["propertyDependencies"]["encryptionConfig"]
        keys = [by_urn(stack_plan)[urn] for urn in key_urns if "kms/key" in urn]
        assert keys and all(key["inputs"]["enableKeyRotation"] is True for key in keys)


def test_every_kms_key_rotates(stack_plan: PlanDocument) -> None:
    keys = inputs_of(stack_plan, "aws:kms/key:Key")
    assert keys and all(key["enableKeyRotation"] is True for key in keys)


def test_api_endpoint_is_private_and_audit_logged(stack_plan: PlanDocument) -> None:
    clusters = inputs_of(stack_plan, "aws:eks/cluster:Cluster")
    assert len(clusters) == CLUSTERS[stack_plan.stack]
    for cluster in clusters:
        assert cluster["vpcConfig"]["endpointPrivateAccess"] is True
        # public only for single addresses: the DR cluster admits the primary runner's NAT gateways
        public = cluster["vpcConfig"]["publicAccessCidrs"] or []
        assert cluster["vpcConfig"]["endpointPublicAccess"] is bool(public)
        assert all(cidr.endswith("/32") for cidr in public)
        assert bool(public) is cluster["name"].endswith("-dr")
        assert "audit" in cluster["enabledClusterLogTypes"]
        assert cluster["accessConfig"] == {
            "authenticationMode": "API",
            "bootstrapClusterCreatorAdminPermissions": False,
        }


def test_addons_are_ordered_around_the_node_groups(stack_plan: PlanDocument) -> None:
    clusters = of_type(stack_plan, "aws:eks/cluster:Cluster")
    assert len(clusters) == CLUSTERS[stack_plan.stack]
    for cluster in clusters:
        own = [a for a in of_type(stack_plan, "aws:eks/addon:Addon") if cluster["urn"] in a["dependencies"]]
        addons = {a["inputs"]["addonName"]: a for a in own}
        assert set(addons) == {"vpc-cni", "kube-proxy", "coredns", "aws-ebs-csi-driver"}
        pools = [
            g
            for g in of_type(stack_plan, "aws:eks/nodeGroup:NodeGroup")
            if cluster["urn"] in g["dependencies"]
        ]
        groups = {g["urn"] for g in pools}
        for name in ("coredns", "aws-ebs-csi-driver"):
            assert groups <= set(addons[name]["dependencies"]), f"{name} must wait for every node group"
        for group in pools:
            assert {addons["vpc-cni"]["urn"], addons["kube-proxy"]["urn"]} <= set(group["dependencies"])


def test_irsa_roles_trust_exactly_one_service_account(stack_plan: PlanDocument) -> None:
    irsa = [
        r
        for r in inputs_of(stack_plan, "aws:iam/role:Role")
        if "AssumeRoleWithWebIdentity" in r["assumeRolePolicy"]
    ]
    assert len(irsa) >= 2
    for role in irsa:
        [statement] = json.loads(role["assumeRolePolicy"])["Statement"]
        conditions = statement["Condition"]["StringEquals"]
        subjects = [value for key, value in conditions.items() if key.endswith(":sub")]
        assert len(subjects) == 1 and subjects[0].startswith("system:serviceaccount:")
        assert "*" not in subjects[0]


def test_every_kubernetes_object_uses_a_clusters_provider(stack_plan: PlanDocument) -> None:
    providers = [
        p for p in of_type(stack_plan, "pulumi:providers:kubernetes") if not p["options"].get("default")
    ]
    clusters = of_type(stack_plan, "aws:eks/cluster:Cluster")
    assert len(providers) == len(clusters) == CLUSTERS[stack_plan.stack]
    objects = [r for r in stack_plan.resources if r["type"].startswith("kubernetes:")]
    assert objects
    for obj in objects:
        assert obj["provider"].rsplit("::", 1)[0] in {p["urn"] for p in providers}, obj["urn"]
    cluster_urns = {c["urn"] for c in clusters}
    built_from = []
    for provider in providers:
        kubeconfig = json.loads(provider["inputs"]["kubeconfig"])
        assert kubeconfig["users"][0]["user"]["exec"]["command"] == "aws"
        built_from += [urn for urn in provider["propertyDependencies"]["kubeconfig"] if urn in cluster_urns]
    assert sorted(built_from) == sorted(cluster_urns)  # one provider per cluster


def test_default_storage_class_is_encrypted_gp3(stack_plan: PlanDocument) -> None:
    classes = [
        c
        for c in inputs_of(stack_plan, "kubernetes:storage.k8s.io/v1:StorageClass")
        if c["metadata"]["name"] == "gp3-encrypted"
    ]
    assert len(classes) == CLUSTERS[stack_plan.stack]  # one per cluster
    for storage_class in classes:
        assert (
            storage_class["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true"
        )
        assert storage_class["parameters"]["encrypted"] == "true"
        assert storage_class["parameters"]["type"] == "gp3"
        assert storage_class["parameters"]["kmsKeyId"].startswith("arn:aws:kms:")


def test_required_tags_are_on_every_taggable_aws_resource(stack_plan: PlanDocument) -> None:
    taggable = [r for r in stack_plan.resources if r["custom"] and is_taggable(r["type"])]
    assert len(taggable) > 30
    for resource in taggable:
        tags = resource["inputs"].get("tags") or {}
        missing = set(REQUIRED_TAGS) - set(tags)
        assert not missing, f"{resource['urn']} lacks tags {sorted(missing)}"
        assert tags["environment"] == stack_plan.stack
