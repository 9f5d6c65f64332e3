"""Small building blocks every policy module uses.

A policy here is a real ``pulumi_policy`` object; severity and remediation text live on it through the
SDK's own ``severity`` and ``remediation_steps`` fields, so the CLI, Pulumi Cloud and the offline
evaluator all read the same data. Resource checks are generators of "problem" clauses; the wrapper turns
each into one full sentence naming the resource and the fix.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    PolicyProviderResource,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, _is_unknown

from infra.standards import SECRET_MARKER
from offline_plan.markers import UNKNOWN
from policies.ids import policy_id

MANDATORY = EnforcementLevel.MANDATORY
ADVISORY = EnforcementLevel.ADVISORY
SECRET_PLACEHOLDER = SECRET_MARKER  # what the offline plan records for a secret value
UNKNOWN_MARKER = UNKNOWN
"""How the offline plan records a value that is unknown during preview (the engine sends a sentinel)."""


@dataclass(frozen=True)
class Subject:
    """The resource a check looks at: type, name, inputs, provider and the policy's config."""

    resource_type: str
    name: str
    urn: str
    props: Mapping[str, Any]
    config: Mapping[str, Any]
    provider: PolicyProviderResource | None = None
    parent: PolicyResource | None = None

    def get(self, *path: str | int, default: Any = None) -> Any:
        return dig(self.props, *path, default=default)

    @property
    def label(self) -> str:
        return f"{self.resource_type} '{self.name}'"

    @property
    def region(self) -> str | None:
        """Per-resource ``region`` input (pulumi-aws v7) or the explicit provider's region."""
        own = known(self.props.get("region"), "region")
        if isinstance(own, str) and own:
            return own
        if self.provider is not None:
            prov = self.provider.props.get("region")
            if isinstance(prov, str) and prov:
                return prov
        return None


Check = Callable[[Subject], Iterable[str]]
StackCheck = Callable[[Sequence[PolicyResource], Mapping[str, Any]], Iterable[tuple[str, str | None]]]


def is_unknown(value: Any) -> bool:
    """True for a value only known after the update: the engine's sentinels or the offline plan's marker."""
    return value == UNKNOWN_MARKER or (isinstance(value, str) and _is_unknown(value))


def known(value: Any, *path: str | int) -> Any:
    """``value``, or raise the SDK's UnknownValueError, which the engine reports as an advisory note."""
    if is_unknown(value):
        raise UnknownValueError(
            value if value != UNKNOWN_MARKER else UNKNOWN_STRING_VALUE, [str(p) for p in path]
        )
    return value


def dig(value: Any, *path: str | int, default: Any = None) -> Any:
    """Walk nested mappings and sequences; any missing step yields ``default``.

    A value unknown during preview raises UnknownValueError (like the engine's proxy does), so a check
    never mistakes "not known yet" for "unset": the engine turns it into an advisory note.
    """
    known(value)
    for index, step in enumerate(path):
        if isinstance(step, int):
            if is_list(value) and -len(value) <= step < len(value):
                value = known(value[step], *path[: index + 1])
                continue
            return default
        if isinstance(value, Mapping) and step in value:
            value = known(value[step], *path[: index + 1])
            continue
        return default
    return default if value is None else value


def plural(count: Any, noun: str) -> str:
    """ "1 day", "3 days": a count with its noun, for full sentences."""
    return f"{count} {noun}" if str(count) == "1" else f"{count} {noun}s"


def is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def as_list(value: Any) -> list[Any]:
    """A list for a sequence, ``[value]`` for a scalar, ``[]`` for ``None``."""
    if value is None:
        return []
    if is_list(value):
        return list(value)
    return [value]


def truthy(value: Any) -> bool:
    """True for ``True`` and for the string ``"true"`` (some AWS inputs are typed as strings)."""
    return value is True or (isinstance(value, str) and value.lower() == "true")


def is_set(value: Any) -> bool:
    """A value is set when it is present and not empty; the offline plan's secret placeholder counts."""
    if isinstance(value, Mapping) or is_list(value):
        return len(value) > 0
    return value is not None and value != ""


def parse_document(value: Any) -> Mapping[str, Any] | None:
    """An IAM/bucket policy document from a JSON string or a mapping; None if unparseable."""
    if isinstance(value, Mapping):
        return value
    if isinstance(value, str) and value.strip().startswith("{"):
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            return None
        return parsed if isinstance(parsed, dict) else None
    return None


