"""Offline policy evaluation: run a policy pack's own policy objects over the resources the offline plan
recorded, with the argument shapes the Pulumi engine passes, so review without cloud credentials gives the
same verdicts as ``pulumi preview --policy-pack``.

``load_policy_pack`` runs the pack's ``__main__.py`` exactly as the Python policy host does
(``runpy.run_path`` of the folder) while ``pulumi_policy.PolicyPack`` is swapped for a stand-in that only
captures its arguments (the real constructor starts a gRPC server and blocks). ``evaluate`` mirrors
``pulumi_policy``'s analyzer servicer (``Analyze`` / ``AnalyzeStack``) and the engine's config
reconciliation: schema defaults, then the pack's ``initial_config``, then the given config (with ``all``),
validated against each policy's JSON schema.
"""

from __future__ import annotations

import asyncio
import contextvars
import copy
import json
import re
import runpy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from inspect import isawaitable
from pathlib import Path
from typing import Any

import jsonschema
import pulumi.runtime
import pulumi.runtime.config
import pulumi_policy
import pulumi_policy.policy
from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from offline_plan.policy_options import OptionFields, option_fields
from offline_plan.policy_options import resource_options as _options
from offline_plan.policy_props import policy_props

SEVERITY_ORDER = ("critical", "high", "medium", "low", "unspecified")
_PACK_NAME_RE = re.compile(r"^[a-zA-Z0-9-_.]{1,100}$")


class PolicyPackLoadError(RuntimeError):
    """The pack folder could not be run, or did not build exactly one PolicyPack."""


class PolicyConfigError(ValueError):
    """The policy config names an unknown policy, an invalid enforcement level, or fails a schema."""


class PolicyEvaluationError(RuntimeError):
    """A policy raised while validating; the engine would fail the preview the same way."""


@dataclass(frozen=True)
class LoadedPack:
    """What the pack handed to ``PolicyPack(...)``: its name, its own policy objects and defaults."""

    name: str
    policies: list[Policy]
    enforcement_level: EnforcementLevel = EnforcementLevel.ADVISORY
    initial_config: Mapping[str, Any] | None = None
    directory: Path | None = None


@dataclass(frozen=True)
class Violation:
    policy_name: str
    enforcement_level: str
    severity: str
    urn: str | None
    message: str
    remediation: str
    description: str = ""

    @property
    def mandatory(self) -> bool:
        return self.enforcement_level == EnforcementLevel.MANDATORY.value


@dataclass
class _Captured:
    packs: list[LoadedPack] = field(default_factory=list)


def load_policy_pack(pack_dir: str | Path) -> LoadedPack:
    """Run ``pack_dir/__main__.py`` like the policy host and return the PolicyPack it built."""
    directory = Path(pack_dir).resolve()
    if not (directory / "__main__.py").is_file():
        raise PolicyPackLoadError(
            f"{directory} has no __main__.py; pass the policy pack folder (the one with PulumiPolicy.yaml)."
        )
    captured = _Captured()

    def capturing_policy_pack(
        name: str,
        policies: list[Policy],
        enforcement_level: EnforcementLevel | None = None,
        initial_config: Mapping[str, Any] | None = None,
        **_metadata: Any,
    ) -> None:
        if not isinstance(name, str) or not _PACK_NAME_RE.match(name):
            raise TypeError(f"Invalid policy pack name {name!r}")
        if not isinstance(policies, list) or not policies or not all(isinstance(p, Policy) for p in policies):
            raise TypeError("Expected policies to be a non-empty list of Policy objects")
        captured.packs.append(
            LoadedPack(
                name=name,
                policies=policies,
                enforcement_level=enforcement_level or EnforcementLevel.ADVISORY,
                initial_config=initial_config,
                directory=directory,
            )
        )

    originals = (pulumi_policy.PolicyPack, pulumi_policy.policy.PolicyPack)
    pulumi_policy.PolicyPack = capturing_policy_pack  # type: ignore[assignment,misc]
    pulumi_policy.policy.PolicyPack = capturing_policy_pack  # type: ignore[assignment,misc]
    try:
        runpy.run_path(str(directory), run_name="__main__")
    except Exception as error:
        raise PolicyPackLoadError(f"Running the policy pack in {directory} failed: {error}") from error
    finally:
        pulumi_policy.PolicyPack, pulumi_policy.policy.PolicyPack = originals  # type: ignore[misc]
    if len(captured.packs) != 1:
        raise PolicyPackLoadError(
            f"{directory}/__main__.py built {len(captured.packs)} PolicyPack objects; "
            "it must build exactly one."
        )
    return captured.packs[0]


