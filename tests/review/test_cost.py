"""The monthly estimate prices what the plan records, from the dated price table, and hides nothing."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from review.cost import HELM_RELEASE, PRICES_PATH, PriceTableError, monthly_estimate
from review.plan import region_of
from tests.conftest import ROOT, of_type
from tests.review.conftest import resource

PRICES = json.loads(PRICES_PATH.read_text())
HOURS = PRICES["hoursPerMonth"]


def test_price_table_is_dated_sourced_and_covers_every_stack_region() -> None:
    assert PRICES["asOf"] and PRICES["sources"]["ec2"].startswith("https://aws.amazon.com/")
    assert {"us-east-1", "us-west-2", "eu-west-1"} <= set(PRICES["regions"])
    for assumption in PRICES["assumptions"].values():
        assert assumption["unit"] and assumption["why"]


def test_production_node_groups_cost_instance_price_times_desired_size(production_plan: Any) -> None:
    estimate = monthly_estimate(production_plan.resources)
    by_urn = {r["urn"]: r for r in production_plan.resources}
    groups = of_type(production_plan, "aws:eks/nodeGroup:NodeGroup")
    assert {region_of(g, by_urn, "us-east-1") for g in groups} == {"us-east-1", "us-west-2"}  # and DR
    expected = sum(
        PRICES["regions"][region_of(group, by_urn, "us-east-1")]["ec2OnDemandHourly"][
            group["inputs"]["instanceTypes"][0]
        ]
        * group["inputs"]["scalingConfig"]["desiredSize"]
        * HOURS
        for group in groups
    )
    ec2 = sum(line.monthly_usd for line in estimate.lines if line.item.startswith("EC2 "))
    assert ec2 == pytest.approx(expected)
    # Only the DR region's CI runner is unpriced: CodeBuild rates are transcribed for us-east-1 only.
    assert [u.urn for u in estimate.unpriced if ":codebuild/project:" not in u.urn] == []
    assert any(name.startswith("EksCluster") for name in estimate.by_component)
    assert sum(estimate.by_component.values()) == pytest.approx(estimate.total_usd, abs=0.01)


def test_production_counts_one_nat_gateway_per_az_and_root_volumes_from_launch_templates(
    production_plan: Any,
) -> None:
    estimate = monthly_estimate(production_plan.resources)
    nat_hours = [line for line in estimate.lines if line.item == "NAT gateway"]
    assert sorted(line.region for line in nat_hours) == ["us-east-1"] * 3 + ["us-west-2"]  # + the DR VPC's
    database_roots = next(
        line
        for line in estimate.lines
        if line.urn.endswith("memory-production-database") and "root" in line.item
    )
    assert database_roots.quantity == 3 * 100  # 3 nodes x 100 GiB from the launch template


def test_staging_spot_pool_is_discounted_and_priced_in_eu_west_1(staging_plan: Any) -> None:
    estimate = monthly_estimate(staging_plan.resources)
    spot = next(line for line in estimate.lines if "SPOT" in line.item)
    on_demand = PRICES["regions"]["eu-west-1"]["ec2OnDemandHourly"]["c5.xlarge"]
    assert spot.region == "eu-west-1"
    assert spot.unit_price_usd == pytest.approx(
        on_demand * (1 - PRICES["assumptions"]["spotDiscount"]["value"])
    )
    assert "spotDiscount" in estimate.assumptions_used


def test_data_tier_types_are_priced_from_their_inputs(data_tier: list[dict[str, Any]]) -> None:
    estimate = monthly_estimate(data_tier)
    items = {line.item: line for line in estimate.lines}
    east = PRICES["regions"]["us-east-1"]
    assert items["ElastiCache cache.r6g.large x2"].monthly_usd == pytest.approx(
        2 * east["elasticacheNodeHourly"]["cache.r6g.large"] * HOURS
    )
    volume = items["EBS gp3 volumeClaimTemplate storage 100Gi x3"]
    assert volume.quantity == pytest.approx(300)
    assert items["EBS gp3 PVC 20Gi"].quantity == pytest.approx(20)
    aurora = [line for line in estimate.lines if line.item == "Aurora db.r6g.large"]
    assert sorted(line.region for line in aurora) == ["us-east-1", "us-west-2"]
    assert any(line.item == "inter-region traffic to us-west-2" for line in estimate.lines)
    for item in (
        "S3 Standard storage",
        "AWS Backup warm storage",
        "Route 53 hosted zone",
        "Route 53 health check",
    ):
        assert items[item].monthly_usd > 0
    assert not estimate.unpriced


def test_production_prices_the_prometheus_and_alertmanager_volumes_its_helm_values_request(
    production_plan: Any,
) -> None:
    """The chart creates these claims in the cluster, so no PVC is recorded; the stack file sizes them."""
    observability = yaml.safe_load((ROOT / "Pulumi.production.yaml").read_text())["config"][
        "memory-platform:observability"
    ]
    estimate = monthly_estimate(production_plan.resources)
    from_values = {line.item: line for line in estimate.lines if line.item.endswith("(values)")}
    replicas, gib = observability["prometheusReplicas"], observability["prometheusStorageGib"]
    prometheus = from_values[f"EBS gp3 prometheus {replicas} x {gib} GiB (values)"]
    assert prometheus.quantity == replicas * gib == 400
    assert prometheus.monthly_usd == pytest.approx(400 * PRICES["regions"]["us-east-1"]["ebsGp3PerGBMonth"])
    assert prometheus.component.startswith("Observability")
    assert any(item.startswith("EBS gp3 alertmanager ") for item in from_values)
    assert estimate.by_component[prometheus.component] > prometheus.monthly_usd


EAST = resource("pulumi:providers:aws", "default", {"region": "us-east-1"}, parent=None)


def release(chart: str, values: Any) -> dict[str, Any]:
    return resource(HELM_RELEASE, f"memory-{chart}", {"chart": chart, "values": values})


def test_a_release_whose_values_request_no_storage_adds_nothing() -> None:
    releases = [
        release("kube-prometheus-stack", {"prometheus": {"prometheusSpec": {"replicas": 2}}}),
        release("kube-prometheus-stack", {"grafana": {"persistence": {"size": "10Gi"}}}),  # not enabled
        release("loki", {"singleBinary": {"replicas": 0, "persistence": {"size": "50Gi"}}}),
        release("jaeger", {"storage": {"type": "memory"}}),
    ]
    estimate = monthly_estimate([EAST, *releases])
    assert not [line for line in estimate.lines if line.urn != "(data transfer)"]
    assert not estimate.unpriced


def test_chart_default_replicas_multiply_a_size_the_values_state() -> None:
    loki = release("loki", {"deploymentMode": "SimpleScalable", "write": {"persistence": {"size": "20Gi"}}})
    (line,) = [line for line in monthly_estimate([EAST, loki]).lines if line.urn == loki["urn"]]
    assert (line.item, line.quantity) == ("EBS gp3 loki write 3 x 20 GiB (values)", 60)


def test_release_values_recorded_as_secret_are_listed_as_unpriced_not_free() -> None:
    stack = release("kube-prometheus-stack", "[secret]")
    estimate = monthly_estimate([EAST, stack])
    assert [(item.urn, item.item) for item in estimate.unpriced] == [
        (stack["urn"], "volumes requested in Helm values")
    ]


def test_unknown_instance_type_is_listed_as_unpriced_not_free() -> None:
    provider = resource("pulumi:providers:aws", "default", {"region": "us-east-1"}, parent=None)
    group = resource(
        "aws:eks/nodeGroup:NodeGroup",
        "gpu",
        {"instanceTypes": ["p5.48xlarge"], "scalingConfig": {"desiredSize": 1}},
        provider=f"{provider['urn']}::id",
    )
    estimate = monthly_estimate([provider, group])
    assert [item.item for item in estimate.unpriced] == ["EC2 p5.48xlarge x1 (ON_DEMAND)"]
    assert "p5.48xlarge" in estimate.unpriced[0].reason
    assert not any(line.item.startswith("EC2 ") for line in estimate.lines)


def test_region_missing_from_the_table_names_the_region_and_the_fix() -> None:
    provider = resource("pulumi:providers:aws", "default", {"region": "ap-south-2"}, parent=None)
    cluster = resource("aws:eks/cluster:Cluster", "c", provider=f"{provider['urn']}::id")
    with pytest.raises(PriceTableError, match=r"no region 'ap-south-2'.*add that region"):
        monthly_estimate([provider, cluster])


def test_policy_pack_resources_give_the_same_estimate_as_plan_records(
    data_tier: list[dict[str, Any]],
) -> None:
    """A stack policy receives PolicyResource objects (resource_type, props, provider objects, parents)."""
    objects: dict[str, SimpleNamespace] = {}
    for record in data_tier:
        provider_urn = record["provider"].rpartition("::")[0] if record["provider"] else None
        objects[record["urn"]] = SimpleNamespace(
            urn=record["urn"],
            name=record["name"],
            resource_type=record["type"],
            props=record["inputs"],
            provider=objects.get(provider_urn) if provider_urn else objects.get(data_tier[1]["urn"]),
            parent=objects.get(record["parent"]) if record["parent"] else None,
            dependencies=[objects[urn] for urn in record["dependencies"] if urn in objects],
        )
    policy_resources = [
        obj for obj in objects.values() if not obj.resource_type.startswith("pulumi:providers:")
    ]
    assert monthly_estimate(policy_resources).total_usd == pytest.approx(
        monthly_estimate(data_tier).total_usd
    )


def test_the_dr_regions_monthly_cost_is_shown_apart_from_the_primary_regions(production_plan: Any) -> None:
    """Resources behind the DR-region provider (VPC, Aurora secondary, backup vault, buckets today; the DR
    cluster when it lands) are summed as the DR region; the rest is the primary region's."""
    estimate = monthly_estimate(production_plan.resources)
    by_urn = {r["urn"]: r for r in production_plan.resources}
    dr_region = next(
        r["inputs"]["region"]
        for r in production_plan.resources
        if r["type"] == "pulumi:providers:aws" and r["inputs"].get("region") not in (None, "us-east-1")
    )
    expected = sum(
        line.monthly_usd
        for line in estimate.lines
        if region_of(by_urn.get(line.urn, {"urn": line.urn}), by_urn, "us-east-1") == dr_region
    )
    assert expected > 0, "production already has DR-region resources"
    assert estimate.by_region[f"{dr_region} (DR)"] == pytest.approx(expected)
    assert estimate.by_region["us-east-1 (primary)"] + expected + estimate.by_region.get("global", 0) == (
        pytest.approx(estimate.total_usd, abs=0.01)
    )
    assert estimate.as_json()["byRegion"][f"{dr_region} (DR)"] == round(expected, 2)


def test_the_in_vpc_ci_runner_is_priced_per_build_minute(production_plan: Any) -> None:
    estimate = monthly_estimate(production_plan.resources)
    [project] = [
        r
        for r in production_plan.resources
        if r["type"] == "aws:codebuild/project:Project" and ":dr:DrRegion" not in r["urn"]
    ]
    compute = project["inputs"]["environment"]["computeType"]
    price = PRICES["regions"]["us-east-1"]["codebuildLinuxPerMinute"][compute]
    minutes = PRICES["assumptions"]["ciRunnerBuildMinutesPerMonth"]["value"]
    assert estimate.usd_of(project["urn"]) == pytest.approx(price * minutes)
    assert project["urn"] not in {item.urn for item in estimate.unpriced}
