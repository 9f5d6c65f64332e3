"""No secret-looking literal in any resource input.

Two signals: values shaped like credentials (AWS access keys, PEM private keys, well-known token formats,
URLs with an inline password), anywhere; and non-empty literals under secret-sounding names in places
that must reference a Secret instead (container ``env[].value``, ConfigMap data, Helm values). Kubernetes
Secrets and Secrets Manager are where secrets belong and are not inspected by name. The offline plan
replaces Pulumi secrets with "[secret]", which is never reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Severity

from policies.framework import SECRET_PLACEHOLDER, Subject, is_list, resource_policy

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
SECRET_REFERENCE_KEYS = re.compile(r"existingSecret|configSecret|secretName|\w*SecretName", re.IGNORECASE)
SECRET_STORES = {"kubernetes:core/v1:Secret", "aws:secretsmanager/secretVersion:SecretVersion"}


def _walk(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _walk(item, f"{path}.{key}" if path else str(key))
    elif is_list(value):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]")
    else:
        yield path, value


def _named_literals(subject: Subject) -> Iterator[str]:
    """Secret-named literals where a reference is required."""
    for path, value in _walk(subject.props, ""):
        if not isinstance(value, str) or not value or value == SECRET_PLACEHOLDER:
            continue
        if re.search(r"(containers|initContainers)\[\d+\]\.env\[\d+\]\.value$", path):
            env_name = _env_name(subject.props, path)
            # An ARN names where a secret lives (Secrets Manager, SSM); it is the reference to use.
            if env_name and SECRET_NAME.search(env_name) and not ARN.match(value):
                yield f"sets environment variable {env_name} to a literal at {path}"
        elif subject.resource_type == "kubernetes:core/v1:ConfigMap" and path.startswith("data."):
            if SECRET_NAME.search(path.removeprefix("data.")):
                yield f"stores a secret-named key in ConfigMap data at {path}"
        elif subject.resource_type == "kubernetes:helm.sh/v3:Release" and path.startswith("values."):
            leaf = path.rsplit(".", 1)[-1]
            if SECRET_REFERENCE_KEYS.fullmatch(leaf):
                continue
            if SECRET_NAME.fullmatch(leaf) or re.fullmatch(r"\w*(Password|Secret|Token|ApiKey)", leaf):
                yield f"passes a literal secret in Helm values at {path}"


def _env_name(props: Mapping[str, Any], value_path: str) -> str | None:
    node: Any = props
    for part in re.findall(r"[^.\[\]]+", value_path.removesuffix(".value")):
        node = node[int(part)] if part.isdigit() else node.get(part) if isinstance(node, Mapping) else None
        if node is None:
            return None
    return node.get("name") if isinstance(node, Mapping) else None


def _no_secret_literal(subject: Subject) -> Iterator[str]:
    for path, value in _walk(subject.props, ""):
        if isinstance(value, str) and value != SECRET_PLACEHOLDER:
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

POLICIES = [no_secret_literal]
