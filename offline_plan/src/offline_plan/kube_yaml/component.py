"""The recording monitor's side of a v2 component: its children registered, secrets kept secret."""

from __future__ import annotations

import copy
from typing import Any, Protocol

from offline_plan.kube_yaml.objects import DEFAULT_NAMESPACE, REMOTE_TYPES, DeclaredObject
from offline_plan.kube_yaml.v2 import expand_remote
from offline_plan.markers import REDACTED

# -- the recording monitor's side of a v2 component ----------------------------------------------------
_SIG_KEY = "4dabf18193072939515e22adb298388d"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"  # noqa: S105 - the SDK's secret signature
_RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
_UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


class ChildRegistry(Protocol):
    """What `expand_component` needs of the recording monitor."""

    def provider_inputs(self, reference: str) -> dict[str, Any]: ...

    def config_value(self, key: str) -> str | None: ...

    def kubernetes_provider(self, request: Any) -> str: ...

    def register_child(
        self,
        parent: str,
        type_: str,
        name: str,
        body: dict[str, Any],
        *,
        recorded: dict[str, Any],
        provider: str,
        dependencies: list[str],
    ) -> tuple[str, str]: ...

    def warn(self, message: str) -> None: ...


def unwrap(value: Any) -> tuple[Any, bool, bool]:
    """A registration's protobuf-JSON value as plain data, and whether it held an unknown or a secret."""
    if isinstance(value, dict):
        if value.get(_SIG_KEY) == _SECRET_SIG:
            inner, unknown, _ = unwrap(value.get("value"))
            return inner, unknown, True
        items = {key: unwrap(item) for key, item in value.items()}
        return (
            {key: item[0] for key, item in items.items()},
            any(item[1] for item in items.values()),
            any(item[2] for item in items.values()),
        )
    if isinstance(value, list):
        entries = [unwrap(item) for item in value]
        return [e[0] for e in entries], any(e[1] for e in entries), any(e[2] for e in entries)
    if isinstance(value, float) and value.is_integer():
        return int(value), False, False
    return value, value == _UNKNOWN_VALUE, False


def expand_component(
    monitor: ChildRegistry, request: Any, urn: str, inputs_json: dict[str, Any]
) -> dict[str, Any] | None:
    """Register the children of a v2 yaml/kustomize component; its outputs (`resources`), or None.

    None means the type is not one of ours (another remote component). Children are recorded as
    the provider registers them: parented to the component, through the component's Kubernetes
    provider, with every object's full body as inputs (a Secret's data and stringData secret).
    """
    if request.type not in REMOTE_TYPES:
        return None
    inputs, unknown, secret = unwrap(inputs_json)
    owner = f"{request.type} {request.name}"
    if unknown:
        monitor.warn(f"{owner}: input properties have unknown values, so its objects are not in the plan")
        return {"resources": []}
    provider = monitor.kubernetes_provider(request)
    default_namespace = str(
        monitor.provider_inputs(provider).get("namespace")
        or monitor.config_value("kubernetes:namespace")
        or DEFAULT_NAMESPACE
    )
    expansion = expand_remote(request.type, request.name, inputs, default_namespace)
    assert expansion is not None
    for message in expansion.warnings:
        monitor.warn(message)
    return register_declared(monitor, urn, provider, expansion.objects, all_secret=secret)


def register_declared(
    monitor: ChildRegistry, urn: str, provider: str, objects: list[DeclaredObject], *, all_secret: bool
) -> dict[str, Any]:
    """Register declared objects as children of the component `urn`; its `resources` output."""
    urns: dict[str, str] = {}
    references = []
    for declared in objects:
        child_urn, child_id = monitor.register_child(
            urn,
            declared.type,
            declared.name,
            declared.body,
            recorded=_recorded(declared.body, all_secret=all_secret),
            provider=provider,
            dependencies=[urns[name] for name in declared.depends_on if name in urns],
        )
        urns[declared.name] = child_urn
        references.append({_SIG_KEY: _RESOURCE_SIG, "urn": child_urn, "id": child_id, "packageVersion": ""})
    return {"resources": references}


def _recorded(body: dict[str, Any], *, all_secret: bool) -> dict[str, Any]:
    """The body as the plan shows it: secret values redacted.

    A Secret's data and stringData always are (the provider marks them secret). When the component's
    inputs were secret, every string outside apiVersion, kind and the object's name and namespace is,
    so the manifest keeps its shape (and validates) while no value of it reaches a plan file.
    """
    recorded = copy.deepcopy(body)
    if all_secret:
        for key in set(recorded) - {"apiVersion", "kind"}:
            recorded[key] = _redact_strings(recorded[key])
        metadata = body.get("metadata") or {}
        for key in ("name", "namespace"):
            if key in metadata:
                recorded["metadata"][key] = metadata[key]
    if body.get("kind") == "Secret":
        for key in {"data", "stringData"} & set(recorded):
            recorded[key] = REDACTED
    return recorded


def _redact_strings(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _redact_strings(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_redact_strings(item) for item in value]
    return REDACTED if isinstance(value, str) else value