def statements(document: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    if document is None:
        return []
    return [s for s in as_list(document.get("Statement")) if isinstance(s, Mapping)]


def tags_of(subject: Subject) -> dict[str, Any]:
    """Resource tags merged over the explicit AWS provider's ``defaultTags.tags``."""
    merged: dict[str, Any] = {}
    if subject.provider is not None:
        default_tags = subject.provider.props.get("defaultTags")
        # A default provider's inputs come from stack config (`aws:defaultTags`), i.e. a JSON string.
        parsed = parse_document(default_tags) if isinstance(default_tags, str) else default_tags
        tags = dig(parsed, "tags", default={})
        if isinstance(tags, Mapping):
            merged.update(tags)
    own = subject.get("tags")
    if isinstance(own, Mapping):
        merged.update(own)
    return merged


def _subject(args: ResourceValidationArgs) -> Subject:
    return Subject(
        resource_type=args.resource_type,
        name=args.name,
        urn=args.urn,
        props=args.props,
        config=args.get_config(),
        provider=args.provider,
    )


def resource_subject(resource: PolicyResource, config: Mapping[str, Any]) -> Subject:
    return Subject(
        resource_type=resource.resource_type,
        name=resource.name,
        urn=resource.urn,
        props=resource.props,
        config=config,
        provider=resource.provider,
        parent=resource.parent,
    )


def _schema(config: Mapping[str, Mapping[str, Any]] | None) -> PolicyConfigSchema | None:
    return PolicyConfigSchema(properties={k: dict(v) for k, v in config.items()}) if config else None


def resource_policy(
    *,
    name: str,
    description: str,
    severity: Severity,
    remediation: str,
    resource_types: Iterable[str] | Callable[[str], bool],
    check: Check,
    enforcement_level: EnforcementLevel = MANDATORY,
    config: Mapping[str, Mapping[str, Any]] | None = None,
) -> ResourceValidationPolicy:
    """A ResourceValidationPolicy that runs ``check`` on matching types and reports full sentences.

    Each problem ``check`` yields is a clause such as "has storageEncrypted unset"; the message reads
    "<type> '<name>' has storageEncrypted unset. <remediation>".
    """
    if callable(resource_types):
        applies = resource_types
    else:
        wanted = frozenset(resource_types)
        applies = wanted.__contains__

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if not applies(args.resource_type):
            return
        subject = _subject(args)
        for problem in check(subject):
            report_violation(f"[{policy_id(name)}] {subject.label} {problem}. {remediation}", None)

    policy = ResourceValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=enforcement_level,
        config_schema=_schema(config),
        severity=severity,
        remediation_steps=remediation,
    )
    policy.resource_types = applies  # type: ignore[attr-defined]
    policy.policy_id = policy_id(name)  # type: ignore[attr-defined]
    return policy


def per_resource(
    resources: Iterable[PolicyResource], check: Callable[[PolicyResource], Iterable[tuple[str, str | None]]]
) -> Iterator[tuple[str, str | None]]:
    """Run a stack check resource by resource: one resource whose inputs are unknown during preview does
    not hide the others' findings; the first unknown is re-raised at the end, so the engine adds its
    advisory "can't run during preview" note after the real findings."""
    pending: UnknownValueError | None = None
    for resource in resources:
        try:
            yield from list(check(resource))
        except UnknownValueError as error:
            pending = pending or error
    if pending is not None:
        raise pending


def applies_to(policy: Policy, resource_type: str) -> bool:
    """Whether a resource policy judges ``resource_type`` (stack policies carry ``covers`` instead)."""
    applies = getattr(policy, "resource_types", None) or getattr(policy, "covers", None)
    return bool(applies and applies(resource_type))


def stack_policy(
    *,
    name: str,
    description: str,
    severity: Severity,
    remediation: str,
    check: StackCheck,
    enforcement_level: EnforcementLevel = MANDATORY,
    config: Mapping[str, Mapping[str, Any]] | None = None,
    covers: Iterable[str] | Callable[[str], bool] = (),
) -> StackValidationPolicy:
    """A StackValidationPolicy; ``check`` yields (full problem sentence, urn or None).

    ``covers`` names the resource types the check judges (for the coverage table and its test).
    """

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        for problem, urn in check(args.resources, args.get_config()):
            report_violation(f"[{policy_id(name)}] {problem} {remediation}", urn)

    policy = StackValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=enforcement_level,
        config_schema=_schema(config),
        severity=severity,
        remediation_steps=remediation,
    )
    policy.covers = covers if callable(covers) else frozenset(covers).__contains__  # type: ignore[attr-defined]
    policy.policy_id = policy_id(name)  # type: ignore[attr-defined]
    return policy


def linked(
    resource: PolicyResource, prop: str, candidates: Mapping[str, PolicyResource]
) -> list[PolicyResource]:
    """Resources that ``resource.prop`` refers to, via the engine's property dependencies."""
    found = [d for d in resource.property_dependencies.get(prop, []) if d.urn in candidates]
    if found:
        return found
    value = resource.props.get(prop)
    if not isinstance(value, str):
        return []
    return [c for c in candidates.values() if value in (c.name, c.urn) or value in c.props.values()]


def ancestors(resource: PolicyResource) -> Iterator[PolicyResource]:
    current = resource.parent
    seen: set[str] = set()
    while current is not None and current.urn not in seen:
        seen.add(current.urn)
        yield current
        current = current.parent


NAME_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+){3,}$")
