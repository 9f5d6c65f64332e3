"""Data-tier config: both stack files' values, and one clear message per misconfiguration (pure, no mocks)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.infra.test_config import parse, problems_of, stack_values


@pytest.fixture
def production() -> dict[str, Any]:
    return copy.deepcopy(stack_values("production")[0])


def only_problem(values: dict[str, Any]) -> str:
    [problem] = problems_of(values)
    return problem


def test_stacks_size_the_data_tier_differently() -> None:
    staging = parse(*stack_values("staging"))
    production = parse(*stack_values("production"))
    assert (staging.database.reader_count, staging.database.backup_retention_days) == (0, 7)
    assert not staging.database.deletion_protection and not staging.cache.multi_az
    assert staging.cache.nodes_per_shard == 1
    assert (production.database.reader_count, production.database.backup_retention_days) == (2, 35)
    assert production.database.deletion_protection and production.database.final_snapshot
    assert production.cache.multi_az and production.cache.automatic_failover
    assert production.dr.enabled and production.dr.nat_strategy == "single"


def test_dr_with_a_burstable_instance_class(production: dict[str, Any]) -> None:
    production["database"]["instanceClass"] = "db.t4g.medium"
    problem = only_problem(production)
    assert "db.t4g.medium" in problem and "global database" in problem
    assert "db.r6g" in problem and "burstable" in problem


def test_burstable_is_fine_without_dr() -> None:
    staging = parse(*stack_values("staging"))
    assert staging.database.instance_class.startswith("db.t4g")


def test_retention_zero_in_production(production: dict[str, Any]) -> None:
    production["database"]["backupRetentionDays"] = 0
    assert only_problem(production).startswith("memory-platform:database.backupRetentionDays:")


def test_short_retention_in_production(production: dict[str, Any]) -> None:
    production["database"]["backupRetentionDays"] = 3
    assert "production keeps at least 7 days" in only_problem(production)


def test_no_deletion_protection_in_production(production: dict[str, Any]) -> None:
    production["database"]["deletionProtection"] = False
    assert "deletionProtection" in only_problem(production)


def test_multi_az_with_one_node(production: dict[str, Any]) -> None:
    production["cache"].update(clusterMode=False, shardCount=1, nodesPerShard=1, multiAz=True)
    problem = only_problem(production)
    assert problem.startswith("memory-platform:cache:")
    assert "nodesPerShard is 1" in problem and "2 or more" in problem


def test_shards_without_cluster_mode(production: dict[str, Any]) -> None:
    production["cache"]["shardCount"] = 2
    assert "clusterMode: true" in only_problem(production)


def test_cluster_mode_is_refused_because_the_api_speaks_plain_redis(production: dict[str, Any]) -> None:
    production["cache"]["clusterMode"] = True
    assert "cache.clusterMode must be false" in only_problem(production)


def test_unpinned_or_old_engine_version(production: dict[str, Any]) -> None:
    production["database"]["engineVersion"] = "15.4"
    assert "16.x or 17.x" in only_problem(production)


def test_autoscaling_below_the_provisioned_readers(production: dict[str, Any]) -> None:
    production["database"]["readerAutoscaling"]["maxReaders"] = 1
    assert "maxReaders (1) must be at least readerCount (2)" in only_problem(production)


def test_no_nat_for_the_primary_network(production: dict[str, Any]) -> None:
    production["network"]["natStrategy"] = "none"
    assert "EKS nodes without egress" in only_problem(production)


def test_failover_dns_needs_the_api_hostname(production: dict[str, Any]) -> None:
    for key in ("host", "image", "certificateArn"):
        del production["memoryApi"][key]
    assert "dr.dns fails the API hostname over between two regions" in only_problem(production)


def test_failover_dns_without_a_dr_load_balancer_is_refused_before_up(production: dict[str, Any]) -> None:
    """Without DR compute there is no DR Ingress; a record to nowhere would fail mid-`up`."""
    production["dr"]["compute"] = {"enabled": False}
    assert "dr.dns needs a load balancer in the DR region" in only_problem(production)
    production["dr"]["dns"]["drLoadBalancerHostname"] = "dr-alb.us-west-2.elb.amazonaws.com"
    assert parse(production).dr.dns is not None


def test_failover_dns_names_its_zone(production: dict[str, Any]) -> None:
    production["dr"]["dns"] = {"drLoadBalancerHostname": "dr-alb.us-west-2.elb.amazonaws.com"}
    assert only_problem(production).split(":", 2)[1] == "dr.dns.hostedZoneId"


def test_no_password_key_exists(production: dict[str, Any]) -> None:
    production["database"]["masterPassword"] = "hunter2hunter2"
    problem = only_problem(production)
    assert problem.startswith("memory-platform:database.masterPassword: unknown key")
    assert "hunter2" not in problem
