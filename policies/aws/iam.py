"""IAM policies: no full-admin (`*` / `*:*`) permissions, no AdministratorAccess attachments, trust
policies without wildcard principals, and IRSA (web identity) trust scoped to one service account."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Severity

from policies.aws.resource_policies import narrowed, principals
from policies.aws.sdk import types_with
from policies.framework import Subject, as_list, dig, parse_document, resource_policy, statements

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
POLICY = "aws:iam/policy:Policy"
INLINE_POLICIES = [ROLE_POLICY, "aws:iam/userPolicy:UserPolicy", "aws:iam/groupPolicy:GroupPolicy"]
# Every way to attach a managed policy to a user, group or role (read from the SDK: IAM types with
# policyArn or managedPolicyArns).
ATTACHMENTS = frozenset(t for t in types_with("policyArn", "managedPolicyArns") if t.startswith("aws:iam/"))
ADMIN_ACTIONS = {"*", "*:*"}
ADMIN_POLICY_SUFFIXES = (":policy/AdministratorAccess", ":policy/IAMFullAccess", ":policy/PowerUserAccess")


def _permission_documents(subject: Subject) -> Iterator[tuple[str, Mapping[str, Any] | None]]:
    if subject.resource_type == ROLE:
        for inline in as_list(subject.get("inlinePolicies")):
            yield f"inline policy {dig(inline, 'name', default='?')}", parse_document(dig(inline, "policy"))
    else:
        yield "policy", parse_document(subject.get("policy"))


def _no_admin(subject: Subject) -> Iterator[str]:
    for where, document in _permission_documents(subject):
        if document is None and subject.resource_type != ROLE:
            yield f"has a {where} document that is not valid JSON"
        for statement in statements(document):
            if statement.get("Effect") != "Allow":
                continue
            actions = {str(a) for a in as_list(statement.get("Action"))}
            if actions & ADMIN_ACTIONS:
                yield f"allows every action ('*') in its {where}"
            if "NotAction" in statement:
                yield f"uses Allow with NotAction in its {where}, which grants everything not listed"


no_wildcard_actions = resource_policy(
    name="aws-iam-policy-no-wildcard-actions",
    description="IAM policies never allow all actions ('*' or '*:*').",
    severity=Severity.CRITICAL,
    remediation="List the specific actions the workload needs (least privilege) instead of '*'.",
    resource_types=[ROLE, POLICY, *INLINE_POLICIES],
    check=_no_admin,
)


def _no_admin_attachment(subject: Subject) -> Iterator[str]:
    arns = [subject.get("policyArn"), *as_list(subject.get("managedPolicyArns"))]
    for arn in arns:
        if isinstance(arn, str) and arn.endswith(ADMIN_POLICY_SUFFIXES):
            yield f"attaches the administrator-level managed policy {arn.rsplit('/', 1)[-1]}"


no_admin_attachment = resource_policy(
    name="aws-iam-all-principal-no-admin-policy",
    description="No IAM user, group or role gets AdministratorAccess, IAMFullAccess or PowerUserAccess.",
    severity=Severity.CRITICAL,
    remediation="Attach a least-privilege customer-managed policy instead.",
    resource_types=ATTACHMENTS,
    check=_no_admin_attachment,
)


def _trust(subject: Subject) -> Iterator[str]:
    document = parse_document(subject.get("assumeRolePolicy"))
    if document is None:
        yield "has no readable assumeRolePolicy document"
        return
    for statement in statements(document):
        if statement.get("Effect") != "Allow":
            continue
        actions = {str(a) for a in as_list(statement.get("Action"))}
        if "*" in principals(statement) and not narrowed(statement):
            yield "lets any AWS principal ('*') assume it"
        if "sts:AssumeRoleWithWebIdentity" in actions:
            yield from _irsa_problems(statement)


def _irsa_problems(statement: Mapping[str, Any]) -> Iterator[str]:
    equals = dig(statement, "Condition", "StringEquals", default={})
    subjects = (
        [v for k, v in equals.items() if str(k).endswith(":sub")] if isinstance(equals, Mapping) else []
    )
    audiences = (
        [v for k, v in equals.items() if str(k).endswith(":aud")] if isinstance(equals, Mapping) else []
    )
    if not subjects:
        yield "trusts the cluster's OIDC provider without a StringEquals condition on ':sub' (any pod could assume it)"
    for value in subjects:
        for sub in as_list(value):
            parts = str(sub).split(":")
            if len(parts) != 4 or parts[:2] != ["system", "serviceaccount"] or "*" in str(sub):
                yield f"scopes its web-identity trust to '{sub}' instead of one system:serviceaccount:<ns>:<name>"
    if not any("sts.amazonaws.com" in as_list(a) for a in audiences):
        yield "does not require the ':aud' claim to be sts.amazonaws.com"


role_trust_scoped = resource_policy(
    name="aws-iam-role-trust-scoped",
    description="Role trust policies name their principals; IRSA roles trust exactly one service account.",
    severity=Severity.CRITICAL,
    remediation=(
        "For IRSA, add Condition StringEquals {'<issuer>:sub': 'system:serviceaccount:<namespace>:<name>', "
        "'<issuer>:aud': 'sts.amazonaws.com'}; otherwise name the trusted principal explicitly."
    ),
    resource_types=[ROLE],
    check=_trust,
)

POLICIES = [no_wildcard_actions, no_admin_attachment, role_trust_scoped]
