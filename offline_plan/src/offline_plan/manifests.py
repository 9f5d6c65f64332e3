"""Kubernetes objects of a plan as YAML files, validated against the cluster version's OpenAPI schema."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import jsonschema
import kubernetes_validate
import kubernetes_validate.utils
from referencing import Registry, Resource

from offline_plan.markers import REDACTED, REDACTED_ANNOTATION
from offline_plan.yaml_text import manifest_yaml, to_yaml


@dataclass(frozen=True)
class Manifest:
    path: Path
    kind: str
    name: str
    namespace: str | None
    body: dict[str, Any]


# Where an object of a second cluster goes (a key no Kubernetes object has; removed before writing).
OBJECT_FOLDER_KEY = "__offlinePlanFolder"


class ManifestCollisionError(Exception):
    """Two objects would be written to the same manifest file; the message names both resources."""


def cluster_folders(resources: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """The manifests subfolder of each Kubernetes provider (cluster) of a plan, by provider reference.

    One cluster's objects sit directly under `manifests/`, as they always have: the provider deploying
    the most objects (ties: the smaller URN). Each other cluster's go under `manifests/<provider name>/`,
    since two clusters may each hold an object of the same kind, namespace and name.
    """
    counts: dict[str, int] = {}
    for resource in resources:
        provider = resource.get("provider")
        if resource["type"].startswith("kubernetes:") and provider:
            counts[provider] = counts.get(provider, 0) + 1
    ranked = sorted(counts, key=lambda provider: (-counts[provider], provider))
    return {provider: "" if index == 0 else _provider_name(provider) for index, provider in enumerate(ranked)}


def _provider_name(reference: str) -> str:
    """`urn:...::<name>::<id>` -> `<name>`."""
    return reference.rsplit("::", 2)[-2] if reference.count("::") >= 2 else reference


def kubernetes_objects(resources: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The Kubernetes API objects a plan registers (Helm releases excluded)."""
    return [body for _urn, body in kubernetes_objects_by_urn(resources)]


