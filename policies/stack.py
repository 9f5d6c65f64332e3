"""Whole-stack policies: disaster recovery in production (and every DR resource outside the primary's
region), one environment tag value across the stack, and a resource-count sanity check against runaway
loops.

A DR resource is any custom resource whose parent chain contains a component whose type name is in
``drComponentTypes`` (default ``DisasterRecovery``). Its region is its own ``region`` input (pulumi-aws v7)
or its provider's ``region``; with no ``drRegion`` configured, a DR resource must not share a region
with any primary (non-DR) resource. Production is recognised by the stack name (``productionStacks``)
or by ``requireDisasterRecovery`` in the production policy config.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pulumi
from pulumi_policy import PolicyResource, Severity
from pulumi_policy.proxy import UnknownValueError

from policies.aws.tags import TAGGABLE_TYPES
from policies.framework import (
    ADVISORY,
    ancestors,
    as_list,
    per_resource,
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


def _region(resource: PolicyResource, config: Mapping[str, Any]) -> str | None:
    try:
        return resource_subject(resource, config).region
    except UnknownValueError:
        return None


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
    dr_urns = {r.urn for r in dr_resources}
    primary_regions = {
        region
        for r in resources
        if r.resource_type.startswith("aws:")
        and r.urn not in dr_urns
        and (region := _region(r, config)) is not None
    }
    dr_aws = [r for r in custom if r.resource_type.startswith("aws:")]
    dr_regions = {region for r in dr_aws if (region := _region(r, config)) is not None}
    if not dr_region and dr_regions and primary_regions and dr_regions <= primary_regions:
        yield (
            f"Every DR resource is in {', '.join(sorted(dr_regions))}, a region the primary resources also "
            "use, so one regional outage takes both.",
            None,
        )
    for resource in custom:
        if not resource.resource_type.startswith("aws:"):
            continue
        region = _region(resource, config)
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
    covers=lambda t: t.startswith("aws:"),
    config={
        "requireDisasterRecovery": {"type": "boolean", "default": False},
        "productionStacks": {"type": "array", "items": {"type": "string"}, "default": ["production"]},
        "drRegion": {"type": "string", "default": ""},
        "drComponentTypes": {"type": "array", "items": {"type": "string"}, "default": ["DisasterRecovery"]},
    },
)


def _one_environment(
    resources: Sequence[PolicyResource], config: Mapping[str, Any]
) -> Iterator[tuple[str, str | None]]:
    environments: Counter[str] = Counter()

    def count(resource: PolicyResource) -> Iterator[tuple[str, str | None]]:
        environment = tags_of(resource_subject(resource, config)).get("environment")
        if environment:
            environments[str(environment)] += 1
        return iter(())

    yield from per_resource((r for r in resources if r.resource_type in TAGGABLE_TYPES), count)
    if len(environments) > 1:
        values = ", ".join(f"{value} ({n})" for value, n in sorted(environments.items()))
        yield f"The stack mixes environment tag values: {values}; one stack is one environment.", None


stack_one_environment = stack_policy(
    name="stack-all-resource-one-environment-tag",
    description="All tagged resources of a stack carry the same environment tag value.",
    severity=Severity.MEDIUM,
    remediation="Apply tags from the one shared tags helper, built from the stack's environment.",
    check=_one_environment,
    enforcement_level=ADVISORY,
    covers=TAGGABLE_TYPES,
)


def _resource_count(
    resources: Sequence[PolicyResource], config: Mapping[str, Any]
) -> Iterator[tuple[str, str | None]]:
    custom = [r for r in resources if not r.resource_type.startswith("pulumi:")]
    low, high = int(config.get("minResources", 0)), int(config.get("maxResources", 1000))
    per_type_limit = int(config.get("maxPerType", 100))
    if not low <= len(custom) <= high:
        declared = f"{len(custom)} resource{'' if len(custom) == 1 else 's'}"
        yield f"The stack declares {declared}, outside the expected range {low}-{high}.", None
    for resource_type, count in Counter(r.resource_type for r in custom).items():
        if count > per_type_limit:
            yield f"The stack declares {count} {resource_type} resources, more than {per_type_limit}.", None


resource_count = stack_policy(
    name="stack-all-resource-count-sanity",
    description="The stack's resource count is within sane bounds (catches runaway loops).",
    severity=Severity.LOW,
    remediation="Check the loop or config that produced the count, or adjust the policy's bounds.",
    check=_resource_count,
    enforcement_level=ADVISORY,
    config={
        # 0: a stack that only exports outputs (or reads existing resources) is a valid stack.
        "minResources": {"type": "integer", "minimum": 0, "default": 0},
        "maxResources": {"type": "integer", "minimum": 1, "default": 1000},
        "maxPerType": {"type": "integer", "minimum": 1, "default": 100},
    },
)

POLICIES = [disaster_recovery, stack_one_environment, resource_count]
