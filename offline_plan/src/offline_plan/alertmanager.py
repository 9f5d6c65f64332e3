"""Alertmanager configurations in a plan, written as reviewable files that `amtool check-config` accepts.

Where a plan holds an Alertmanager configuration:
- a kube-prometheus-stack release (`helm.v3.Release` or `helm.v4.Chart` of that chart): its
  `alertmanager.config` value (a map, or a YAML string; `alertmanager.stringConfig` when `tplConfig` is on),
  unless `alertmanager.enabled` is off or `alertmanagerSpec.useExistingSecret` tells the chart to ignore it;
- a Kubernetes Secret with an `alertmanager.yaml` key (in `stringData`, or base64 in `data`): the program's
  own Secrets here, and rendered chart objects through `configs_in_objects`.

Each becomes `alertmanager/<name>.yaml`. A secret or unknown leaf becomes a marked placeholder that keeps
the file valid for amtool (`PLACEHOLDER_RULES` below, also written in each file's header):
- a URL field (`url`, `api_url`, `*_url`): `https://<kind>.redacted.invalid/<path>`;
- a smarthost (`smarthost`, `smtp_smarthost`): `<kind>.redacted.invalid:25`;
- a list of receiver integrations (`*_configs`): `[]`;
- anything else: `<redacted:<kind>:<path>>`,
where `<kind>` is `secret` or `unknown` and `<path>` the field's place in the document. `.invalid` never
resolves, so no placeholder can reach a real endpoint. A configuration that is a secret as a whole cannot
be reviewed: it gets no file, and a warning says how to make only its credentials secret.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from offline_plan.markers import REDACTED, UNKNOWN
from offline_plan.yaml_text import to_yaml

PLACEHOLDER_HOST = "redacted.invalid"
CONFIG_KEY = "alertmanager.yaml"
CHART = "kube-prometheus-stack"
_RELEASE_TYPES = ("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart")
_SECRET_TYPE = "kubernetes:core/v1:Secret"  # noqa: S105 - a type token
_TOP_LEVEL_ORDER = ("global", "route", "inhibit_rules", "receivers", "time_intervals", "templates")
PLACEHOLDER_RULES = (
    "secret or unknown values are replaced by marked placeholders:",
    "  URL fields (url, api_url, *_url): https://<kind>.redacted.invalid/<path>",
    "  smarthosts: <kind>.redacted.invalid:25",
    "  integration lists (*_configs): []",
    "  other fields: <redacted:<kind>:<path>>",
    "<kind> is secret or unknown; <path> is the field's place in this document.",
)


@dataclass(frozen=True)
class FoundConfig:
    """An Alertmanager configuration a plan holds; `document` is None when it is withheld as a whole."""

    name: str
    source: str
    where: str
    document: Any


@dataclass(frozen=True)
class WrittenConfig:
    path: Path
    source: str
    where: str
    placeholders: list[str] = field(default_factory=list)


@dataclass
class Found:
    configs: list[FoundConfig] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _is_kube_prometheus_stack(inputs: dict[str, Any]) -> bool:
    chart = inputs.get("chart")
    return isinstance(chart, str) and chart.rstrip("/").rsplit("/", 1)[-1] == CHART


def _parse(text: Any, where: str, source: str, found: Found) -> Any:
    """A YAML string as a document; markers and unreadable text become warnings (None)."""
    if text in (REDACTED, UNKNOWN):
        return None
    if not isinstance(text, str):
        return text
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        found.warnings.append(f"{source}: {where} is not YAML, so it was not written: {error}")
        return False


def _add(found: Found, name: str, source: str, where: str, document: Any) -> None:
    if document is False:  # unreadable, already warned
        return
    if document is None or document in (REDACTED, UNKNOWN):
        kind = "unknown" if document == UNKNOWN else "secret"
        found.warnings.append(
            f"{source}: the Alertmanager configuration ({where}) is {kind} as a whole, so neither a reviewer "
            "nor amtool can read its routing; make only the receiver credentials secret (secret leaves, or "
            "`*_file` fields reading a mounted Secret) and keep the rest plain"
        )
        found.configs.append(FoundConfig(name, source, where, None))
        return
    found.configs.append(FoundConfig(name, source, where, document))


def _release_config(resource: Mapping[str, Any], found: Found) -> tuple[str, str] | None:
    """Adds the release's configuration; returns the (namespace, name) of the Secret it reads instead."""
    inputs = resource["inputs"]
    values = inputs.get("values")
    if not _is_kube_prometheus_stack(inputs) or not isinstance(values, dict):
        return None
    name = str(inputs.get("name") or resource["name"])
    section = values.get("alertmanager")
    if not isinstance(section, dict) or section.get("enabled") is False:
        return None
    spec = section.get("alertmanagerSpec")
    if isinstance(spec, dict) and spec.get("useExistingSecret") is True:
        # The chart ignores `config`; the operator reads the Secret the values name.
        secret = spec.get("configSecret")
        return (str(inputs.get("namespace") or "default"), str(secret)) if secret else None
    if section.get("tplConfig") is True and section.get("stringConfig"):
        where, raw = "values alertmanager.stringConfig", section["stringConfig"]
    elif "config" in section:
        where, raw = "values alertmanager.config", section["config"]
    else:
        return None
    _add(found, name, resource["urn"], where, _parse(raw, where, resource["urn"], found))
    return None


