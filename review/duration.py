"""Estimated `pulumi up` duration from scratch: the critical path through the recorded graph.

The engine creates resources in parallel (default parallelism is unbounded) and a resource starts
when everything it waits on is created. A resource waits on:
- its `dependencies` (inputs that reference other resources, and `depends_on`); a dependency on a
  component means all of that component's custom descendants;
- its parent when the parent is a custom resource: the SDK awaits the parent's URN, which a custom
  resource has only once created. A component parent registers instantly, so its children do not wait;
- its explicit provider (a Kubernetes provider waits on the cluster it talks to).
Creation minutes per type are data with sources (`review/data/create-times.json`). Edges that come
from `depends_on` alone (in `dependencies` but in no input's `propertyDependencies`) are marked on the
printed path: they are the ones that can serialise work without a data reason.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from review.plan import STACK_TYPE, Record, is_component, is_provider, provider_urn, records, urn_name

TIMES_PATH = Path(__file__).parent / "data" / "create-times.json"


@cache
def time_table(path: Path = TIMES_PATH) -> dict[str, Any]:
    table: dict[str, Any] = json.loads(path.read_text())
    return table


@dataclass(frozen=True)
class Step:
    urn: str
    type: str
    name: str
    minutes: float
    finishes_at: float
    waits_via: str  # how this step waits on the previous one: dependency, dependsOn, parent, provider, start


@dataclass(frozen=True)
class DurationEstimate:
    minutes: float
    low_minutes: float
    high_minutes: float
    serial_minutes: float
    critical_path: list[Step]
    resources: int
    finish_minutes: dict[str, float] = field(default_factory=dict)  # URN -> typical minute it is created

    @property
    def explicit_edges(self) -> list[Step]:
        """Steps on the critical path that wait only because of `depends_on`."""
        return [step for step in self.critical_path if step.waits_via == "dependsOn"]

    def as_json(self) -> dict[str, Any]:
        return {
            "minutes": round(self.minutes, 1),
            "rangeMinutes": [round(self.low_minutes, 1), round(self.high_minutes, 1)],
            "serialMinutes": round(self.serial_minutes, 1),
            "resources": self.resources,
            "criticalPath": [step.__dict__ for step in self.critical_path],
        }


def type_key(resource: Mapping[str, Any]) -> str:
    """Type token, refined where one type has very different creation times."""
    inputs = resource.get("inputs") or {}
    resource_type = str(resource["type"])
    owns_credentials = inputs.get("masterUsername") or inputs.get("manageMasterUserPassword")
    if (
        resource_type == "aws:rds/cluster:Cluster"
        and inputs.get("globalClusterIdentifier")
        and not owns_credentials
    ):
        return f"{resource_type}#globalSecondary"
    service_type = (inputs.get("spec") or {}).get("type")
    if resource_type == "kubernetes:core/v1:Service" and service_type == "LoadBalancer":
        return f"{resource_type}#LoadBalancer"
    return resource_type


def creation_minutes(
    resource: Mapping[str, Any], table: Mapping[str, Any], bound: int | None = None
) -> float:
    """Typical minutes (bound None), or the low (0) / high (1) end of the range."""
    if is_component(resource) or resource["type"] == STACK_TYPE:
        return float(table["defaultMinutes"]["component"])
    if is_provider(resource):
        return float(table["defaultMinutes"]["provider"])
    entry = table["types"].get(type_key(resource)) or table["types"].get(resource["type"])
    if entry is None:
        kind = "kubernetes" if str(resource["type"]).startswith("kubernetes:") else "custom"
        return float(table["defaultMinutes"][kind])
    return float(entry["minutes"] if bound is None else entry["range"][bound])


class _Graph:
    def __init__(self, resources: list[Record]) -> None:
        self.by_urn = {resource["urn"]: resource for resource in resources}
        self.children: dict[str, list[str]] = {}
        for resource in resources:
            if resource.get("parent"):
                self.children.setdefault(resource["parent"], []).append(resource["urn"])
        self.waits = {urn: self._waits_on(resource) for urn, resource in self.by_urn.items()}

    def _custom_descendants(self, urn: str) -> list[str]:
        found: list[str] = []
        stack = list(self.children.get(urn, []))
        while stack:
            child = stack.pop()
            if is_component(self.by_urn[child]):
                stack.extend(self.children.get(child, []))
            else:
                found.append(child)
        return found

    def _waits_on(self, resource: Record) -> dict[str, str]:
        """Predecessor URN → how the resource waits on it."""
        by_property = resource.get("propertyDependencies") or {}
        property_deps = {urn for urns in by_property.values() for urn in urns}
        has_property_record = "propertyDependencies" in resource
        waits: dict[str, str] = {}
        for urn in resource.get("dependencies") or []:
            via = "dependsOn" if has_property_record and urn not in property_deps else "dependency"
            target = self.by_urn.get(urn)
            if target is None:
                continue
            targets = self._custom_descendants(urn) if is_component(target) else [urn]
            for each in targets:
                waits.setdefault(each, via)
        parent = self.by_urn.get(resource.get("parent") or "")
        if parent is not None and not is_component(parent) and parent["type"] != STACK_TYPE:
            waits.setdefault(parent["urn"], "parent")
        provider = provider_urn(resource.get("provider"))
        if provider is not None and provider in self.by_urn and provider != resource["urn"]:
            waits.setdefault(provider, "provider")
        return waits

    def schedule(self, minutes: Mapping[str, float]) -> tuple[dict[str, float], dict[str, str | None]]:
        finish: dict[str, float] = {}
        previous: dict[str, str | None] = {}
        visiting: set[str] = set()

        def visit(urn: str) -> float:
            if urn in finish:
                return finish[urn]
            if urn in visiting:  # a cycle cannot deploy; treat the back edge as absent
                return 0.0
            visiting.add(urn)
            start, before = 0.0, None
            for predecessor in sorted(self.waits[urn]):
                done = visit(predecessor)
                if done > start:
                    start, before = done, predecessor
            visiting.discard(urn)
            finish[urn] = start + minutes[urn]
            previous[urn] = before
            return finish[urn]

        for urn in self.by_urn:
            visit(urn)
        return finish, previous


def deploy_duration(resources: Iterable[Any], table: Mapping[str, Any] | None = None) -> DurationEstimate:
    """Critical-path minutes (typical, low, high) and the path itself."""
    table = table if table is not None else time_table()
    graph = _Graph(records(resources))
    typical = {urn: creation_minutes(resource, table) for urn, resource in graph.by_urn.items()}
    finish, previous = graph.schedule(typical)
    low, _ = graph.schedule({urn: creation_minutes(r, table, 0) for urn, r in graph.by_urn.items()})
    high, _ = graph.schedule({urn: creation_minutes(r, table, 1) for urn, r in graph.by_urn.items()})
    if not finish:
        return DurationEstimate(0.0, 0.0, 0.0, 0.0, [], 0)
    last = max(finish, key=lambda urn: (finish[urn], urn))
    path: list[Step] = []
    current: str | None = last
    while current is not None:
        before = previous[current]
        resource = graph.by_urn[current]
        path.append(
            Step(
                urn=current,
                type=resource["type"],
                name=resource.get("name") or urn_name(current),
                minutes=typical[current],
                finishes_at=finish[current],
                waits_via=graph.waits[current][before] if before else "start",
            )
        )
        current = before
    path.reverse()
    return DurationEstimate(
        minutes=finish[last],
        low_minutes=max(low.values()),
        high_minutes=max(high.values()),
        serial_minutes=sum(typical.values()),
        critical_path=[step for step in path if step.minutes > 0 or step.waits_via != "provider"],
        resources=len(graph.by_urn),
        finish_minutes=finish,
    )
