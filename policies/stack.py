"""Whole-stack policies: disaster recovery in production (and every DR resource in the DR region),
required tags across the stack, and a resource-count sanity check against runaway loops.

A DR resource is any custom resource whose parent chain contains a component whose type name is in
``drComponentTypes`` (default ``DisasterRecovery``). Its region is its own ``region`` input (pulumi-aws v7)
or its explicit provider's ``region``. Production is recognised by the stack name (``productionStacks``)
or by ``requireDisasterRecovery`` in the production policy config.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pulumi
from pulumi_policy import PolicyResource, Severity

from policies.aws.tags import TAGGABLE_TYPES, missing_tags
from policies.framework import (
    ADVISORY,
    REQUIRED_TAGS,
    ancestors,
    as_list,
    resource_subject,
    stack_policy,
    tags_of,
)


def _is_production(config: Mapping[str, Any]) -> bool:
    return bool(config.get("requireDisasterRecovery")) or pulumi.get_stack() in as_list(
        config.get("productionStacks", ["production"])
    )


def _is_dr(resource: PolicyResource, component_types: list[str]) -> bool:
    return any(a.resource_type.rsplit(":", 1)[-1] in component_types for a in ancestors(resource))


def _disaster_recovery(
    resources: Sequence[PolicyResource], config: Mapping[str, Any]
) -> Iterator[tuple[str, str | None]]:
    component_types = as_list(config.get("drComponentTypes", ["DisasterRecovery"]))
    dr_region = config.get("drRegion") or None
    dr_resources = [
        r
        for r in resources
        if _is_dr(r, component_types) and not r.resource_type.startswith("pulumi:providers:")
    ]
    custom = [r for r in dr_resources if r.resource_type.startswith(("aws:", "kubernetes:"))]
    if _is_production(config) and not custom:
        yield (
            f"Stack '{pulumi.get_stack()}' is a production stack but creates no disaster-recovery resources "
            f"(nothing under a {component_types} component).",
            None,
        )
    for resource in custom:
        if not resource.resource_type.startswith("aws:"):
            continue
        region = resource_subject(resource, config).region
        if region is None:
            yield (
                f"DR resource {resource.resource_type} '{resource.name}' uses the default provider, so its "
                "region is the primary region.",
                resource.urn,
            )
        elif dr_region and region != dr_region:
            yield (
                f"DR resource {resource.resource_type} '{resource.name}' is in {region}, not the DR region "
                f"{dr_region}.",
                resource.urn,
            )


disaster_recovery = stack_policy(
    name="stack-all-resource-disaster-recovery",
    description="Production stacks have DR enabled, and every DR resource lives in the DR region.",
    severity=Severity.HIGH,
    remediation="Enable disaster recovery in the stack config and give every DR resource the DR-region provider.",
    check=_disaster_recovery,
    config={
        "requireDisasterRecovery": {"type": "boolean", "default": False},
        "productionStacks": {"type": "array", "items": {"type": "string"}, "default": ["production"]},
        "drRegion": {"type": "string", "default": ""},
        "drComponentTypes": {"type": "array", "items": {"type": "string"}, "default": ["DisasterRecovery"]},
    },
)


def _stack_tags(
    resources: Sequence[PolicyResource], config: Mapping[str, Any]
) -> Iterator[tuple[str, str | None]]:
    environments: Counter[str] = Counter()
    for resource in resources:
        if resource.resource_type not in TAGGABLE_TYPES:
            continue
        subject = resource_subject(resource, config)
        missing = missing_tags(subject)
        if missing:
            yield (
                f"{resource.resource_type} '{resource.name}' is missing required tags {missing}.",
                resource.urn,
            )
        environment = tags_of(subject).get("environment")
        if environment:
            environments[str(environment)] += 1
    if len(environments) > 1:
        yield (
            f"The stack mixes environment tag values {dict(environments)}; one stack is one environment.",
            None,
        )


stack_required_tags = stack_policy(
    name="stack-all-resource-required-tags",
    description="Every taggable resource in the stack has the required tags and one environment value.",
    severity=Severity.MEDIUM,
    remediation="Apply tags from the one shared tags helper, built from the stack's environment.",
    check=_stack_tags,
    enforcement_level=ADVISORY,
    config={"requiredTags": {"type": "array", "items": {"type": "string"}, "default": list(REQUIRED_TAGS)}},
)


def _resource_count(
    resources: Sequence[PolicyResource], config: Mapping[str, Any]
) -> Iterator[tuple[str, str | None]]:
    custom = [r for r in resources if not r.resource_type.startswith("pulumi:")]
    low, high = int(config.get("minResources", 1)), int(config.get("maxResources", 1000))
    per_type_limit = int(config.get("maxPerType", 100))
    if not low <= len(custom) <= high:
        yield f"The stack declares {len(custom)} resources, outside the expected range {low}-{high}.", None
    for resource_type, count in Counter(r.resource_type for r in custom).items():
        if count > per_type_limit:
            yield f"The stack declares {count} {resource_type} resources, more than {per_type_limit}.", None


resource_count = stack_policy(
    name="stack-all-resource-count-sanity",
    description="The stack's resource count is within sane bounds (catches runaway loops and empty programs).",
    severity=Severity.LOW,
    remediation="Check the loop or config that produced the count, or adjust the policy's bounds.",
    check=_resource_count,
    enforcement_level=ADVISORY,
    config={
        "minResources": {"type": "integer", "minimum": 0, "default": 1},
        "maxResources": {"type": "integer", "minimum": 1, "default": 1000},
        "maxPerType": {"type": "integer", "minimum": 1, "default": 100},
    },
)

POLICIES = [disaster_recovery, stack_required_tags, resource_count]
