"""`iam.getPolicyDocument`: policy JSON as the provider builds it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from offline_plan.aws_answers.context import InvokeContext, InvokeFailureError, digest


# -- IAM policy documents -----------------------------------------------------------------------------
def _string_set(values: list[Any]) -> Any:
    """A provider string set as IAM JSON: one value alone, several in reverse-sorted order."""
    items = [str(v).replace("&{", "${") for v in values]
    return items[0] if len(items) == 1 else sorted(items, reverse=True)


def _principals(principals: list[dict[str, Any]]) -> Any:
    rendered: dict[str, Any] = {}
    for principal in principals:
        kind = principal["type"]
        identifiers = _string_set(principal.get("identifiers") or [])
        existing = rendered.get(kind)
        if existing is None:
            rendered[kind] = identifiers
        else:
            merged = [existing] if isinstance(existing, str) else list(existing)
            rendered[kind] = merged + ([identifiers] if isinstance(identifiers, str) else identifiers)
    if rendered.get("*") == "*":
        return "*"
    return dict(sorted(rendered.items()))


def _camel_keys(block: dict[str, Any]) -> dict[str, Any]:
    """A statement block as the provider reads it: `not_actions` (a plain dict's key) is `notActions`."""
    return {re.sub(r"_([a-z])", lambda m: m.group(1).upper(), key): value for key, value in block.items()}


def _statement(statement: dict[str, Any]) -> dict[str, Any]:
    """One statement in the field order and shapes the provider's IAMPolicyStatement marshals."""
    statement = _camel_keys(statement)
    rendered: dict[str, Any] = {
        "Sid": statement.get("sid") or "",
        "Effect": statement.get("effect") or "Allow",
    }
    for source, target in (
        ("actions", "Action"),
        ("notActions", "NotAction"),
        ("resources", "Resource"),
        ("notResources", "NotResource"),
    ):
        if statement.get(source):
            rendered[target] = _string_set(statement[source])
    for source, target in (("principals", "Principal"), ("notPrincipals", "NotPrincipal")):
        if statement.get(source):
            rendered[target] = _principals(statement[source])
    conditions: dict[str, dict[str, Any]] = {}
    for condition in statement.get("conditions") or []:
        values = [str(v).replace("&{", "${") for v in condition.get("values") or []]
        variables = conditions.setdefault(condition["test"], {})
        if condition["variable"] in variables:
            previous = variables[condition["variable"]]
            values = ([previous] if isinstance(previous, str) else previous) + values
        variables[condition["variable"]] = values[0] if len(values) == 1 else values
    if conditions:
        rendered["Condition"] = {test: dict(sorted(v.items())) for test, v in sorted(conditions.items())}
    return rendered


def _merge(statements: list[dict[str, Any]], new: Iterable[dict[str, Any]]) -> None:
    """IAMPolicyDoc.Merge: a statement with a Sid replaces the earlier one with that Sid."""
    for statement in new:
        sid = statement.get("Sid")
        index = next((i for i, s in enumerate(statements) if sid and s.get("Sid") == sid), None)
        if index is None:
            statements.append(statement)
        else:
            statements[index] = statement


def _parsed_statements(document: str, argument: str) -> list[dict[str, Any]]:
    try:
        parsed = json.loads(document)
    except json.JSONDecodeError as error:
        raise InvokeFailureError(argument, f"not a JSON policy document: {error}") from None
    statements = parsed.get("Statement") or []
    return [statements] if isinstance(statements, dict) else list(statements)


def policy_document(args: dict[str, Any], _ctx: InvokeContext) -> dict[str, Any]:
    """Renders `getPolicyDocument` to IAM JSON as the provider does: sources, statements, overrides."""
    merged: list[dict[str, Any]] = []
    seen_sids: set[str] = set()
    for index, source in enumerate(args.get("sourcePolicyDocuments") or []):
        statements = _parsed_statements(source, "sourcePolicyDocuments")
        for statement in statements:
            sid = statement.get("Sid")
            if sid and sid in seen_sids:
                raise InvokeFailureError(
                    "sourcePolicyDocuments",
                    f"duplicate Sid ({sid}) in source_policy_documents (item {index}). "
                    "Remove the Sid or ensure Sids are unique",
                )
            if sid:
                seen_sids.add(sid)
        _merge(merged, statements)
    own_sids: set[str] = set()
    own = []
    for statement in args.get("statements") or []:
        sid = statement.get("sid") or ""
        if sid and sid in own_sids:
            raise InvokeFailureError(
                "statements", f"duplicate Sid ({sid}). Remove the Sid or ensure the Sid is unique"
            )
        own_sids.add(sid)
        own.append(_statement(statement))
    _merge(merged, own)
    for override in args.get("overridePolicyDocuments") or []:
        _merge(merged, _parsed_statements(override, "overridePolicyDocuments"))
    document: dict[str, Any] = {"Version": args.get("version") or "2012-10-17"}
    if args.get("policyId"):
        document["Id"] = args["policyId"]
    document["Statement"] = merged
    rendered = json.dumps(document, indent=2)
    return {
        "json": rendered,
        "minifiedJson": json.dumps(document, separators=(",", ":")),
        "id": str(int(digest(rendered)[:8], 16)),
        "statements": args.get("statements"),
        "sourcePolicyDocuments": args.get("sourcePolicyDocuments"),
        "overridePolicyDocuments": args.get("overridePolicyDocuments"),
        "policyId": args.get("policyId"),
        "version": args.get("version") or "2012-10-17",
    }
