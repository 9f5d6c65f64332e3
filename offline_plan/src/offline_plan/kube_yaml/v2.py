"""v2 remote components, expanded as the provider's `Construct` does (Parse, Normalize, Register)."""

from __future__ import annotations

import copy
import glob
import os
from pathlib import Path
from typing import Any

import yaml

from offline_plan.kube_yaml.kustomize import kustomize_build
from offline_plan.kube_yaml.objects import (
    _GLOB,
    NAMESPACE_TYPE,
    REMOTE_TYPES,
    DeclaredObject,
    Expansion,
    KubeYamlError,
    _group,
    flatten,
    is_namespaced,
    is_url,
    parse_documents,
    type_token,
    url_warning,
)


# -- v2: remote components ---------------------------------------------------------------------------------
def expand_remote(type_: str, name: str, inputs: dict[str, Any], default_namespace: str) -> Expansion | None:
    """The objects a v2 ConfigFile/ConfigGroup/kustomize Directory registers; None for other types.

    `inputs` are the component's plain inputs; the provider's defaults apply (prefix = the
    component's name unless `resourcePrefix` is given, even as "").
    """
    if type_ not in REMOTE_TYPES:
        return None
    expansion = Expansion()
    owner = f"{type_.rsplit(':', 1)[1]} {name}"
    objects: list[dict[str, Any]] = []
    if type_ == "kubernetes:kustomize/v2:Directory":
        directory = str(inputs.get("directory") or "")
        if is_url(directory):
            expansion.warnings.append(url_warning(directory, owner))
        else:
            objects = kustomize_build(directory, expansion.warnings)
        default_namespace = str(inputs.get("namespace") or default_namespace)
    else:
        files = [inputs["file"]] if type_.endswith("ConfigFile") else list(inputs.get("files") or [])
        for file in files:
            objects.extend(
                _read_source(str(file), glob_ok=type_.endswith("ConfigGroup"), expansion=expansion)
            )
        text = inputs.get("yaml")
        texts = text if isinstance(text, list) else [text] if text else []
        for item in texts:
            objects.extend(parse_documents(str(item), f"{owner} yaml"))
        objects.extend(copy.deepcopy(obj) for obj in inputs.get("objs") or [])
    prefix = str(inputs["resourcePrefix"]) if inputs.get("resourcePrefix") is not None else name
    expansion.objects = declare(
        objects,
        default_namespace,
        prefix,
        skip_await=bool(inputs.get("skipAwait")),
        owner=owner,
        warnings=expansion.warnings,
    )
    return expansion


def declare(
    objects: list[dict[str, Any]],
    default_namespace: str,
    prefix: str,
    *,
    skip_await: bool,
    owner: str,
    warnings: list[str],
) -> list[DeclaredObject]:
    """Normalize and name objects as the provider's yaml/v2 `Normalize` and `Register` do.

    Shared by the v2 components here and `helm.sh/v4:Chart` (`helm_v4`), which registers its
    rendered objects through the same code in the provider.
    """
    return _register(
        _normalize(flatten(objects), default_namespace, owner, warnings), prefix, skip_await, owner
    )


def _read_source(source: str, *, glob_ok: bool, expansion: Expansion) -> list[dict[str, Any]]:
    if is_url(source):
        expansion.warnings.append(url_warning(source, "yaml.v2"))
        return []
    paths = sorted(glob.glob(source)) if glob_ok and _GLOB.search(source) else [source]
    objects = []
    for path in paths:
        try:
            text = Path(path).read_text()
        except OSError as error:
            raise KubeYamlError(
                f"reading YAML file from disk: {path}: {error.strerror} (relative to {os.getcwd()})"
            ) from None
        objects.extend(parse_documents(text, path))
    return objects


def _normalize(
    objects: list[dict[str, Any]], default_namespace: str, owner: str, warnings: list[str]
) -> list[dict[str, Any]]:
    unresolved = []
    for obj in objects:
        if not obj.get("kind") or not obj.get("apiVersion"):
            raise KubeYamlError(f"{owner}: Kubernetes resources require a kind and apiVersion: {_brief(obj)}")
        if not (obj.get("metadata") or {}).get("name"):
            raise KubeYamlError(f"{owner}: Kubernetes resources require a .metadata.name: {_brief(obj)}")
        if str(obj["apiVersion"]).startswith("core/"):
            obj["apiVersion"] = str(obj["apiVersion"]).removeprefix("core/")
        if obj["metadata"].get("namespace"):
            continue
        namespaced = is_namespaced(obj, objects)
        if namespaced is None:
            unresolved.append(f"{obj['apiVersion']}/{obj['kind']}")
        elif namespaced:
            obj["metadata"]["namespace"] = default_namespace
    if unresolved:
        warnings.append(
            f"{owner}: cannot tell whether {', '.join(sorted(set(unresolved)))} are namespaced without a "
            "cluster or a matching CustomResourceDefinition, so they are planned without a namespace; set "
            ".metadata.namespace or include the CustomResourceDefinition"
        )
    return objects


def _register(
    objects: list[dict[str, Any]], prefix: str, skip_await: bool, owner: str
) -> list[DeclaredObject]:
    names: dict[tuple[str, str], str] = {}
    declared = []
    for obj in objects:
        metadata = obj["metadata"]
        name = (
            f"{metadata['namespace']}/{metadata['name']}" if metadata.get("namespace") else metadata["name"]
        )
        if prefix:
            name = f"{prefix}:{name}"
        token = type_token(str(obj["apiVersion"]), str(obj["kind"]))
        if (token, name) in names:
            raise KubeYamlError(
                f"{owner}: {token} {name} is declared twice; the engine refuses duplicate URNs"
            )
        names[(token, name)] = name
        if skip_await:
            metadata["annotations"] = {**(metadata.get("annotations") or {}), "pulumi.com/skipAwait": "true"}
        declared.append((token, name, obj))
    rank = {"Namespace": 0, "CustomResourceDefinition": 1}
    declared.sort(key=lambda entry: rank.get(str(entry[2].get("kind")), 2))
    result = []
    for token, name, obj in declared:
        depends = [
            other_name
            for other_token, other_name, other in declared
            if _depends(obj, other_token, other) and other is not obj
        ]
        result.append(DeclaredObject(token, name, obj, tuple(depends)))
    return result


def _depends(obj: dict[str, Any], other_token: str, other: dict[str, Any]) -> bool:
    """The provider's ordering heuristics that matter for a plan: namespace first, then CRD, then CR."""
    namespace = (obj.get("metadata") or {}).get("namespace")
    if other_token == NAMESPACE_TYPE and namespace == other["metadata"]["name"]:
        return True
    if other.get("kind") == "CustomResourceDefinition":
        spec = other.get("spec") or {}
        return bool(
            _group(str(obj.get("apiVersion", ""))) == spec.get("group")
            and obj.get("kind") == (spec.get("names") or {}).get("kind")
        )
    return False


def _brief(obj: Any) -> str:
    text = yaml.safe_dump(obj, default_flow_style=True, width=10_000).strip()
    return text if len(text) <= 100 else text[:97] + "..."
