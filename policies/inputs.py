"""No secret-looking literal in any resource input.

Two signals: values shaped like credentials (AWS access keys, PEM private keys, well-known token formats,
URLs with an inline password), anywhere; and non-empty literals under secret-sounding names in places
that must reference a Secret instead (container ``env[].value``, ConfigMap data, Helm values). Kubernetes
Secrets and Secrets Manager are where secrets belong and are not inspected by name. The offline plan
replaces Pulumi secrets with "[secret]", which is never reported.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import yaml
from pulumi_policy import PolicyResource, Severity

from policies.framework import (
    SECRET_PLACEHOLDER,
    Subject,
    as_list,
    dig,
    is_list,
    is_unknown,
    per_resource,
    resource_policy,
    resource_subject,
    stack_policy,
)

CREDENTIAL_PATTERNS = {
    "an AWS access key id": re.compile(r"(?<![A-Z0-9])(AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])"),
    "a PEM private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "a GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "a Slack token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    "a URL with an inline password": re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@]+:(?!\$\{)[^/\s@]{3,}@"),
}
SECRET_NAME = re.compile(
    r"(pass(word|wd)?|secret|token|api[-_]?key|private[-_]?key|credential)", re.IGNORECASE
)
ARN = re.compile(r"^arn:aws[a-z-]*:(secretsmanager|ssm|kms):")
# Helm values keys that name an existing Kubernetes Secret (a reference, which is what is wanted).
SECRET_REFERENCE_KEYS = re.compile(r"existingSecret\w*|configSecret|secretName|\w*SecretName", re.IGNORECASE)
SECRET_STORES = {"kubernetes:core/v1:Secret", "aws:secretsmanager/secretVersion:SecretVersion"}
HELM_TYPES = {"kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart", "kubernetes:helm.sh/v3:Chart"}
FUNCTION_TYPES = {"aws:lambda/function:Function"}
ECS_TASK = "aws:ecs/taskDefinition:TaskDefinition"


def _walk(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _walk(item, f"{path}.{key}" if path else str(key))
    elif is_list(value):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]")
    else:
        yield path, value


# A name that points at where a secret lives is a reference, not a secret: PGPASSFILE, DB_PASSWORD_FILE,
# TOKEN_PATH, passwordSecretRef, ...
REFERENCE_NAME = re.compile(
    r"(file|path|dir|ref|arn|name|key_?id|(password|token|user)[-_]?key)$", re.IGNORECASE
)
# A name that describes a secret's settings or where to use it: PASSWORD_MIN_LENGTH, OAUTH_TOKEN_URL,
# TOKEN_ENDPOINT, SECRETS_PREFIX, tokenTtlSeconds, ... (SECRET_KEY, STRIPE_SECRET_KEY are secrets).
SETTING_NAME = re.compile(
    r"_(url|uri|endpoint|host|port|issuer|audience|prefix|suffix|length|len|size|ttl|second|minute|hour|day|"
    r"timeout|expiry|expiration|lifetime|enabled|required|mode|type|policy|scope|header|algorithm|count|min|"
    r"max|regex|pattern|format|version|rotation)$"
)
PLACEHOLDERS = re.compile(
    r"^(not[-_ ]?(needed|used|set|required)|none|null|nil|n/?a|unused|disabled|dummy|placeholder|example|"
    r"redacted|x+|\*+|-+|<[^>]*>|\$\{[^}]*\}|\$\([^)]*\)|\{\{.*\}\}|%\([^)]*\)s)$",
    re.IGNORECASE,
)
LAMBDA_ENV = re.compile(r"^environment\.variables\.([^.\[]+)$")


def secret_named(name: str) -> bool:
    """A secret-sounding name in any case style (DB_PASSWORD, dbPassword, db-password), not a reference."""
    stem = name.rstrip("s_")
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", stem).replace("-", "_").lower()
    return (
        bool(SECRET_NAME.search(name)) and not REFERENCE_NAME.search(stem) and not SETTING_NAME.search(words)
    )


def literal_secret(value: Any) -> bool:
    """A value that could be a secret: a non-empty literal that is no path, ARN, or obvious placeholder."""
    if not isinstance(value, str) or not value.strip() or value == SECRET_PLACEHOLDER or is_unknown(value):
        return False
    text = value.strip()
    return not (text.startswith(("/", "./", "~/", "file:")) or ARN.match(text) or PLACEHOLDERS.match(text))


def _container_env(definitions: Any) -> Iterator[tuple[str, Any]]:
    """(name, value) of every environment entry of ECS container definitions (a JSON string or a list)."""
    parsed = (
        json.loads(definitions)
        if isinstance(definitions, str) and definitions.startswith("[")
        else definitions
    )
    for container in parsed if is_list(parsed) else []:
        for entry in as_list(dig(container, "environment")):
            if isinstance(entry, Mapping):
                yield str(entry.get("name", "")), entry.get("value")


def _named_literals(subject: Subject) -> Iterator[str]:  # noqa: PLR0912 (one branch per place)
    """Secret-named literals where a reference is required."""
    if subject.resource_type == ECS_TASK:
        for name, value in _container_env(subject.get("containerDefinitions")):
            if secret_named(name) and literal_secret(value):
                yield f"sets container environment variable {name} to a literal"
    for path, value in _walk(subject.props, ""):
        if not literal_secret(value):
            continue
        if re.search(r"(containers|initContainers|ephemeralContainers)\[\d+\]\.env\[\d+\]\.value$", path):
            env_name = _env_name(subject.props, path)
            if env_name and secret_named(env_name):
                yield f"sets environment variable {env_name} to a literal at {path}"
        elif (match := LAMBDA_ENV.match(path)) and subject.resource_type in FUNCTION_TYPES:
            if secret_named(match.group(1)):
                yield f"sets environment variable {match.group(1)} to a literal at {path}"
        elif subject.resource_type == "kubernetes:core/v1:ConfigMap" and path.startswith("data."):
            if secret_named(path.removeprefix("data.")):
                yield f"stores a secret-named key in ConfigMap data at {path}"
        elif subject.resource_type in HELM_TYPES and path.startswith("values."):
            leaf = path.rsplit(".", 1)[-1]
            key = re.sub(r"(\[\d+\])+$", "", leaf)
            # existingSecret, secretName, ... and lists of Secret names (alertmanagerSpec.secrets).
            if SECRET_REFERENCE_KEYS.fullmatch(key) or (key != leaf and re.search(r"secrets$", key, re.I)):
                continue
            entry = _env_name(subject.props, path + ".x") if leaf == "value" else None
            if entry is not None:
                # A {name, value} list entry (env lists in values): judge the entry's name.
                if secret_named(entry):
                    yield f"passes a literal secret {entry} in Helm values at {path}"
            elif secret_named(leaf):
                yield f"passes a literal secret in Helm values at {path}"


def _env_name(props: Mapping[str, Any], value_path: str) -> str | None:
    """The ``name`` beside the ``value`` at ``value_path`` (``...value`` or ``...value.x``)."""
    node: Any = props
    for part in re.findall(r"[^.\[\]]+", value_path.removesuffix(".x").removesuffix(".value")):
        node = node[int(part)] if part.isdigit() else node.get(part) if isinstance(node, Mapping) else None
        if node is None:
            return None
    name = node.get("name") if isinstance(node, Mapping) else None
    return name if isinstance(name, str) else None


def _yaml_objects(subject: Subject) -> Iterator[Mapping[str, Any]]:
    """The objects a ``kubernetes:yaml/*`` ConfigGroup holds inline (``yaml`` strings and ``objs``)."""
    for text in as_list(subject.get("yaml")):
        if isinstance(text, str) and not is_unknown(text):
            try:
                documents = list(yaml.safe_load_all(text))
            except yaml.YAMLError:
                continue
            yield from (d for d in documents if isinstance(d, Mapping))
    yield from (o for o in as_list(subject.get("objs")) if isinstance(o, Mapping))


def _inline_secret_literals(resource: PolicyResource) -> Iterator[tuple[str, str | None]]:
    """Secrets written out in the program's own YAML: the value is in the source, whatever the SDK marks.

    (A typed ``core.v1.Secret`` built from a literal cannot be told from one built from config: the SDK
    makes both Pulumi secrets.) Other objects of the YAML are registered as children and judged there.
    A ConfigGroup is a component, which resource policies never see; hence a stack policy.
    """
    if not resource.resource_type.startswith(YAML_PREFIX):
        return
    subject = resource_subject(resource, {})
    for obj in _yaml_objects(subject):
        if obj.get("kind") != "Secret":
            continue
        name = dig(obj, "metadata", "name", default="?")
        for section in ("stringData", "data"):
            values = obj.get(section)
            for key, value in values.items() if isinstance(values, Mapping) else []:
                if literal_secret(value):
                    yield (
                        f"{subject.label} writes Secret {name}'s {section}.{key} as a literal in its inline "
                        "YAML, so the value is in the program's source and its state.",
                        resource.urn,
                    )


def _yaml_secret_literals(
    resources: Sequence[PolicyResource], _config: Mapping[str, Any]
) -> Iterator[tuple[str, str | None]]:
    yield from per_resource(resources, _inline_secret_literals)


YAML_PREFIX = "kubernetes:yaml"
yaml_no_secret_literal = stack_policy(
    name="kubernetes-yaml-config-group-no-secret-literal",
    description="Inline Kubernetes YAML (ConfigGroup yaml/objs) holds no Secret with literal data.",
    severity=Severity.CRITICAL,
    remediation=(
        "Build the Secret with kubernetes.core.v1.Secret from pulumi.Config().require_secret(), or sync it "
        "from AWS Secrets Manager (External Secrets), and keep only non-secret objects in the YAML."
    ),
    check=_yaml_secret_literals,
    covers=lambda t: t.startswith(YAML_PREFIX),
)


def _no_secret_literal(subject: Subject) -> Iterator[str]:
    for path, value in _walk(subject.props, ""):
        if isinstance(value, str) and value != SECRET_PLACEHOLDER and not is_unknown(value):
            for label, pattern in CREDENTIAL_PATTERNS.items():
                if pattern.search(value):
                    yield f"has {label} in input {path}"
    if subject.resource_type not in SECRET_STORES:
        yield from _named_literals(subject)


no_secret_literal = resource_policy(
    name="all-resource-inputs-no-secret-literal",
    description="No resource input holds a credential as a literal.",
    severity=Severity.CRITICAL,
    remediation=(
        "Keep the value out of the program: read it with pulumi.Config().require_secret(), or reference a "
        "Kubernetes Secret (env valueFrom.secretKeyRef) or a Secrets Manager secret."
    ),
    resource_types=lambda _type: not _type.startswith("pulumi:providers:"),
    check=_no_secret_literal,
)

POLICIES = [no_secret_literal, yaml_no_secret_literal]