def configs_in_objects(
    objects: Iterable[dict[str, Any]], source: str, config_secrets: frozenset[tuple[str, str]] = frozenset()
) -> Found:
    """Alertmanager configurations in Kubernetes objects (Secrets with an `alertmanager.yaml` key).

    For rendered chart objects as well as the program's own: `source` names where they come from.
    A Secret whose content is withheld whole is reported when it is one of `config_secrets`
    ((namespace, name) of Secrets an Alertmanager reads its configuration from).
    """
    found = Found()
    for body in objects:
        if body.get("kind") != "Secret":
            continue
        metadata = body.get("metadata") or {}
        name = str(metadata.get("name") or "unnamed")
        label = f"{source} Secret {metadata.get('namespace') or '_cluster'}/{name}"
        for field_name in ("stringData", "data"):
            content = body.get(field_name)
            if content in (REDACTED, UNKNOWN):
                if (str(metadata.get("namespace") or "default"), name) in config_secrets:
                    _add(found, name, label, f"{field_name}, withheld whole", content)
                continue
            if not isinstance(content, dict) or CONFIG_KEY not in content:
                continue
            where = f"{field_name}[{CONFIG_KEY}]"
            text = content[CONFIG_KEY]
            if field_name == "data" and text not in (REDACTED, UNKNOWN):
                try:
                    text = base64.b64decode(str(text), validate=True).decode()
                except (binascii.Error, UnicodeDecodeError):
                    found.warnings.append(f"{label}: {where} is not base64 text, so it was not written")
                    continue
            _add(found, name, label, where, _parse(text, where, label, found))
    return found


def configs_in_plan(
    resources: Sequence[Mapping[str, Any]], rendered: Mapping[str, list[dict[str, Any]]] | None = None
) -> Found:
    """Every Alertmanager configuration in the plan's resources, in URN order.

    `rendered` maps a chart release's URN to the objects its chart renders: for those releases the
    rendered Secrets (chart defaults merged, as the operator reads them) replace the values' `config`.
    """
    found = Found()
    rendered = rendered or {}
    ordered = sorted(resources, key=lambda item: item["urn"])
    config_secrets: set[tuple[str, str]] = set()
    for resource in ordered:
        if resource["type"] not in _RELEASE_TYPES:
            continue
        from_values = Found()
        secret = _release_config(resource, from_values)
        if secret:
            config_secrets.add(secret)
        if resource["urn"] in rendered:
            from_values = configs_in_objects(rendered[resource["urn"]], resource["urn"])
        found.configs.extend(from_values.configs)
        found.warnings.extend(from_values.warnings)
    for resource in ordered:
        if resource["type"] == _SECRET_TYPE:
            body = {key: value for key, value in resource["inputs"].items() if not key.startswith("__")}
            inner = configs_in_objects(
                [{**body, "kind": "Secret"}], resource["urn"], frozenset(config_secrets)
            )
            found.configs.extend(inner.configs)
            found.warnings.extend(inner.warnings)
    return found


def _placeholder(key: str, path: str, kind: str) -> Any:
    if key == "url" or key.endswith("_url"):
        segments = path.replace("[", "/").replace("]", "").replace(".", "/")
        return f"https://{kind}.{PLACEHOLDER_HOST}/{segments}"
    if key.endswith("smarthost"):
        return f"{kind}.{PLACEHOLDER_HOST}:25"
    if key.endswith("_configs"):
        return []
    return f"<redacted:{kind}:{path}>"


def redact(document: Any, path: str = "", key: str = "") -> tuple[Any, list[str]]:
    """The document with every secret or unknown leaf replaced by its placeholder, and their paths."""
    if document in (REDACTED, UNKNOWN):
        kind = "secret" if document == REDACTED else "unknown"
        return _placeholder(key, path or "(root)", kind), [f"{path or '(root)'} ({kind})"]
    if isinstance(document, dict):
        result, replaced = {}, []
        for item_key in _ordered(document, top=not path):
            child = f"{path}.{item_key}" if path else str(item_key)
            result[item_key], found = redact(document[item_key], child, str(item_key))
            replaced.extend(found)
        return result, replaced
    if isinstance(document, list):
        items, replaced = [], []
        for index, item in enumerate(document):
            value, found = redact(item, f"{path}[{index}]", f"{key}[]")
            items.append(value)
            replaced.extend(found)
        return items, replaced
    return document, []


def _ordered(document: dict[Any, Any], *, top: bool) -> list[Any]:
    """Keys in reading order: the top level as Alertmanager's docs list it, `name` first, then sorted."""
    keys = sorted(document, key=str)
    if top:
        known = [key for key in _TOP_LEVEL_ORDER if key in document]
        return known + [key for key in keys if key not in known]
    return (["name"] if "name" in document else []) + [key for key in keys if key != "name"]


def _file_name(name: str, taken: set[str]) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "alertmanager"
    candidate, number = stem, 2
    while candidate in taken:
        candidate, number = f"{stem}-{number}", number + 1
    taken.add(candidate)
    return f"{candidate}.yaml"


def write_configs(configs: list[FoundConfig], folder: Path) -> list[WrittenConfig]:
    """`<folder>/<name>.yaml` for each readable configuration, placeholders marked; sorted by path."""
    written: list[WrittenConfig] = []
    taken: set[str] = set()
    for config in configs:
        if config.document is None:
            continue
        document, placeholders = redact(config.document)
        path = folder / _file_name(config.name, taken)
        header = [
            f"Alertmanager configuration from {config.source}",
            f"({config.where}), written by offline-plan for review and `amtool check-config`.",
            *PLACEHOLDER_RULES,
            f"placeholders in this file: {len(placeholders)}",
        ]
        body = to_yaml(document, literal_blocks=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(f"# {line}\n" for line in header) + body)
        written.append(WrittenConfig(path, config.source, config.where, placeholders))
    return sorted(written, key=lambda item: item.path)
