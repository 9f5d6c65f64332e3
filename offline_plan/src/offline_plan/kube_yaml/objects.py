"""Kubernetes objects from YAML text: parsing, List flattening, namespaced kinds, type tokens."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

DECODE = "kubernetes:yaml:decode"
KUSTOMIZE = "kubernetes:kustomize:directory"
REMOTE_TYPES = frozenset(
    {"kubernetes:yaml/v2:ConfigGroup", "kubernetes:yaml/v2:ConfigFile", "kubernetes:kustomize/v2:Directory"}
)
DEFAULT_NAMESPACE = "default"
NAMESPACE_TYPE = "kubernetes:core/v1:Namespace"
_KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
_GLOB = re.compile(r"(?:^|[^\\])[*?\[]")  # the provider's isGlobPattern

# Cluster-scoped kinds of the built-in API groups (`kubectl api-resources --namespaced=false`).
CLUSTER_SCOPED = frozenset(
    {
        "APIService",
        "CertificateSigningRequest",
        "ClusterRole",
        "ClusterRoleBinding",
        "ClusterTrustBundle",
        "ComponentStatus",
        "CSIDriver",
        "CSINode",
        "CustomResourceDefinition",
        "DeviceClass",
        "FlowSchema",
        "IngressClass",
        "IPAddress",
        "MutatingAdmissionPolicy",
        "MutatingAdmissionPolicyBinding",
        "MutatingWebhookConfiguration",
        "Namespace",
        "Node",
        "PersistentVolume",
        "PriorityClass",
        "PriorityLevelConfiguration",
        "RuntimeClass",
        "SelfSubjectAccessReview",
        "SelfSubjectReview",
        "SelfSubjectRulesReview",
        "ServiceCIDR",
        "StorageClass",
        "StorageVersionMigration",
        "SubjectAccessReview",
        "TokenReview",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "ValidatingWebhookConfiguration",
        "VolumeAttachment",
        "VolumeAttributesClass",
    }
)


class KubeYamlError(Exception):
    """Declared YAML the provider would refuse; the message names the source and the object."""


@dataclass(frozen=True)
class DeclaredObject:
    """One object a v2 component registers: its type token, Pulumi resource name and body."""

    type: str
    name: str
    body: dict[str, Any]
    depends_on: tuple[str, ...] = ()  # resource names of objects in the same component


@dataclass
class Expansion:
    objects: list[DeclaredObject] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


# -- parsing -------------------------------------------------------------------------------------------
def is_url(source: str) -> bool:
    """A source with a scheme (`https://`, `git::`, `ssh://`) or an scp-like git address."""
    return bool(re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:(//|:)", source)) or source.startswith("git@")


def url_warning(source: str, owner: str) -> str:
    return (
        f"{owner}: {source} is a URL; the offline plan fetches nothing, so the objects it declares are "
        "not in the plan (download the file into the project and point the program at it to plan them)"
    )


def parse_documents(text: str, source: str) -> list[dict[str, Any]]:
    """Every non-empty document of a (multi-document) YAML or JSON text; a non-mapping is an error."""
    try:
        documents = list(yaml.safe_load_all(text))
    except yaml.YAMLError as error:
        raise KubeYamlError(f"{source}: not valid YAML: {error}") from None
    objects = []
    for index, document in enumerate(documents):
        if document is None or document == {}:
            continue
        if not isinstance(document, dict):
            raise KubeYamlError(
                f"{source}: document {index + 1} is a {type(document).__name__}, not a Kubernetes object"
            )
        objects.append(document)
    return objects


def flatten(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`List` kinds (v1/List, ConfigMapList, ...) replaced by their items, as the provider does."""
    flat: list[dict[str, Any]] = []
    for obj in objects:
        if str(obj.get("kind", "")).endswith("List") and isinstance(obj.get("items"), list):
            flat.extend(flatten([item for item in obj["items"] if item]))
        else:
            flat.append(obj)
    return flat


def _group(api_version: str) -> str:
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


def is_namespaced(obj: dict[str, Any], objects: list[dict[str, Any]]) -> bool | None:
    """Whether the object's kind is namespaced: built-in kinds by table, custom ones by their CRD."""
    group, kind = _group(str(obj.get("apiVersion", ""))), str(obj.get("kind", ""))
    if group in {"", "core"} or "." not in group or group.endswith(".k8s.io"):
        return kind not in CLUSTER_SCOPED
    for crd in objects:
        spec = crd.get("spec") or {}
        if (
            crd.get("kind") == "CustomResourceDefinition"
            and spec.get("group") == group
            and (spec.get("names") or {}).get("kind") == kind
        ):
            return bool(spec.get("scope", "Namespaced") == "Namespaced")
    return None


def type_token(api_version: str, kind: str) -> str:
    """`kubernetes:<group>/<version>:<Kind>`; the core group is `core`."""
    group_version = api_version if "/" in api_version else f"core/{api_version}"
    return f"kubernetes:{group_version}:{kind}"
