"""Custom resources checked against the CRD schemas the plan itself installs.

Every `CustomResourceDefinition` of the plan (the program's own and those rendered from charts,
`crds/` included) contributes the `openAPIV3Schema` of each served version. A custom resource whose
group, version and kind one of them defines is validated with jsonschema, read as the API server reads
a structural schema: `nullable` admits null, and a field the schema does not declare is an error
unless `x-kubernetes-preserve-unknown-fields` keeps it (as `kubectl apply`'s strict field validation
rejects it, instead of silently pruning it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import jsonschema

_OBJECT_ROOT = {"apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"}}


def structural(schema: Any, *, root: bool = False) -> Any:
    """An OpenAPI v3 structural schema as plain JSON Schema (draft 7)."""
    if isinstance(schema, list):
        return [structural(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    converted: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ("properties", "patternProperties", "definitions"):
            converted[key] = {name: structural(item) for name, item in value.items()}
        elif key in ("items", "additionalProperties", "not") or key in ("allOf", "anyOf", "oneOf"):
            converted[key] = structural(value)
        else:
            converted[key] = value
    if converted.pop("nullable", False) and "type" in converted:
        converted["type"] = [converted["type"], "null"]
    if converted.get("x-kubernetes-int-or-string"):
        converted.pop("type", None)
        converted["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if root:
        converted["properties"] = {**_OBJECT_ROOT, **(converted.get("properties") or {})}
    keep_unknown = converted.get("x-kubernetes-preserve-unknown-fields") or converted.get(
        "x-kubernetes-embedded-resource"
    )
    if "properties" in converted and "additionalProperties" not in converted and not keep_unknown:
        converted["additionalProperties"] = False
    return converted


@dataclass(frozen=True)
class CrdSchema:
    group: str
    version: str
    kind: str
    schema: dict[str, Any]
    source: str  # where the CRD came from, for messages

    @cached_property
    def validator(self) -> jsonschema.Draft7Validator:
        return jsonschema.Draft7Validator(structural(self.schema, root=True))


def crd_schemas(objects: Iterable[tuple[str, dict[str, Any]]]) -> dict[tuple[str, str], CrdSchema]:
    """(apiVersion, kind) to its schema, from (source, CustomResourceDefinition body) pairs."""
    schemas: dict[tuple[str, str], CrdSchema] = {}
    for source, body in objects:
        if body.get("kind") != "CustomResourceDefinition":
            continue
        spec = body.get("spec") or {}
        group, kind = spec.get("group"), (spec.get("names") or {}).get("kind")
        if not isinstance(group, str) or not isinstance(kind, str):
            continue
        for version in spec.get("versions") or []:
            schema = (version.get("schema") or {}).get("openAPIV3Schema")
            if isinstance(schema, dict) and version.get("served", True):
                api_version = f"{group}/{version['name']}"
                schemas[(api_version, kind)] = CrdSchema(group, version["name"], kind, schema, source)
    return schemas


def validate_custom_resources(
    objects: Iterable[tuple[str, dict[str, Any]]], schemas: dict[tuple[str, str], CrdSchema]
) -> tuple[list[str], set[str]]:
    """Problems (one line each, naming the file and field) and the sources that a CRD schema checked."""
    problems: list[str] = []
    checked: set[str] = set()
    for source, body in objects:
        schema = schemas.get((str(body.get("apiVersion")), str(body.get("kind"))))
        if schema is None:
            continue
        checked.add(source)
        errors = sorted(schema.validator.iter_errors(body), key=lambda error: list(error.absolute_path))
        for error in errors:
            location = ".".join(str(part) for part in error.absolute_path) or "(root)"
            problems.append(
                f"{source}: {location}: {error.message} "
                f"(schema of {body['kind']} {body['apiVersion']} from {schema.source})"
            )
    return problems, checked