def load_policy_config(path: str | Path) -> dict[str, Any]:
    """Read a ``--policy-pack-config`` JSON file (empty file = no config)."""
    text = Path(path).read_text(encoding="utf-8")
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise PolicyConfigError(f"{path} is not valid JSON: {error}") from error
    if not isinstance(data, dict):
        raise PolicyConfigError(f"{path} must hold a JSON object keyed by policy name.")
    return data


def _level(value: Any, where: str) -> EnforcementLevel:
    try:
        return value if isinstance(value, EnforcementLevel) else EnforcementLevel(value)
    except ValueError:
        valid = ", ".join(level.value for level in EnforcementLevel)
        raise PolicyConfigError(
            f"{where}: {value!r} is not a valid enforcement level (use one of {valid})."
        ) from None


def _split(value: Any, where: str) -> tuple[EnforcementLevel | None, dict[str, Any]]:
    """A config entry is an enforcement level string or an object with optional enforcementLevel."""
    if isinstance(value, str | EnforcementLevel):
        return _level(value, where), {}
    if isinstance(value, Mapping):
        properties = {k: v for k, v in value.items() if k != "enforcementLevel"}
        level = _level(value["enforcementLevel"], where) if "enforcementLevel" in value else None
        return level, properties
    raise PolicyConfigError(f"{where}: {value!r} must be an enforcement level string or an object.")


def reconcile_config(  # noqa: PLR0912 (mirrors the engine's steps one by one)
    pack: LoadedPack, policy_config: Mapping[str, Any] | None
) -> dict[str, tuple[EnforcementLevel, dict[str, Any]]]:
    """Effective (enforcement level, properties) per policy, as the engine computes it."""
    result: dict[str, tuple[EnforcementLevel, dict[str, Any]]] = {}
    for policy in pack.policies:
        defaults = {}
        if policy.config_schema is not None:
            defaults = {
                k: copy.deepcopy(v["default"])
                for k, v in policy.config_schema.properties.items()
                if "default" in v
            }
        result[policy.name] = (policy.enforcement_level or pack.enforcement_level, defaults)
    for source, config in (("initial_config", pack.initial_config), ("policy config", policy_config)):
        if not config:
            continue
        if "all" in config:
            level, _ = _split(config["all"], f"{source} 'all'")
            if level is not None:
                result = {name: (level, props) for name, (_, props) in result.items()}
        for name, value in config.items():
            if name == "all":
                continue
            if name not in result:
                known = ", ".join(sorted(result))
                raise PolicyConfigError(
                    f"{source} names policy {name!r}, which pack {pack.name} does not have ({known})."
                )
            level, properties = _split(value, f"{source} '{name}'")
            old_level, old_props = result[name]
            result[name] = (level or old_level, {**old_props, **properties})
    problems = []
    for policy in pack.policies:
        if policy.config_schema is None:
            continue
        schema: dict[str, Any] = {"type": "object", "properties": policy.config_schema.properties}
        if policy.config_schema.required:
            schema["required"] = policy.config_schema.required
        for error in jsonschema.Draft7Validator(schema).iter_errors(result[policy.name][1]):
            location = ".".join(str(p) for p in error.absolute_path) or "(root)"
            problems.append(f"{policy.name}: {location}: {error.message}")
    if problems:
        raise PolicyConfigError(
            "Policy config does not match the policies' schemas:\n  " + "\n  ".join(problems)
        )
    return result


