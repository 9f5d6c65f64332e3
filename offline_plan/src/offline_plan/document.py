"""The plan document: what `offline-plan` writes to `<out>/<stack>/resources.json`, typed once.

The runner produces it, the CLI completes and writes it, and every reader (`policy_check`, the review
report, tests) validates it with `PlanDocument.read()`. A file of another schema version, or not a plan
at all, fails with one message naming the file and what to do. Field names are camelCase on disk, as in
the engine's own JSON; Python code uses the snake_case attributes.

Resource records stay `TypedDict`s: they are plain dicts at run time (policy code and tests index them
like the engine's JSON), and the type checker still knows every key.
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import Any, Final, Literal, NotRequired

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError
from pydantic.alias_generators import to_camel
from typing_extensions import TypedDict

SCHEMA_VERSION: Final = 2
"""Bump when a reader of an older document would misread a newer one (a field renamed or retyped)."""


class PlanDocumentError(ValueError):
    """A file that is not a plan document of this schema version; the message says which and why."""


class ResourceRecord(TypedDict):
    """One registration as the engine sees it (`RegisterResource`/`ReadResource`), inputs redacted."""

    urn: str
    type: str
    name: str
    id: str
    custom: bool
    parent: str | None
    provider: str
    dependencies: list[str]
    propertyDependencies: dict[str, list[str]]
    inputs: dict[str, Any]
    options: dict[str, Any]
    outputs: NotRequired[dict[str, Any]]
    read: NotRequired[bool]
    remote: NotRequired[bool]
    autoname: NotRequired[str]  # the name the engine gave a Kubernetes object the program left unnamed
    renderedFrom: NotRequired[str]


class _Model(BaseModel):
    model_config = ConfigDict(
        frozen=False, extra="forbid", alias_generator=to_camel, populate_by_name=True, validate_by_name=True
    )


class InvokeRecord(TypedDict):
    """One call of a data source or provider function, as the program asked it."""

    token: str  # e.g. aws:ec2/getAmi:getAmi
    args: dict[str, Any]  # secrets redacted
    provider: NotRequired[str]  # the explicit provider reference, if any


class PolicyViolationRecord(_Model):
    policy: str
    enforcement_level: str
    severity: str
    urn: str | None
    message: str
    remediation: str = ""
    description: str = ""


class ReleaseRecord(_Model):
    """A Helm release as the plan rendered it (see `offline_plan.helm`)."""

    urn: str
    release: str
    namespace: str
    chart: str
    version: str
    rendered: bool = Field(description="False when the pin could not be verified or the chart not rendered.")
    digest: str | None = Field(default=None, description="sha256 of the archive rendered.")
    source: str | None = Field(default=None, description="<repository>@<commit> from the cache's provenance.")
    objects: int = 0
    kinds: dict[str, int] = Field(default_factory=dict)
    notes: list[str] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list)
    manifests: list[str] = Field(default_factory=list)


class RenderedResourceRecord(_Model):
    urn: str
    type: str
    name: str
    rendered_from: str = Field(description="URN of the release that rendered it.")


class ChartsSection(_Model):
    cache: str | None = Field(default=None, description="The chart cache (--charts), if one was given.")
    releases: list[ReleaseRecord] = Field(default_factory=list)
    rendered_resources: list[RenderedResourceRecord] = Field(default_factory=list)
    errors: list[str] = Field(default_factory=list, description="Unverifiable pins (CI) or render failures.")


class PodSecuritySection(_Model):
    privileged_namespaces: list[str] = Field(
        default_factory=list, description="Namespaces labelled pod-security.kubernetes.io/enforce=privileged."
    )


class PlanDocument(_Model):
    """Everything one offline plan of one stack found."""

    schema_version: Literal[2] = SCHEMA_VERSION
    project: str
    stack: str
    preview: bool = Field(default=True, description="Planned as `pulumi preview` (unknowns stay unknown).")
    resources: list[ResourceRecord] = Field(default_factory=list)
    outputs: dict[str, Any] = Field(default_factory=dict)
    invokes: list[InvokeRecord] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    manifests: list[str] = Field(default_factory=list, description="Kubernetes object files, path order.")
    manifest_problems: list[str] = Field(default_factory=list)
    prometheus_rule_files: list[str] = Field(default_factory=list)
    alertmanager_config_files: list[str] = Field(
        default_factory=list, description="Alertmanager configurations, credentials as marked placeholders."
    )
    file_checks: dict[str, str] = Field(
        default_factory=dict, description="What promtool and amtool said of the written files, by tool."
    )
    file_check_problems: list[str] = Field(default_factory=list, description="Files a tool rejected.")
    charts: ChartsSection | None = None
    pod_security: PodSecuritySection | None = None
    policy_pack: str | None = None
    policy_violations: list[PolicyViolationRecord] | None = None

    _source: str = PrivateAttr(default="<plan>")

    @property
    def source(self) -> str:
        """Where the document was read from (a path), for messages."""
        return self._source

    @cached_property
    def by_urn(self) -> dict[str, ResourceRecord]:
        """Resources by URN, for readers (built once; a writer appending resources afterwards is not seen)."""
        return {resource["urn"]: resource for resource in self.resources}

    def to_json(self) -> str:
        return self.model_dump_json(by_alias=True, indent=2)

    def write(self, path: Path) -> None:
        path.write_text(self.to_json())

    @classmethod
    def from_recording(cls, recording: dict[str, Any]) -> PlanDocument:
        """The typed plan of what the runner recorded (`runner.Recording.to_json()`), resources by URN."""
        return cls.model_validate(
            {
                **recording,
                "schemaVersion": SCHEMA_VERSION,
                "resources": sorted(recording["resources"], key=lambda resource: resource["urn"]),
            }
        )

    @classmethod
    def from_json(cls, text: str | bytes, source: str = "<plan>") -> PlanDocument:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise PlanDocumentError(
                f"{source}: not JSON ({error}); pass the resources.json offline-plan wrote"
            ) from None
        return cls.from_data(data, source)

    @classmethod
    def from_data(cls, data: Any, source: str = "<plan>") -> PlanDocument:
        if not isinstance(data, dict) or not isinstance(data.get("resources"), list):
            raise PlanDocumentError(
                f"{source}: not an offline-plan document (expected an object with a `resources` list); "
                "pass the resources.json that offline-plan wrote"
            )
        version = data.get("schemaVersion")
        if version != SCHEMA_VERSION:
            raise PlanDocumentError(
                f"{source}: plan schema version {version!r}, this tool reads version {SCHEMA_VERSION}; "
                "plan the stack again with this version of offline-plan"
            )
        try:
            document = cls.model_validate(data)
        except ValidationError as error:
            first = error.errors()[0]
            location = ".".join(str(part) for part in first["loc"])
            raise PlanDocumentError(f"{source}: {location}: {first['msg']}") from None
        document._source = source
        return document

    @classmethod
    def read(cls, path: Path) -> PlanDocument:
        try:
            text = path.read_bytes()
        except FileNotFoundError:
            raise PlanDocumentError(
                f"{path}: no such file; run `offline-plan --stack <stack>` to write it"
            ) from None
        return cls.from_json(text, source=str(path))