def kubernetes_objects_by_urn(resources: Sequence[Mapping[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """Each Kubernetes API object of a plan with the URN of the resource that declares it.

    An object of a cluster other than the main one (`cluster_folders`) carries its subfolder in
    `OBJECT_FOLDER_KEY`, which `write_manifests` strips.

    An object the program left unnamed gets the name the engine gave it (`autoname`), as the
    provider names it on `pulumi up`.
    """
    objects = []
    folders = cluster_folders(resources)
    for resource in resources:
        kind_type = resource["type"]
        if not kind_type.startswith("kubernetes:") or kind_type.startswith("kubernetes:helm.sh/"):
            continue
        body = {key: value for key, value in resource["inputs"].items() if not key.startswith("__")}
        if resource.get("autoname") and not (body.get("metadata") or {}).get("name"):
            body["metadata"] = {**(body.get("metadata") or {}), "name": resource["autoname"]}
        if "apiVersion" in body and "kind" in body:
            subfolder = folders.get(resource.get("provider") or "", "")
            if subfolder:
                body[OBJECT_FOLDER_KEY] = subfolder
            objects.append((resource["urn"], _mark_redacted(body)))
    return objects


def _mark_redacted(body: dict[str, Any]) -> dict[str, Any]:
    """A Secret whose data is a Pulumi secret is recorded as one marker; keep the manifest well-formed.

    The redacted fields become empty maps and an annotation names them, so the file stays a valid
    Secret and says plainly that its content was withheld.
    """
    if body.get("kind") != "Secret":
        return body
    redacted = [key for key in ("data", "stringData") if body.get(key) == REDACTED]
    if not redacted:
        return body
    metadata = dict(body.get("metadata") or {})
    metadata["annotations"] = {**(metadata.get("annotations") or {}), REDACTED_ANNOTATION: ",".join(redacted)}
    return {**body, "metadata": metadata, **{key: {} for key in redacted}}


def _path(body: dict[str, Any], folder: Path) -> Path:
    metadata = body.get("metadata") or {}
    name = str(metadata.get("name", "unnamed"))
    folder = folder / body.get(OBJECT_FOLDER_KEY, "")
    return folder / (metadata.get("namespace") or "_cluster") / f"{body['kind'].lower()}-{name}.yaml"


def check_manifest_paths(objects: list[dict[str, Any]], owners: list[str] | None = None) -> None:
    """Two objects with one manifest path are a `ManifestCollisionError` naming both resources.

    `owners` names the resource of each object (by URN); without it the objects are named by kind
    and name.
    """
    seen: dict[Path, str] = {}
    for index, body in enumerate(objects):
        path = _path(body, Path())
        metadata = body.get("metadata") or {}
        name, namespace = metadata.get("name", "unnamed"), metadata.get("namespace")
        owner = owners[index] if owners else f"{body['kind']} {namespace or ''}/{name}"
        if path in seen:
            raise ManifestCollisionError(
                f"{seen[path]} and {owner} both declare {body['kind']} {name!r}"
                f"{f' in namespace {namespace!r}' if namespace else ''} ({path.name}); give one of "
                "them another metadata.name (or namespace)"
            )
        seen[path] = owner


def write_manifests(
    objects: list[dict[str, Any]], folder: Path, owners: list[str] | None = None
) -> list[Manifest]:
    """One YAML file per object: `<namespace or _cluster>/<kind>-<name>.yaml`; the list is in path order.

    Objects arrive in registration order, which varies with the order Outputs resolve; sorting by
    path keeps the plan's `manifests` list (and its validation problems) the same on every run.
    Two objects with one path raise `ManifestCollisionError` before anything is written.
    """
    check_manifest_paths(objects, owners)
    manifests = []
    for placed in objects:
        metadata = placed.get("metadata") or {}
        path = _path(placed, folder)
        body = {key: value for key, value in placed.items() if key != OBJECT_FOLDER_KEY}
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(manifest_yaml(body))
        manifests.append(
            Manifest(
                path, body["kind"], str(metadata.get("name", "unnamed")), metadata.get("namespace"), body
            )
        )
    return sorted(manifests, key=lambda manifest: manifest.path)


class _Object(Protocol):
    @property
    def path(self) -> Path: ...
    @property
    def body(self) -> dict[str, Any]: ...


@functools.cache
def _schema_folder(kubernetes_version: str) -> str:
    """kubernetes-validate's choice: the newest bundled schema not newer than the version asked for."""
    wanted = kubernetes_validate.utils.major_minor(kubernetes_version.removeprefix("v"))
    if wanted > kubernetes_validate.utils.latest_version():
        raise kubernetes_validate.VersionNotSupportedError(version=wanted)
    versions = kubernetes_validate.utils.all_versions()
    chosen = [v for v in versions if kubernetes_validate.utils.major_minor(v) <= wanted][-1]
    return f"kubernetes-json-schema/v{chosen}-local-strict"


@functools.cache
def _definitions(folder: str) -> Resource[Any]:
    return Resource.from_contents(
        kubernetes_validate.utils.schema_contents(f"{folder}/_definitions.json", folder)
    )


@functools.cache
def _validator(kubernetes_version: str, api_version: str, kind: str) -> jsonschema.Draft202012Validator:
    """kubernetes-validate's strict validator for one kind, built once (it re-reads its schema per call)."""
    folder = _schema_folder(kubernetes_version)
    group = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    try:
        schema = kubernetes_validate.utils.schema_contents(f"{folder}/{kind.lower()}-{group}.json", folder)
    except FileNotFoundError:
        raise kubernetes_validate.SchemaNotFoundError(
            version=kubernetes_version, kind=kind, api_version=api_version
        ) from None
    registry: Registry[Any] = Resource.from_contents(schema) @ Registry()
    registry = _definitions(folder) @ registry
    return jsonschema.Draft202012Validator(schema, registry=registry)


def validate(manifests: Sequence[_Object], kubernetes_version: str) -> list[str]:
    """Schema errors, one line each, naming the file; custom resources are checked for shape only."""
    problems = []
    for manifest in manifests:
        try:
            body = manifest.body
            error = jsonschema.exceptions.best_match(
                _validator(kubernetes_version, str(body["apiVersion"]), str(body["kind"])).iter_errors(body)
            )
            if error is not None:
                raise kubernetes_validate.ValidationError(error, version=kubernetes_version)
        except kubernetes_validate.SchemaNotFoundError:
            if not manifest.body.get("apiVersion") or not manifest.body.get("metadata", {}).get("name"):
                problems.append(f"{manifest.path}: custom resource without apiVersion or metadata.name")
        except kubernetes_validate.ValidationError as invalid:
            location = ".".join(str(part) for part in invalid.path) or "(root)"
            problems.append(f"{manifest.path}: {location}: {invalid.message}")
    return problems


PROMETHEUS_RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule"


def write_prometheus_rules(resources: Sequence[Mapping[str, Any]], folder: Path) -> list[Path]:
    """Each recorded PrometheusRule's `spec` as a Prometheus rule file `<name>.yaml` (promtool-checkable).

    A PrometheusRule's spec is exactly a rule file (`groups: [...]`), so Prometheus, `promtool check
    rules` and reviewers read the same text the operator will load. Secret or unknown specs are skipped.
    The paths are returned sorted, not in registration order.
    """
    written = []
    for resource in resources:
        if resource["type"] != PROMETHEUS_RULE:
            continue
        spec = resource["inputs"].get("spec")
        if not isinstance(spec, dict) or "groups" not in spec:
            continue
        name = str((resource["inputs"].get("metadata") or {}).get("name") or resource["name"])
        path = folder / f"{name}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(to_yaml({"groups": spec["groups"]}))
        written.append(path)
    return sorted(written)