class _Props:
    """A resource's inputs as a policy sees them: a fresh unknown-checking view per policy, as the analyzer
    deserializes the request's properties once per policy and wraps them in the SDK's proxy. Each record's
    inputs are parsed from their JSON once per evaluation and shared; `policy_props` builds each policy's
    proxies lazily over that parse, never mutating it (see `offline_plan.policy_props`). Its resource
    options, likewise, are parsed once and built afresh for each policy (`options`)."""

    def __init__(self) -> None:
        self._parsed: dict[str, Any] = {}
        self._options: dict[str, OptionFields] = {}

    def __call__(self, resource: Mapping[str, Any]) -> Any:
        urn = str(resource["urn"])
        if urn not in self._parsed:
            self._parsed[urn] = json.loads(json.dumps(dict(resource.get("inputs") or {})))
        return policy_props(self._parsed[urn])

    def options(self, resource: Mapping[str, Any]) -> PolicyResourceOptions:
        """The record's options for one policy: parsed once per evaluation, a fresh object per policy."""
        urn = str(resource["urn"])
        fields = self._options.get(urn)
        if fields is None:
            fields = self._options[urn] = option_fields(resource)
        return _options(resource, fields)


def _providers(resources: Sequence[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    return {r["urn"]: r for r in resources if str(r.get("type", "")).startswith("pulumi:providers:")}


def _provider(
    reference: str | None, providers: Mapping[str, Mapping[str, Any]], props: _Props
) -> PolicyProviderResource | None:
    """``"<provider urn>::<id>"`` to the provider's PolicyProviderResource; ``""`` = default provider."""
    if not reference:
        return None
    urn = reference.rsplit("::", 1)[0]
    provider = providers.get(urn)
    if provider is None:
        return None
    return PolicyProviderResource(provider["type"], props(provider), provider["urn"], provider["name"])


def _stack_resources(
    resources: Sequence[Mapping[str, Any]], providers: Mapping[str, Mapping[str, Any]], props: _Props
) -> list[PolicyResource]:
    """PolicyResource objects with parent, dependencies and property dependencies resolved (AnalyzeStack)."""
    built = {
        r["urn"]: PolicyResource(
            r["type"],
            props(r),
            r["urn"],
            r["name"],
            props.options(r),
            _provider(r.get("provider"), providers, props),
            None,
            [],
            {},
        )
        for r in resources
    }
    for record in resources:
        resource = built[record["urn"]]
        parent = record.get("parent")
        if parent and parent in built:
            resource.parent = built[parent]
        resource.dependencies.extend(built[d] for d in record.get("dependencies") or [] if d in built)
        for prop, urns in (record.get("propertyDependencies") or {}).items():
            resource.property_dependencies[prop] = [built[u] for u in urns if u in built]
    return list(built.values())


def _run(result: Any) -> None:
    if isawaitable(result):
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(result)
        finally:
            loop.close()


def _severity(policy: Policy) -> str:
    return policy.severity.value if policy.severity is not None else "unspecified"


def evaluate(
    pack: LoadedPack,
    resources: Sequence[Mapping[str, Any]],
    policy_config: Mapping[str, Any] | None = None,
    stack_name: str = "stack",
    project_name: str = "project",
    *,
    stack_config: Mapping[str, Any] | None = None,
    stack_tags: Mapping[str, str] | None = None,
    dry_run: bool = True,
) -> list[Violation]:
    """Every violation the pack reports over ``resources`` (offline-plan records)."""
    effective = reconcile_config(pack, policy_config)

    def run_all() -> list[Violation]:
        pulumi.runtime.configure(
            pulumi.runtime.Settings(
                project=project_name, stack=stack_name, dry_run=dry_run, organization="organization"
            )
        )
        pulumi.runtime.config.CONFIG.set(dict(stack_config or {}))
        violations: list[Violation] = []
        props = _Props()
        for policy in pack.policies:
            level, properties = effective[policy.name]
            if level == EnforcementLevel.DISABLED:
                continue
            if level == EnforcementLevel.REMEDIATE:
                level = EnforcementLevel.MANDATORY
            violations.extend(_evaluate_policy(policy, level, properties, resources, stack_tags or {}, props))
        return violations

    return contextvars.copy_context().run(run_all)


def _evaluate_policy(
    policy: Policy,
    level: EnforcementLevel,
    properties: Mapping[str, Any],
    resources: Sequence[Mapping[str, Any]],
    stack_tags: Mapping[str, str],
    props: _Props,
) -> list[Violation]:
    violations: list[Violation] = []
    providers = _providers(resources)

    def reporter(default_urn: str | None, force_urn: bool) -> Callable[..., None]:
        def report_violation(message: str, urn: str | None = None) -> None:
            violations.append(
                Violation(
                    policy_name=policy.name,
                    enforcement_level=level.value,
                    severity=_severity(policy),
                    urn=default_urn if force_urn else (urn or None),
                    message=message or policy.description,
                    remediation=policy.remediation_steps or "",
                    description=policy.description,
                )
            )

        return report_violation

    def unknown(error: UnknownValueError, urn: str | None) -> Violation:
        return Violation(
            policy_name=policy.name,
            enforcement_level=EnforcementLevel.ADVISORY.value,
            severity=_severity(policy),
            urn=urn,
            message=f"can't run policy '{policy.name}' during preview: {error.message}",
            remediation=policy.remediation_steps or "",
            description=policy.description,
        )

    if isinstance(policy, ResourceValidationPolicy):
        if not policy.has_validation():
            return []
        for record in resources:
            if not record.get("custom", True):
                continue  # components are not sent to analyzers
            args = ResourceValidationArgs(
                record["type"],
                props(record),
                record["urn"],
                record["name"],
                props.options(record),
                _provider(record.get("provider"), providers, props),
                dict(properties) or None,
                stack_tags,
            )
            try:
                _run(policy.validate(args, reporter(record["urn"], force_urn=True)))
            except UnknownValueError as error:
                violations.append(unknown(error, record["urn"]))
            except pulumi_policy.policy._NotApplicableError:
                continue
            except Exception as error:
                raise PolicyEvaluationError(
                    f"Policy {policy.name} failed on {record['urn']}: {error!r}"
                ) from error
    elif isinstance(policy, StackValidationPolicy):
        stack_args = StackValidationArgs(
            _stack_resources(resources, providers, props), dict(properties) or None, stack_tags
        )
        try:
            _run(policy.validate(stack_args, reporter(None, force_urn=False)))
        except UnknownValueError as error:
            violations.append(unknown(error, None))
        except pulumi_policy.policy._NotApplicableError:
            pass
        except Exception as error:
            raise PolicyEvaluationError(f"Stack policy {policy.name} failed: {error!r}") from error
    return violations


def has_mandatory(violations: Sequence[Violation]) -> bool:
    return any(v.mandatory for v in violations)


def violations_to_json(violations: Sequence[Violation]) -> list[dict[str, Any]]:
    """Violations as the plan JSON carries them (camelCase, like the rest of resources.json)."""
    return [
        {
            "policy": v.policy_name,
            "enforcementLevel": v.enforcement_level,
            "severity": v.severity,
            "urn": v.urn,
            "message": v.message,
            "remediation": v.remediation,
            "description": v.description,
        }
        for v in violations
    ]


def format_violations(violations: Sequence[Violation]) -> str:
    """Human report grouped by severity (critical first), each with URN and remediation."""
    if not violations:
        return "Policy check: no violations."
    lines: list[str] = []
    for severity in SEVERITY_ORDER:
        group = [v for v in violations if v.severity == severity]
        if not group:
            continue
        lines.append(f"{severity.upper()} ({len(group)})")
        for v in sorted(group, key=lambda v: (not v.mandatory, v.policy_name, v.urn or "")):
            lines.append(f"  [{v.enforcement_level}] {v.policy_name}")
            lines.append(f"    resource: {v.urn or '(stack)'}")
            lines.append(f"    {v.message}")
            if v.remediation and not v.message.endswith(v.remediation):
                lines.append(f"    remediation: {v.remediation}")
    mandatory = sum(v.mandatory for v in violations)
    lines.append(
        f"Policy check: {len(violations)} violation(s), {mandatory} mandatory, "
        f"{len(violations) - mandatory} advisory."
    )
    return "\n".join(lines)
