"""Answer the questions every report section asks of an offline-plan document.

The document is `offline_plan.document.PlanDocument`, the typed model `offline-plan` writes to
`out/<stack>/resources.json`; `load` validates it (schema version included) and fails with the path and
what to do. The policy pack hands its stack policies `PolicyResource` objects instead; `records()` turns
those into the plan's record dicts so cost and timing code is shared.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from offline_plan.document import PlanDocument as Plan
from offline_plan.document import PlanDocumentError as PlanError

__all__ = ["Plan", "PlanError", "load"]

STACK_TYPE = "pulumi:pulumi:Stack"
PROVIDER_PREFIX = "pulumi:providers:"
NO_COMPONENT = "(stack)"

Record = dict[str, Any]


def load(path: Path) -> Plan:
    """Read and validate `resources.json`; a wrong file fails with the path and what was expected."""
    return Plan.read(path)


def is_component_type(resource_type: str) -> bool:
    """Component types have a `pkg:module:Type` token whose package is not a provider package."""
    package = resource_type.split(":", 1)[0]
    return package not in {"aws", "kubernetes", "random", "pulumi", "tls", "command"}


def is_provider(resource: Mapping[str, Any]) -> bool:
    return str(resource["type"]).startswith(PROVIDER_PREFIX)


def is_component(resource: Mapping[str, Any]) -> bool:
    return not resource.get("custom", True) and resource["type"] != STACK_TYPE


def provider_urn(reference: str | None) -> str | None:
    """`<urn>::<id>` → `<urn>`; empty for default-less resources."""
    if not reference:
        return None
    urn, _, _ = reference.rpartition("::")
    return urn or reference


def component_of(resource: Mapping[str, Any], by_urn: Mapping[str, Mapping[str, Any]]) -> str:
    """Top-level component (child of the stack) owning `resource`, e.g. `EksCluster memory-production`."""
    top: Mapping[str, Any] | None = None
    current: Mapping[str, Any] | None = resource
    seen: set[str] = set()
    while current is not None and current["urn"] not in seen:
        seen.add(current["urn"])
        if is_component(current):
            top = current
        parent = current.get("parent")
        current = by_urn.get(parent) if parent else None
    if top is None:
        return NO_COMPONENT
    return component_label(top)


def component_label(component: Mapping[str, Any]) -> str:
    short_type = str(component["type"]).rsplit(":", 1)[-1]
    return f"{short_type} {component.get('name') or urn_name(component['urn'])}"


def urn_name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def urn_type(urn: str) -> str:
    """The resource type in a URN (`urn:pulumi:stack::project::parent$type::name`)."""
    parts = urn.split("::")
    return parts[2].rsplit("$", 1)[-1] if len(parts) >= 4 else ""


def short_type(resource_type: str) -> str:
    """`aws:eks/nodeGroup:NodeGroup` → `aws:NodeGroup`; `kubernetes:apps/v1:Pod` → `kubernetes:Pod`."""
    parts = resource_type.split(":")
    return f"{parts[0]}:{parts[-1]}" if len(parts) >= 3 else resource_type


def default_region(resources: Iterable[Mapping[str, Any]]) -> str | None:
    """Region of the default AWS provider (the stack's `aws:region`), else of the first AWS provider."""
    providers = [r for r in resources if r["type"] == "pulumi:providers:aws"]
    for resource in providers:
        if urn_name(resource["urn"]).startswith("default"):
            return _region(resource)
    return _region(providers[0]) if providers else None


def _region(provider: Mapping[str, Any]) -> str | None:
    region = provider.get("inputs", {}).get("region")
    return str(region) if region else None


def region_of(
    resource: Mapping[str, Any], by_urn: Mapping[str, Mapping[str, Any]], fallback: str | None
) -> str | None:
    """The AWS region a resource is created in, read from its provider's recorded `region` input."""
    provider = by_urn.get(provider_urn(resource.get("provider")) or "")
    if provider is not None and provider["type"] == "pulumi:providers:aws":
        return _region(provider) or fallback
    return fallback


def records(resources: Iterable[Any]) -> list[Record]:
    """Plan records from plan dicts or from pulumi_policy `PolicyResource` objects (stack policies).

    A `PolicyResource` carries `resource_type`, `props`, `urn`, `name`, `provider`, `parent` and
    `dependencies` (objects); providers become records too so regions can be looked up.
    """
    result: dict[str, Record] = {}
    for item in resources:
        if isinstance(item, Mapping):  # a plan document's record: complete, validated by its reader
            result[item["urn"]] = dict(item)
            continue
        provider = getattr(item, "provider", None)
        provider_reference = ""
        if provider is not None:
            provider_reference = f"{provider.urn}::policy"
            result.setdefault(
                provider.urn,
                {
                    "urn": provider.urn,
                    "type": provider.resource_type,
                    "name": provider.name,
                    "custom": True,
                    "parent": None,
                    "provider": "",
                    "dependencies": [],
                    "inputs": dict(provider.props or {}),
                },
            )
        parent = getattr(item, "parent", None)
        result[item.urn] = {
            "urn": item.urn,
            "type": item.resource_type,
            "name": item.name,
            "custom": not is_component_type(item.resource_type),
            "parent": parent.urn if parent is not None else None,
            "provider": provider_reference,
            "dependencies": [dependency.urn for dependency in getattr(item, "dependencies", []) or []],
            "inputs": dict(item.props or {}),
        }
    return list(result.values())


def number(value: Any, default: float = 0.0) -> float:
    """Recorded numbers arrive as floats (JSON) or strings (some provider inputs); unknowns use `default`."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def quantity_gib(value: Any) -> float | None:
    """Kubernetes quantity (`10Gi`, `500M`, `1Ti`) in GiB; None when it is not a storage quantity."""
    units = {
        "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50,
        "k": 10**3, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15,
    }  # fmt: skip
    text = str(value).strip()
    for suffix in sorted(units, key=len, reverse=True):
        if text.endswith(suffix):
            try:
                return float(text[: -len(suffix)]) * units[suffix] / 2**30
            except ValueError:
                return None
    try:
        return float(text) / 2**30
    except ValueError:
        return None
