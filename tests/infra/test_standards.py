"""Each standard has one source, and everything that applies it agrees with it.

The policy pack's configs are generated from the standards and the stack config (a stale committed file
fails here); the pack's own defaults accept exactly what the stack config accepts.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from infra import policy_config
from infra.config import StackConfigError
from infra.standards import INSTANCE_FAMILIES
from offline_plan.document import PlanDocument
from offline_plan.policy_check import evaluate, load_policy_pack
from tests.conftest import ROOT, of_type

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
FAMILIES_POLICY = "aws-eks-node-group-instance-families"


@pytest.mark.parametrize("stack", policy_config.STACKS)
def test_committed_policy_config_is_what_make_schema_generates(stack: str) -> None:
    committed = (ROOT / "policies" / "config" / f"{stack}.json").read_text()
    assert committed == policy_config.render(stack), (
        f"policies/config/{stack}.json is stale: run `make schema` and commit the result"
    )


def test_a_changed_standard_makes_the_committed_policy_config_stale(monkeypatch: pytest.MonkeyPatch) -> None:
    committed = (ROOT / "policies" / "config" / "production.json").read_text()
    monkeypatch.setattr(policy_config, "INSTANCE_FAMILIES", INSTANCE_FAMILIES | {"m7g"})
    assert policy_config.render("production") != committed


def test_policy_config_follows_the_stacks_environment() -> None:
    production = policy_config.policy_config(policy_config.stack_config("production"))
    staging = policy_config.policy_config(policy_config.stack_config("staging"))
    assert production["aws-rds-cluster-deletion-protection"] == "mandatory"
    assert "aws-rds-cluster-deletion-protection" not in staging
    assert production[FAMILIES_POLICY] == staging[FAMILIES_POLICY]


def test_a_bad_stack_file_stops_generation_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "__main__.py").write_text("")
    text = (
        (ROOT / "Pulumi.production.yaml")
        .read_text()
        .replace("instanceType: m5.xlarge", "instanceType: m7g.xlarge")
    )
    (tmp_path / "Pulumi.production.yaml").write_text(text)
    with pytest.raises(
        StackConfigError, match=r"(?s)Pulumi\.production\.yaml.*instance family .m7g. is not supported"
    ):
        policy_config.stack_config("production", tmp_path)


def test_node_group_policy_defaults_accept_the_families_the_stack_config_accepts(
    production_plan: PlanDocument,
) -> None:
    """Without a policy config the pack must not contradict the stack config (it refused m5, c5 and r5)."""
    pack = load_policy_pack(ROOT / "policies")
    node_groups = of_type(production_plan, NODE_GROUP)
    assert {group["inputs"]["instanceTypes"][0].split(".")[0] for group in node_groups} >= {"m5", "c5", "r5"}
    violations = [
        v for v in evaluate(pack, node_groups, None, "production") if v.policy_name == FAMILIES_POLICY
    ]
    assert violations == []
    graviton = {**node_groups[0], "inputs": {**node_groups[0]["inputs"], "instanceTypes": ["m7g.xlarge"]}}
    [violation] = [
        v for v in evaluate(pack, [graviton], None, "production") if v.policy_name == FAMILIES_POLICY
    ]
    assert "m7g" in violation.message
