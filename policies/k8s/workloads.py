"""Where each workload kind keeps its pod template, and the pieces policies read from it."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, Severity

from policies.framework import MANDATORY, Subject, as_list, dig, resource_policy

_TEMPLATE = ("spec", "template", "spec")
_JOB_TEMPLATE = ("spec", "jobTemplate", "spec", "template", "spec")
# Every pulumi-kubernetes kind that carries a pod spec, and where (tests/policies/test_k8s_coverage.py
# reads the SDK's own Args classes and fails when a kind is missing). Patch kinds are left out: a patch
# that omits a field does not unset it.
TEMPLATE_PATHS: dict[str, tuple[str, ...]] = {
    "kubernetes:core/v1:Pod": ("spec",),
    "kubernetes:core/v1:PodTemplate": ("template", "spec"),
    "kubernetes:core/v1:ReplicationController": _TEMPLATE,
    **{
        f"kubernetes:{version}:{kind}": _TEMPLATE
        for version, kinds in {
            "apps/v1": ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"),
            "apps/v1beta1": ("Deployment", "StatefulSet"),
            "apps/v1beta2": ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"),
            "extensions/v1beta1": ("Deployment", "DaemonSet", "ReplicaSet"),
            "batch/v1": ("Job",),
        }.items()
        for kind in kinds
    },
    **{f"kubernetes:{v}:CronJob": _JOB_TEMPLATE for v in ("batch/v1", "batch/v1beta1", "batch/v2alpha1")},
}
WORKLOAD_TYPES = frozenset(TEMPLATE_PATHS)
POD_TEMPLATE = "kubernetes:core/v1:PodTemplate"
RUNNING_TYPES = WORKLOAD_TYPES - {POD_TEMPLATE}
"""Kinds whose pods run (a PodTemplate is only a template other objects copy)."""
LONG_RUNNING_TYPES = frozenset(t for t in RUNNING_TYPES if not t.endswith("Job"))
REPLICATED_TYPES = frozenset(
    t
    for t in WORKLOAD_TYPES
    if t.endswith((":Deployment", ":StatefulSet", ":ReplicaSet", ":ReplicationController"))
)


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


def pod_metadata(resource_type: str, props: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """The pod's (or pod template's) ``metadata.<key>``: labels or annotations."""
    path = TEMPLATE_PATHS.get(resource_type, ())
    found = dig(props, "metadata", key) if len(path) == 1 else dig(props, *path[:-1], "metadata", key)
    return found if isinstance(found, Mapping) else {}


def pod_labels(resource_type: str, props: Mapping[str, Any]) -> Mapping[str, Any]:
    return pod_metadata(resource_type, props, "labels")


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


# Pod Security admission admits any pod in a namespace labelled `enforce: privileged`; the pack's config
# lists those namespaces (the offline plan's `podSecurity.privilegedNamespaces` says which they are).
PRIVILEGED_NAMESPACES = "privilegedNamespaces"
_PRIVILEGED_SCHEMA: Mapping[str, Any] = {
    "type": "array",
    "items": {"type": "string"},
    "default": [],
    "description": "Namespaces labelled pod-security.kubernetes.io/enforce=privileged, exempt from this rule.",
}
PodCheck = Callable[[Subject, Mapping[str, Any]], Iterator[str]]


def workload_policy(
    *,
    name: str,
    description: str,
    severity: Severity,
    remediation: str,
    check: PodCheck,
    enforcement_level: EnforcementLevel = MANDATORY,
    resource_types: frozenset[str] = WORKLOAD_TYPES,
    config: Mapping[str, Mapping[str, Any]] | None = None,
    pod_security: bool = False,
) -> ResourceValidationPolicy:
    """`pod_security`: a Pod Security "restricted" rule, which a namespace enforcing "privileged" waives."""

    def run(subject: Subject) -> Iterator[str]:
        spec = pod_spec(subject.resource_type, subject.props)
        if spec is None:
            yield "has no pod template spec to check"
            return
        if pod_security and namespace_of(subject.props) in as_list(subject.config.get(PRIVILEGED_NAMESPACES)):
            return
        yield from check(subject, spec)

    if pod_security:
        config = {**(config or {}), PRIVILEGED_NAMESPACES: _PRIVILEGED_SCHEMA}

    return resource_policy(
        name=name,
        description=description,
        severity=severity,
        remediation=remediation,
        resource_types=resource_types,
        check=run,
        enforcement_level=enforcement_level,
        config=config,
    )
