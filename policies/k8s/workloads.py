"""Where each workload kind keeps its pod template, and the pieces policies read from it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from policies.framework import as_list, dig

TEMPLATE_PATHS: dict[str, tuple[str, ...]] = {
    "kubernetes:core/v1:Pod": ("spec",),
    "kubernetes:apps/v1:Deployment": ("spec", "template", "spec"),
    "kubernetes:apps/v1:StatefulSet": ("spec", "template", "spec"),
    "kubernetes:apps/v1:DaemonSet": ("spec", "template", "spec"),
    "kubernetes:apps/v1:ReplicaSet": ("spec", "template", "spec"),
    "kubernetes:batch/v1:Job": ("spec", "template", "spec"),
    "kubernetes:batch/v1:CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
WORKLOAD_TYPES = frozenset(TEMPLATE_PATHS)
LONG_RUNNING_TYPES = WORKLOAD_TYPES - {"kubernetes:batch/v1:Job", "kubernetes:batch/v1:CronJob"}
REPLICATED_TYPES = frozenset({"kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet"})


@dataclass(frozen=True)
class Container:
    kind: str  # "container", "initContainer" or "ephemeralContainer"
    spec: Mapping[str, Any]

    @property
    def name(self) -> str:
        return str(self.spec.get("name", "?"))


def pod_spec(resource_type: str, props: Mapping[str, Any]) -> Mapping[str, Any] | None:
    path = TEMPLATE_PATHS.get(resource_type)
    if path is None:
        return None
    spec = dig(props, *path)
    return spec if isinstance(spec, Mapping) else None


def pod_labels(resource_type: str, props: Mapping[str, Any]) -> Mapping[str, Any]:
    path = TEMPLATE_PATHS.get(resource_type, ())
    labels = (
        dig(props, "metadata", "labels") if len(path) == 1 else dig(props, *path[:-1], "metadata", "labels")
    )
    return labels if isinstance(labels, Mapping) else {}


def namespace_of(props: Mapping[str, Any]) -> str:
    return str(dig(props, "metadata", "namespace", default="default"))


def containers(spec: Mapping[str, Any]) -> Iterator[Container]:
    for key, kind in (
        ("initContainers", "initContainer"),
        ("containers", "container"),
        ("ephemeralContainers", "ephemeralContainer"),
    ):
        for item in as_list(spec.get(key)):
            if isinstance(item, Mapping):
                yield Container(kind, item)


def replicas(props: Mapping[str, Any]) -> int:
    value = dig(props, "spec", "replicas", default=1)
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else 1


def selector_matches(selector: Mapping[str, Any] | None, labels: Mapping[str, Any]) -> bool:
    """Kubernetes label-selector semantics; an empty selector selects everything."""
    if selector is None:
        return False
    for key, value in (dig(selector, "matchLabels", default={}) or {}).items():
        if labels.get(key) != value:
            return False
    for expression in as_list(dig(selector, "matchExpressions")):
        key, operator = dig(expression, "key"), dig(expression, "operator")
        values = as_list(dig(expression, "values"))
        present = key in labels
        if (
            (operator == "In" and labels.get(key) not in values)
            or (operator == "NotIn" and present and labels.get(key) in values)
            or (operator == "Exists" and not present)
            or (operator == "DoesNotExist" and present)
        ):
            return False
    return True
