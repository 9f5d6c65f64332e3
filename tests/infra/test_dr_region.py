"""The DR region's pilot light (`DrRegion`), read from the offline plan of each stack, and its config."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest

from infra.components._base import in_region
from offline_plan.document import PlanDocument
from tests.conftest import by_urn, of_type
from tests.infra.test_config import parse, problems_of, stack_values

DR_REGION = "us-west-2"
CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
STATEFULSET = "kubernetes:apps/v1:StatefulSet"
RELEASE = "kubernetes:helm.sh/v3:Release"
ARN = re.compile(r"arn:aws[a-z-]*:[a-z0-9-]+:(?P<region>[a-z0-9-]*):\d{12}:")


def aws_regions(plan: PlanDocument) -> dict[str, str]:
    """Provider reference -> region, for every AWS provider (the default one is the stack's region)."""
    regions = {}
    for provider in of_type(plan, "pulumi:providers:aws"):
        regions[f"{provider['urn']}::{provider['id']}"] = provider["inputs"]["region"]
    return regions


def dr_cluster(plan: PlanDocument) -> dict[str, Any]:
    regions = aws_regions(plan)
    [cluster] = [c for c in of_type(plan, CLUSTER) if regions[c["provider"]] == DR_REGION]
    return cluster


def in_cluster(plan: PlanDocument, cluster: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    """The Kubernetes resources of `resource_type` deployed through the provider built from `cluster`."""
    providers = {
        f"{p['urn']}::{p['id']}"
        for p in of_type(plan, "pulumi:providers:kubernetes")
        if cluster["urn"] in p["propertyDependencies"].get("kubeconfig", [])
    }
    assert len(providers) == 1
    return [r for r in of_type(plan, resource_type) if r["provider"] in providers]


@pytest.fixture
def production() -> dict[str, Any]:
    return copy.deepcopy(stack_values("production")[0])


def test_production_has_an_eks_cluster_in_the_dr_region(production_plan: PlanDocument) -> None:
    regions = aws_regions(production_plan)
    cluster = dr_cluster(production_plan)
    resources = by_urn(production_plan)
    subnets = [
        resources[urn]
        for urn in cluster["propertyDependencies"]["vpcConfig"]
        if resources[urn]["type"] == "aws:ec2/subnet:Subnet"
    ]
    assert subnets and all(regions[s["provider"]] == DR_REGION for s in subnets)
    assert {s["inputs"]["cidrBlock"].split(".")[1] for s in subnets} == {"30"}  # dr.vpcCidr 10.30.0.0/16
    pools = [g for g in of_type(production_plan, NODE_GROUP) if cluster["urn"] in g["dependencies"]]
    assert sorted(g["inputs"]["scalingConfig"]["minSize"] for g in pools) == [1, 1]
    # The DR nodes pull images: the DR VPC has a NAT gateway now.
    nat = [
        n
        for n in of_type(production_plan, "aws:ec2/natGateway:NatGateway")
        if regions[n["provider"]] == DR_REGION
    ]
    assert len(nat) == 1


def test_both_runners_reach_the_dr_cluster(production_plan: PlanDocument) -> None:
    """The release job's `pulumi up` runs in the primary VPC and deploys both regions: the DR endpoint
    admits exactly the primary VPC's NAT addresses; the DR VPC's own runner uses the private endpoint."""
    regions = aws_regions(production_plan)
    cluster = dr_cluster(production_plan)
    vpc = cluster["inputs"]["vpcConfig"]
    assert vpc["endpointPrivateAccess"] is True and vpc["endpointPublicAccess"] is True
    primary_nat = {
        e["urn"] for e in of_type(production_plan, "aws:ec2/eip:Eip") if regions[e["provider"]] != DR_REGION
    }
    assert len(primary_nat) == 3
    assert len(vpc["publicAccessCidrs"]) == 3 and all(
        cidr.endswith("/32") for cidr in vpc["publicAccessCidrs"]
    )
    assert primary_nat <= set(cluster["propertyDependencies"]["vpcConfig"])
    [runner] = [
        p
        for p in of_type(production_plan, "aws:codebuild/project:Project")
        if sorted(p["inputs"]["vpcConfig"]["subnets"]) == sorted(vpc["subnetIds"])
    ]
    assert regions[runner["provider"]] == DR_REGION
    assert runner["inputs"]["source"]["auth"]["resource"].startswith(f"arn:aws:codeconnections:{DR_REGION}:")


def test_dr_cluster_runs_the_load_balancer_controller_and_an_alb_ingress(
    production_plan: PlanDocument,
) -> None:
    cluster = dr_cluster(production_plan)
    [controller] = [
        r
        for r in in_cluster(production_plan, cluster, RELEASE)
        if r["inputs"]["chart"] == "aws-load-balancer-controller"
    ]
    assert controller["inputs"]["values"]["region"] == DR_REGION
    assert controller["inputs"]["values"]["clusterName"] == cluster["inputs"]["name"]
    [ingress] = in_cluster(production_plan, cluster, "kubernetes:networking.k8s.io/v1:Ingress")
    annotations = ingress["inputs"]["metadata"]["annotations"]
    assert ingress["inputs"]["spec"]["ingressClassName"] == "alb"
    assert f":acm:{DR_REGION}:" in annotations["alb.ingress.kubernetes.io/certificate-arn"]
    assert ingress["inputs"]["spec"]["rules"][0]["host"] == "api.memory.example.com"
    # ...and its own regional name, which Route 53 health-checks (FailoverDns).
    assert ingress["inputs"]["spec"]["rules"][1]["host"] == f"api-{DR_REGION}.memory.example.com"


def test_dr_workloads_run_at_the_pilot_light_sizes_and_failover_owns_them(
    production_plan: PlanDocument,
) -> None:
    cluster = dr_cluster(production_plan)
    [api] = in_cluster(production_plan, cluster, DEPLOYMENT)
    [qdrant] = in_cluster(production_plan, cluster, STATEFULSET)
    assert (api["inputs"]["spec"]["replicas"], qdrant["inputs"]["spec"]["replicas"]) == (0, 1)
    # `platform-ops dr failover` scales them; the next `pulumi up` must not scale them back.
    assert "spec.replicas" in api["options"]["ignoreChanges"]
    assert "spec.replicas" in qdrant["options"]["ignoreChanges"]
    # Qdrant is configured for the size it is scaled to (distributed mode with 3 peers).
    [config_map] = [
        c
        for c in in_cluster(production_plan, cluster, "kubernetes:core/v1:ConfigMap")
        if c["inputs"]["metadata"]["name"] == "qdrant-config"
    ]
    assert json.loads(config_map["inputs"]["data"]["production.yaml"])["cluster"]["enabled"] is True
    # The HPA waits at the failover size: it is idle while its Deployment has 0 replicas.
    [hpa] = in_cluster(production_plan, cluster, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler")
    assert hpa["inputs"]["spec"]["minReplicas"] == 3
    dr = production_plan.outputs["disasterRecovery"]
    assert (dr["drApiReplicas"], dr["drQdrantReplicas"]) == (3, 3)
    assert (dr["apiNamespace"], dr["apiDeployment"]) == (api["inputs"]["metadata"]["namespace"], "memory-api")
    assert (dr["qdrantNamespace"], dr["qdrantStatefulSet"]) == ("qdrant", "qdrant")
    assert dr["drClusterName"] == cluster["inputs"]["name"] != dr["primaryClusterName"]


def test_dr_cluster_has_no_prometheus_operator_objects(production_plan: PlanDocument) -> None:
    cluster = dr_cluster(production_plan)
    custom = in_cluster(production_plan, cluster, "kubernetes:monitoring.coreos.com/v1:ServiceMonitor")
    custom += [
        r
        for r in in_cluster(production_plan, cluster, "kubernetes:apiextensions.k8s.io:CustomResource")
        if "monitoring.coreos.com" in str(r["inputs"].get("apiVersion"))
    ]
    assert custom == []
    assert in_cluster(production_plan, cluster, "kubernetes:networking.k8s.io/v1:NetworkPolicy")
    namespaces = in_cluster(production_plan, cluster, "kubernetes:core/v1:Namespace")
    assert {n["inputs"]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] for n in namespaces} == {
        "restricted"
    }


def test_dr_database_admits_the_dr_cluster(production_plan: PlanDocument) -> None:
    cluster = dr_cluster(production_plan)
    resources = by_urn(production_plan)
    [secondary] = [
        c for c in of_type(production_plan, "aws:rds/cluster:Cluster") if c["name"].endswith("-dr")
    ]
    [group_urn] = secondary["propertyDependencies"]["vpcSecurityGroupIds"]
    rules = [
        r
        for r in of_type(production_plan, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r["propertyDependencies"].get("securityGroupId") == [group_urn]
    ]
    assert len(rules) == 1
    assert cluster["urn"] in rules[0]["propertyDependencies"]["referencedSecurityGroupId"]
    assert (rules[0]["inputs"]["fromPort"], rules[0]["inputs"]["toPort"]) == (5432, 5432)
    assert (
        aws_regions(production_plan)[rules[0]["provider"]]
        == DR_REGION
        == aws_regions(production_plan)[resources[group_urn]["provider"]]
    )


def test_dr_pods_read_only_dr_region_arns(production_plan: PlanDocument) -> None:
    cluster = dr_cluster(production_plan)
    [api] = in_cluster(production_plan, cluster, DEPLOYMENT)
    [container] = api["inputs"]["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    arns = [str(v) for v in env.values() if ARN.search(str(v))]
    assert len(arns) == 2 and all(ARN.search(arn)["region"] == DR_REGION for arn in arns)  # type: ignore[index]
    assert env["MEMORY_API_DATABASE_HOST"].endswith(".global.rds.amazonaws.com")  # the global writer
    assert f".dkr.ecr.{DR_REGION}." in container["image"]
    assert "MEMORY_API_OTLP_ENDPOINT" not in env  # no collector in the pilot light
    roles = [
        r
        for r in of_type(production_plan, "aws:iam/rolePolicy:RolePolicy")
        if env["MEMORY_API_DATABASE_SECRET_ARN"] in r["inputs"]["policy"]
    ]
    assert len(roles) == 1
    for statement in json.loads(roles[0]["inputs"]["policy"])["Statement"]:
        resources = (
            statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        )
        assert all(ARN.search(arn)["region"] == DR_REGION for arn in resources)  # type: ignore[index]


def test_staging_has_no_dr_compute(staging_plan: PlanDocument) -> None:
    assert len(of_type(staging_plan, CLUSTER)) == 1
    assert len(of_type(staging_plan, "pulumi:providers:kubernetes")) == 1
    assert [r for r in staging_plan.resources if ":dr:" in r["type"]] == []


def test_the_dr_region_arn_of_a_primary_one() -> None:
    primary = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!cluster-abc-a1B2c3"
    assert (
        in_region(primary, DR_REGION)
        == "arn:aws:secretsmanager:us-west-2:123456789012:secret:rds!cluster-abc-a1B2c3"
    )
    with pytest.raises(ValueError, match="not a regional ARN"):
        in_region("arn:aws:iam::123456789012:role/x", DR_REGION)


def test_production_turns_dr_compute_on_with_nat() -> None:
    production = parse(*stack_values("production"))
    assert production.dr.compute.enabled and production.dr.nat_strategy == "single"
    assert not parse(*stack_values("staging")).dr.compute.enabled


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda dr: dr.update(natStrategy="none"), "dr.natStrategy is 'none' but dr.compute.enabled"),
        (lambda dr: dr["compute"].update(apiReplicas=1), "apiReplicas is 1, but the DR HPA's minReplicas is"),
        (lambda dr: dr["compute"]["nodePools"].pop(), "including application, database"),
        (
            lambda dr: dr["compute"].update(
                certificateArn="arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-4000-8000-000000000002"
            ),
            "certificateArn is in us-east-1; it must be in us-west-2",
        ),
        (lambda dr: dr["compute"].pop("certificateArn"), "dr.compute.certificateArn is required"),
        (lambda dr: dr["compute"].pop("ciRunnerConnectionArn"), "ciRunnerConnectionArn is required"),
        (lambda dr: dr["compute"]["nodePools"][1].update(maxNodes=2), "below qdrant.replicas (3)"),
    ],
)
def test_bad_dr_compute_settings_get_one_clear_message(
    production: dict[str, Any], change: Any, expected: str
) -> None:
    change(production["dr"])
    [problem] = problems_of(production)
    assert problem.startswith(("memory-platform:dr", "memory-platform:(stack): dr.")) and expected in problem
