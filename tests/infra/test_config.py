"""The stack config model: defaults, both stack files, and one clear message per bad value."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from infra.config import StackConfig, StackConfigError, parse_stack_config, stack_file_schema

ROOT = Path(__file__).resolve().parents[2]
NAMESPACE = "memory-platform:"


def stack_values(stack: str) -> tuple[dict[str, Any], str]:
    config = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    ours = {key.removeprefix(NAMESPACE): value for key, value in config.items() if key.startswith(NAMESPACE)}
    return ours, config["aws:region"]


def parse(values: dict[str, Any], region: str | None = "us-east-1") -> StackConfig:
    return parse_stack_config(values, primary_region=region, stack_file="Pulumi.test.yaml")


def problems_of(values: dict[str, Any], region: str | None = "us-east-1") -> list[str]:
    with pytest.raises(StackConfigError) as raised:
        parse(values, region)
    assert "Pulumi.test.yaml" in str(raised.value)
    assert "nothing was created" in str(raised.value)
    return raised.value.problems


@pytest.fixture
def production() -> dict[str, Any]:
    return copy.deepcopy(stack_values("production")[0])


def test_defaults_are_the_reference_node_pools() -> None:
    config = parse(
        {"environment": "staging", "tags": {"owner": "o", "cost-center": "c", "environment": "staging"}}
    )
    pools = {pool.name: pool for pool in config.node_pools}
    assert (
        pools["application"].instance_type,
        pools["application"].min_nodes,
        pools["application"].max_nodes,
    ) == (
        "m5.xlarge",
        3,
        10,
    )
    assert (
        pools["ml_workload"].instance_type,
        pools["ml_workload"].min_nodes,
        pools["ml_workload"].max_nodes,
    ) == (
        "c5.2xlarge",
        2,
        8,
    )
    database = pools["database"]
    assert (database.instance_type, database.min_nodes, database.max_nodes) == ("r5.xlarge", 3, 3)
    assert [(taint.key, taint.effect) for taint in database.taints] == [("dedicated", "NoSchedule")]


@pytest.mark.parametrize("stack", ["staging", "production"])
def test_stack_files_are_valid(stack: str) -> None:
    values, region = stack_values(stack)
    config = parse(values, region)
    assert config.environment == stack
    raw = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
    jsonschema.validate(raw, stack_file_schema())


def test_stacks_differ_in_nat_and_zones() -> None:
    staging = parse(*stack_values("staging"))
    production = parse(*stack_values("production"))
    assert (staging.network.nat_strategy, staging.network.az_count) == ("single", 2)
    assert (production.network.nat_strategy, production.network.az_count) == ("one_per_az", 3)
    assert production.dr.enabled and not staging.dr.enabled


def test_committed_schema_matches_the_model() -> None:
    committed = json.loads((ROOT / "schema" / "stack-config.schema.json").read_text())
    assert committed == stack_file_schema(), "run `make schema` to regenerate schema/stack-config.schema.json"


def test_schema_rejects_an_unknown_project_key() -> None:
    raw = yaml.safe_load((ROOT / "Pulumi.production.yaml").read_text())
    raw["config"]["memory-platform:netwrok"] = {"vpcCidr": "10.0.0.0/16"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(raw, stack_file_schema())


def test_overlapping_dr_cidr(production: dict[str, Any]) -> None:
    production["dr"]["vpcCidr"] = "10.20.128.0/17"
    [problem] = problems_of(production)
    assert problem.startswith("memory-platform:dr:") or "dr.vpcCidr" in problem
    assert "overlaps network.vpcCidr" in problem


def test_active_region_must_be_one_of_the_two_regions(production: dict[str, Any]) -> None:
    production["dr"]["activeRegion"] = "us-west-2"
    assert parse(production).dr.active_region == "us-west-2"
    production["dr"]["activeRegion"] = "eu-west-1"
    [problem] = problems_of(production)
    assert (
        "dr.activeRegion 'eu-west-1' must be aws:region ('us-east-1') or dr.region ('us-west-2')" in problem
    )


def test_min_greater_than_max(production: dict[str, Any]) -> None:
    production["nodePools"][0]["minNodes"] = 12
    [problem] = problems_of(production)
    assert problem.startswith("memory-platform:nodePools[0]")
    assert "minNodes (12) is greater than maxNodes (10)" in problem


def test_unknown_instance_family(production: dict[str, Any]) -> None:
    production["nodePools"][1]["instanceType"] = "q9.large"
    [problem] = problems_of(production)
    assert problem.startswith("memory-platform:nodePools[1].instanceType:")
    assert "instance family 'q9' is not supported" in problem and "m5" in problem


def test_misspelled_taint_effect(production: dict[str, Any]) -> None:
    production["nodePools"][2]["taints"][0]["effect"] = "NoSchedul"
    [problem] = problems_of(production)
    assert problem.startswith("memory-platform:nodePools[2].taints[0].effect:")
    assert "'NoSchedule', 'PreferNoSchedule' or 'NoExecute'" in problem


def test_missing_required_tag(production: dict[str, Any]) -> None:
    del production["tags"]["cost-center"]
    [problem] = problems_of(production)
    assert problem == "memory-platform:tags.cost-center: required key is missing"


def test_unknown_keys_at_every_level(production: dict[str, Any]) -> None:
    production["netwrk"] = {}
    production["network"]["azcount"] = 3
    problems = problems_of(production)
    assert len(problems) == 2
    assert problems[0].startswith("memory-platform:netwrk: unknown key; allowed keys are")
    assert problems[1].startswith("memory-platform:network.azcount: unknown key")


def test_every_problem_is_reported_at_once(production: dict[str, Any]) -> None:
    production["nodePools"][0]["minNodes"] = 12
    production["nodePools"][1]["instanceType"] = "q9.large"
    del production["tags"]["owner"]
    assert len(problems_of(production)) == 3


def test_missing_region() -> None:
    values, _ = stack_values("staging")
    [problem] = problems_of(values, region=None)
    assert problem.startswith("aws:region: required")


def test_public_endpoint_open_to_the_internet(production: dict[str, Any]) -> None:
    production["cluster"]["publicAccessCidrs"] = ["0.0.0.0/0"]
    [problem] = problems_of(production)
    assert "memory-platform:cluster.publicAccessCidrs" in problem and "internet" in problem


def test_dr_needs_a_different_region(production: dict[str, Any]) -> None:
    production["dr"]["region"] = "us-east-1"
    [problem] = problems_of(production)
    assert "dr.region must differ" in problem


def test_tag_environment_must_match(production: dict[str, Any]) -> None:
    production["tags"]["environment"] = "staging"
    [problem] = problems_of(production)
    assert "tags.environment ('staging') must equal environment ('production')" in problem
