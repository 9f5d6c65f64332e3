"""Builds offline-plan resource records and runs single policies through the real evaluator."""

from __future__ import annotations

import copy
from typing import Any

from offline_plan.policy_check import LoadedPack, Violation, evaluate
from policies.registry import ALL_POLICIES, PACK_NAME

PROJECT = "memory"
BY_NAME = {p.name: p for p in ALL_POLICIES}


def record(type_: str, name: str, inputs: dict[str, Any], **extra: Any) -> dict[str, Any]:
    urn = extra.pop("urn", f"urn:pulumi:staging::{PROJECT}::{type_}::{name}")
    return {
        "urn": urn,
        "type": type_,
        "name": name,
        "custom": extra.pop("custom", not type_.startswith(PROJECT)),
        "parent": extra.pop("parent", None),
        "provider": extra.pop("provider", ""),
        "dependencies": extra.pop("dependencies", []),
        "propertyDependencies": extra.pop("propertyDependencies", {}),
        "inputs": copy.deepcopy(inputs),
        "options": extra.pop("options", {}),
    }


def run_policy(
    name: str, resources: list[dict[str, Any]], config: dict[str, Any] | None = None, stack: str = "staging"
) -> list[Violation]:
    pack = LoadedPack(name=PACK_NAME, policies=[BY_NAME[name]])
    return evaluate(pack, resources, config, stack, PROJECT)


def mutate(inputs: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """Copy of ``inputs`` with dotted ``path`` set to ``value`` (``DELETE`` removes it)."""
    result = copy.deepcopy(inputs)
    node: Any = result
    parts = path.split(".")
    for part in parts[:-1]:
        node = node[int(part)] if part.isdigit() else node.setdefault(part, {})
    last = parts[-1]
    if value is DELETE:
        if last.isdigit():
            del node[int(last)]
        else:
            node.pop(last, None)
    elif last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value
    return result


DELETE = object()
