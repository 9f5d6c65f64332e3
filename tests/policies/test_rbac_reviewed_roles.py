"""MP_K8S_013's reviewed exception: a ClusterRole on `reviewedClusterRoles` (with a reason) may use every
verb on its listed API groups and read Secrets; anything else still fires."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from policy_testkit import record, run_policy

from offline_plan.policy_check import PolicyConfigError

POLICY = "kubernetes-rbac-role-no-wildcards"
CLUSTER_ROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"
OPERATOR_RULES = [
    {"apiGroups": ["monitoring.coreos.com"], "resources": ["prometheuses"], "verbs": ["*"]},
    {"apiGroups": ["apps"], "resources": ["statefulsets"], "verbs": ["*"]},
    {"apiGroups": [""], "resources": ["configmaps", "secrets"], "verbs": ["*"]},
]
ENTRY = {
    "name": "operator",
    "reason": "manages its workloads' StatefulSets, ConfigMaps and Secrets",
    "wildcardVerbsOnApiGroups": ["monitoring.coreos.com", "apps", ""],
    "readsSecrets": True,
}


def _messages(name: str, rules: list[dict[str, Any]], *entries: dict[str, Any]) -> list[str]:
    role = record(CLUSTER_ROLE, name, {"metadata": {"name": name}, "rules": rules})
    config = {POLICY: {"reviewedClusterRoles": list(entries)}}
    return [v.message for v in run_policy(POLICY, [role], config)]


def test_a_reviewed_cluster_role_passes() -> None:
    assert _messages("operator", OPERATOR_RULES, ENTRY) == []


def test_an_unlisted_cluster_role_with_the_same_rules_fails() -> None:
    messages = _messages("other", OPERATOR_RULES, ENTRY)
    assert sum("grants '*' in rules[" in m for m in messages) == 3
    assert any("can read every Secret in the cluster" in m for m in messages)


def test_the_exception_covers_only_what_it_names() -> None:
    other_group = [*OPERATOR_RULES, {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["*"]}]
    messages = _messages("operator", other_group, ENTRY)
    assert len(messages) == 1 and "grants '*' in rules[3].verbs" in messages[0]
    every_resource = [{"apiGroups": ["apps"], "resources": ["*"], "verbs": ["*"]}]
    messages = _messages("operator", every_resource, ENTRY)
    assert len(messages) == 1 and "grants '*' in rules[0].resources" in messages[0]
    no_secrets = {**ENTRY, "readsSecrets": False}
    messages = _messages("operator", OPERATOR_RULES, no_secrets)
    assert len(messages) == 1 and "can read every Secret in the cluster" in messages[0]


@pytest.mark.parametrize(
    "entry", [{**ENTRY, "reason": " "}, {k: v for k, v in ENTRY.items() if k != "reason"}]
)
def test_an_entry_without_a_reason_is_refused(entry: dict[str, Any]) -> None:
    with pytest.raises(
        PolicyConfigError, match=r"kubernetes-rbac-role-no-wildcards: reviewedClusterRoles\.0"
    ):
        _messages("operator", OPERATOR_RULES, entry)


def test_a_namespaced_role_of_the_same_name_is_not_excepted() -> None:
    role = record(
        "kubernetes:rbac.authorization.k8s.io/v1:Role",
        "operator",
        {"metadata": {"name": "operator"}, "rules": OPERATOR_RULES[:1]},
    )
    violations = run_policy(POLICY, [role], {POLICY: {"reviewedClusterRoles": [ENTRY]}})
    assert any("rules[0].verbs" in v.message for v in violations)


def test_every_stack_reviews_the_same_roles_each_with_a_reason() -> None:
    config_dir = Path(__file__).resolve().parents[2] / "policies" / "config"
    lists = [
        json.loads(p.read_text())[POLICY]["reviewedClusterRoles"] for p in sorted(config_dir.glob("*.json"))
    ]
    assert len(lists) == 2 and lists[0] == lists[1]
    assert all(len(entry["reason"]) > 40 for entry in lists[0])
