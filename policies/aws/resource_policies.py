"""Resource-based policies (bucket, queue, topic, key, repository, secret, domain, function, ...): no
statement lets everyone in, and none allows every action.

Judged on every pulumi-aws type with a ``policy`` or ``accessPolicies`` document input (read from the
SDK's classes), JSON strings and ``get_policy_document`` output alike. ``Principal: "*"`` (or
``{"AWS": "*"}``) is accepted only with a condition that narrows who can use it: a source account, ARN,
VPC, VPC endpoint, organization or IP range. IAM identity policies are judged by the aws-iam policies."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Severity

from policies.aws.sdk import types_with
from policies.framework import Subject, as_list, parse_document, resource_policy, statements

IDENTITY_POLICIES = frozenset(
    {
        "aws:iam/policy:Policy",
        "aws:iam/rolePolicy:RolePolicy",
        "aws:iam/userPolicy:UserPolicy",
        "aws:iam/groupPolicy:GroupPolicy",
    }
)
# A VPC endpoint policy is reachable only from inside its VPC; Principal "*" with full access is its
# documented default, so it is not a public grant.
VPC_ENDPOINTS = frozenset({"aws:ec2/vpcEndpoint:VpcEndpoint", "aws:ec2/vpcEndpointPolicy:VpcEndpointPolicy"})
DOCUMENT_TYPES = types_with("policy", "accessPolicies") - IDENTITY_POLICIES - VPC_ENDPOINTS
LAMBDA_PERMISSION = "aws:lambda/permission:Permission"
NARROWING_KEYS = frozenset(
    k.lower()
    for k in (
        "aws:SourceArn",
        "aws:SourceAccount",
        "aws:SourceOwner",
        "aws:SourceVpc",
        "aws:SourceVpce",
        "aws:SourceIp",
        "aws:SourceOrgID",
        "aws:SourceOrgPaths",
        "aws:PrincipalOrgID",
        "aws:PrincipalOrgPaths",
        "aws:PrincipalAccount",
        "aws:PrincipalArn",
        "aws:PrincipalServiceName",
        "aws:ResourceOrgID",
        "aws:ResourceAccount",
        "kms:CallerAccount",
        "kms:ViaService",
        "lambda:FunctionUrlAuthType",
    )
)


def principals(statement: Mapping[str, Any]) -> list[str]:
    """Every principal a statement names, whatever the form ("*", {"AWS": [...]}, {"*": "*"})."""
    principal = statement.get("Principal")
    if isinstance(principal, str):
        return [principal]
    if isinstance(principal, Mapping):
        return [str(p) for value in principal.values() for p in as_list(value)]
    return []


def narrowed(statement: Mapping[str, Any]) -> bool:
    condition = statement.get("Condition")
    if not isinstance(condition, Mapping):
        return False
    return any(
        isinstance(block, Mapping) and any(str(key).lower() in NARROWING_KEYS for key in block)
        for block in condition.values()
    )


def _documents(subject: Subject) -> Iterator[Mapping[str, Any] | None]:
    for name in ("policy", "accessPolicies"):
        value = subject.get(name)
        if value is not None:
            yield parse_document(value)


def _open_to_everyone(subject: Subject) -> Iterator[str]:
    if subject.resource_type == LAMBDA_PERMISSION:
        if subject.get("principal") == "*" and not any(
            subject.get(k) for k in ("sourceArn", "sourceAccount", "principalOrgId")
        ):
            yield "lets any AWS account invoke the function (principal '*' without sourceArn or sourceAccount)"
        return
    for document in _documents(subject):
        for index, statement in enumerate(statements(document)):
            if statement.get("Effect") != "Allow":
                continue
            sid = f"statement {statement.get('Sid') or index}"
            if "NotPrincipal" in statement:
                yield f"allows everyone except the listed principals in {sid} (Allow with NotPrincipal)"
            elif "*" in principals(statement) and not narrowed(statement):
                yield (
                    f"allows any principal ('*') in {sid} without a condition on the source account, ARN, "
                    "VPC, organization or IP range"
                )


resource_policy_not_public = resource_policy(
    name="aws-all-resource-policy-no-public-principal",
    description="Resource policies never allow Principal '*' without a condition that narrows it.",
    severity=Severity.CRITICAL,
    remediation=(
        "Name the trusted principals (account, role or service), or add a condition such as "
        "aws:SourceArn, aws:SourceAccount, aws:SourceVpce or aws:PrincipalOrgID to the statement."
    ),
    resource_types=DOCUMENT_TYPES | {LAMBDA_PERMISSION},
    check=_open_to_everyone,
)


def _wildcard_actions(subject: Subject) -> Iterator[str]:
    for document in _documents(subject):
        for index, statement in enumerate(statements(document)):
            if statement.get("Effect") != "Allow":
                continue
            sid = f"statement {statement.get('Sid') or index}"
            if {"*", "*:*"} & {str(a) for a in as_list(statement.get("Action"))}:
                yield f"allows every action of every service ('*') in {sid}"
            if "NotAction" in statement:
                yield f"allows every action not listed in {sid} (Allow with NotAction)"


resource_policy_no_wildcard_actions = resource_policy(
    name="aws-all-resource-policy-no-wildcard-actions",
    description="Resource policies never allow every action ('*') or Allow with NotAction.",
    severity=Severity.HIGH,
    remediation="List the actions the principal needs, scoped to the resource's own service.",
    resource_types=DOCUMENT_TYPES,
    check=_wildcard_actions,
)

POLICIES = [resource_policy_not_public, resource_policy_no_wildcard_actions]
