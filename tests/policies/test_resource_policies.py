"""Every resource policy passes its compliant fixture and fires on each single-property change."""

from __future__ import annotations

import pytest
from policy_cases import RESOURCE_CASES
from policy_testkit import BY_NAME, mutate, record, run_policy
from pulumi_policy import ResourceValidationPolicy


@pytest.mark.parametrize("name", sorted(RESOURCE_CASES))
def test_compliant_fixture_passes(name: str) -> None:
    type_, inputs, _ = RESOURCE_CASES[name]
    assert run_policy(name, [record(type_, "happy", inputs)]) == []


CHANGES = [
    (name, path, value) for name, (_, _, changes) in sorted(RESOURCE_CASES.items()) for path, value in changes
]


@pytest.mark.parametrize(("name", "path", "value"), CHANGES, ids=[f"{n}:{p}" for n, p, _ in CHANGES])
def test_single_change_violates_and_names_resource(name: str, path: str, value: object) -> None:
    type_, inputs, _ = RESOURCE_CASES[name]
    resource = record(type_, "broken", mutate(inputs, path, value))
    violations = run_policy(name, [resource])
    assert violations, f"{name} did not fire when {path} changed"
    for violation in violations:
        assert violation.policy_name == name
        assert violation.urn == resource["urn"]
        assert "'broken'" in violation.message
        assert violation.message.endswith(".")


@pytest.mark.parametrize("name", sorted(RESOURCE_CASES))
def test_missing_properties_give_a_verdict_without_crashing(name: str) -> None:
    type_, _, _ = RESOURCE_CASES[name]
    violations = run_policy(name, [record(type_, "empty", {})])
    assert all(v.message.endswith(".") for v in violations)


def test_fixtures_name_resource_policies() -> None:
    # Every policy has a fires/passes program (test_corpus.py); these record-level fixtures add
    # single-property cases for the older ones.
    resource_policies = {n for n, p in BY_NAME.items() if isinstance(p, ResourceValidationPolicy)}
    stack_judged = {"aws-ec2-security-group-no-public-ingress", "aws-rds-cluster-tls-enforced"}
    assert set(RESOURCE_CASES) <= resource_policies | stack_judged


def test_load_balancer_may_open_https_but_nothing_else() -> None:
    rule = {"cidrIpv4": "0.0.0.0/0", "fromPort": 443, "toPort": 443, "ipProtocol": "tcp"}
    name = "aws-ec2-security-group-no-public-ingress"
    assert (
        run_policy(
            name, [record("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "alb-https", rule)]
        )
        == []
    )
    assert run_policy(
        name, [record("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "nodes-https", rule)]
    )
    group = {"ingress": [{"cidrBlocks": ["0.0.0.0/0"], "fromPort": 22, "toPort": 22, "protocol": "tcp"}]}
    assert run_policy(name, [record("aws:ec2/securityGroup:SecurityGroup", "alb", group)])


def test_provider_default_tags_count() -> None:
    provider = record(
        "pulumi:providers:aws",
        "primary",
        {
            "region": "us-east-1",
            "defaultTags": {"tags": {"owner": "p", "cost-center": "c", "environment": "staging"}},
        },
    )
    vpc = record("aws:ec2/vpc:Vpc", "vpc", {"cidrBlock": "10.0.0.0/16"}, provider=f"{provider['urn']}::id-1")
    assert run_policy("aws-all-resource-required-tags", [provider, vpc]) == []


def test_offline_secret_placeholder_is_not_a_literal() -> None:
    resource = record("kubernetes:core/v1:ConfigMap", "cfg", {"data": {"api_token": "[secret]"}})
    assert run_policy("all-resource-inputs-no-secret-literal", [resource]) == []
    resource = record("kubernetes:core/v1:ConfigMap", "cfg", {"data": {"api_token": "abc123abc123"}})
    assert run_policy("all-resource-inputs-no-secret-literal", [resource])


def test_helm_values_naming_an_existing_secret_are_references_not_literals() -> None:
    values = {"grafana": {"admin": {"existingSecret": "grafana-admin"}}, "spec": {"configSecret": "am"}}
    release = record("kubernetes:helm.sh/v3:Release", "stack", {"values": values})
    assert run_policy("all-resource-inputs-no-secret-literal", [release]) == []
    literal = record(
        "kubernetes:helm.sh/v3:Release", "stack", {"values": {"admin": {"adminPassword": "hunter2"}}}
    )
    assert run_policy("all-resource-inputs-no-secret-literal", [literal])


def test_helm_lists_of_secret_names_are_references() -> None:
    # kube-prometheus-stack: alertmanager.alertmanagerSpec.secrets lists Secrets to mount, by name.
    values = {"alertmanager": {"alertmanagerSpec": {"secrets": ["alertmanager-config"]}}}
    release = record("kubernetes:helm.sh/v3:Release", "stack", {"values": values})
    assert run_policy("all-resource-inputs-no-secret-literal", [release]) == []
    literal = record(
        "kubernetes:helm.sh/v3:Release", "stack", {"values": {"env": {"DB_PASSWORD": "hunter2"}}}
    )
    assert run_policy("all-resource-inputs-no-secret-literal", [literal])
