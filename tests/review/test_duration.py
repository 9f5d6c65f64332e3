"""The deploy-time estimate follows the real waits and shows a false dependency on its printed path."""

from __future__ import annotations

from typing import Any

import pytest

from review.duration import TIMES_PATH, deploy_duration, time_table
from tests.review.conftest import resource


def test_creation_times_have_sources() -> None:
    for type_, entry in time_table(TIMES_PATH)["types"].items():
        low, high = entry["range"]
        assert low <= entry["minutes"] <= high, type_
        assert "http" in entry["source"], type_


def test_production_path_is_the_unavoidable_cluster_chain(production_plan: Any) -> None:
    estimate = deploy_duration(production_plan.resources)
    types = [step.type for step in estimate.critical_path]
    assert types.index("aws:eks/cluster:Cluster") < types.index("aws:eks/nodeGroup:NodeGroup")
    # cluster (~10) + one node group (~3.5) + add-ons: the chain, not the sum of everything
    assert 14 <= estimate.minutes <= 22
    assert estimate.serial_minutes > 2 * estimate.minutes
    assert estimate.low_minutes < estimate.minutes < estimate.high_minutes
    times = [step.finishes_at for step in estimate.critical_path]
    assert times == sorted(times)


def test_a_false_depends_on_serialises_work_and_is_flagged() -> None:
    cache = resource("aws:elasticache/replicationGroup:ReplicationGroup", "redis")
    database = resource("aws:rds/clusterInstance:ClusterInstance", "db")
    independent = deploy_duration([cache, database])
    serialised_db = dict(database, dependencies=[cache["urn"]], propertyDependencies={})
    serialised = deploy_duration([cache, serialised_db])
    assert independent.minutes == pytest.approx(9)
    assert serialised.minutes == pytest.approx(7.5 + 9)
    assert [step.name for step in serialised.explicit_edges] == ["db"]


def test_children_of_a_component_do_not_wait_but_children_of_a_custom_resource_do() -> None:
    component = resource("memory-platform:cache:RedisCache", "redis", custom=False)
    under_component = resource("aws:ec2/natGateway:NatGateway", "nat", parent=component["urn"])
    assert deploy_duration([component, under_component]).minutes == pytest.approx(2)
    cluster = resource("aws:eks/cluster:Cluster", "cluster")
    group = resource("aws:eks/nodeGroup:NodeGroup", "pool", parent=cluster["urn"])
    estimate = deploy_duration([cluster, group])
    assert estimate.minutes == pytest.approx(13.5)
    assert [step.waits_via for step in estimate.critical_path] == ["start", "parent"]


def test_global_database_chain_runs_primary_then_secondary(data_tier: list[dict[str, Any]]) -> None:
    estimate = deploy_duration(data_tier)
    names = [step.name for step in estimate.critical_path]
    assert names == [
        "memory-global",
        "memory-primary",
        "memory-primary-1",
        "memory-secondary",
        "memory-secondary-1",
    ]
    assert estimate.minutes == pytest.approx(1 + 2 + 9 + 8 + 9)
