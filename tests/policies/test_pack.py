"""The pack the policy host loads is built from the same modules the tests import, and is well formed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from policy_testkit import record

from offline_plan.policy_check import (
    PolicyConfigError,
    evaluate,
    format_violations,
    has_mandatory,
    load_policy_config,
    load_policy_pack,
    reconcile_config,
)
from policies.framework import NAME_RE
from policies.registry import ALL_POLICIES

PACK_DIR = Path(__file__).resolve().parents[2] / "policies"


@pytest.fixture(scope="module")
def pack():
    return load_policy_pack(PACK_DIR)


def test_pack_holds_the_modules_own_policy_objects(pack) -> None:
    assert pack.name == "memory-platform-policies"
    assert pack.policies is ALL_POLICIES


def test_every_policy_is_named_described_and_rated() -> None:
    names = [p.name for p in ALL_POLICIES]
    assert len(names) == len(set(names))
    for policy in ALL_POLICIES:
        assert NAME_RE.match(policy.name), policy.name
        assert policy.description.endswith(".")
        assert policy.severity is not None
        assert policy.remediation_steps
        assert policy.remediation_steps.endswith(".")
        assert policy.enforcement_level is not None


def test_policy_pack_yaml_uses_the_python_runtime_and_uv_toolchain() -> None:
    project = yaml.safe_load((PACK_DIR / "PulumiPolicy.yaml").read_text())
    assert project["runtime"]["name"] == "python"
    assert project["runtime"]["options"]["toolchain"] == "uv"


@pytest.mark.parametrize("stack", ["production", "staging"])
def test_stack_config_files_match_the_schemas(pack, stack: str) -> None:
    config = load_policy_config(PACK_DIR / "config" / f"{stack}.json")
    effective = reconcile_config(pack, config)
    if stack == "production":
        assert effective["aws-rds-cluster-deletion-protection"][0].value == "mandatory"
        assert effective["aws-rds-cluster-backup-retention"][1]["minRetentionDays"] == 14


def test_bad_config_is_refused_with_the_policy_named(pack) -> None:
    with pytest.raises(PolicyConfigError, match="aws-rds-cluster-backup-retention"):
        reconcile_config(pack, {"aws-rds-cluster-backup-retention": {"minRetentionDays": "seven"}})
    with pytest.raises(PolicyConfigError, match="no-such-policy"):
        reconcile_config(pack, {"no-such-policy": "mandatory"})
    with pytest.raises(PolicyConfigError, match="not a valid enforcement level"):
        reconcile_config(pack, {"all": "blocking"})


def test_insecure_program_fails_offline_check_naming_each_policy(pack) -> None:
    resources = [
        record("aws:rds/cluster:Cluster", "db", {"engine": "aurora-postgresql", "storageEncrypted": False}),
        record(
            "aws:ec2/securityGroup:SecurityGroup",
            "nodes",
            {"ingress": [{"cidrBlocks": ["0.0.0.0/0"], "fromPort": 22, "toPort": 22, "protocol": "tcp"}]},
        ),
        record(
            "kubernetes:core/v1:Pod",
            "web",
            {"spec": {"containers": [{"name": "web", "image": "nginx:latest"}]}},
        ),
    ]
    violations = evaluate(pack, resources, None, "staging", "memory")
    mandatory = {v.policy_name for v in violations if v.mandatory}
    assert {
        "aws-rds-cluster-storage-encrypted",
        "aws-ec2-security-group-no-public-ingress",
        "kubernetes-workload-container-image-pinned",
    } <= mandatory
    assert has_mandatory(violations)
    report = format_violations(violations)
    assert report.index("CRITICAL") < report.index("HIGH")
    assert resources[0]["urn"] in report


def test_enforcement_overrides_and_disabled(pack) -> None:
    resources = [record("aws:kms/key:Key", "k", {"enableKeyRotation": False, "deletionWindowInDays": 30})]
    base = evaluate(pack, resources, None, "staging", "memory")
    assert any(v.policy_name == "aws-kms-key-rotation-enabled" and v.mandatory for v in base)
    relaxed = evaluate(pack, resources, {"aws-kms-key-rotation-enabled": "advisory"}, "staging", "memory")
    assert any(v.policy_name == "aws-kms-key-rotation-enabled" and not v.mandatory for v in relaxed)
    off = evaluate(pack, resources, {"all": "disabled"}, "staging", "memory")
    assert off == []


def test_unknown_values_become_advisory_notes_like_the_engine(pack) -> None:
    unknown_bool = "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7"
    resources = [record("aws:kms/key:Key", "k", {"enableKeyRotation": unknown_bool})]
    violations = evaluate(pack, resources, {"all": "mandatory"}, "staging", "memory")
    notes = [v for v in violations if "during preview" in v.message]
    assert notes
    assert all(not v.mandatory for v in notes)
