"""`kubernetes.helm.v4.Chart`, expanded offline as the provider's Construct would.

The provider (provider/pkg/provider/helm/v4/chart.go) runs `helm template` on the chart, with the
Chart's `values` over its `valueYamlFiles`, `name` defaulting to the component's name, hooks left out
(`DisableHooks`), CRDs unless `skipCrds`; then registers the objects through yaml/v2's Normalize and
Register: the default namespace is the Chart's `namespace`, else the provider's, and each child is named
`<resourcePrefix>:<namespace>/<name>` (cluster-scoped: `<resourcePrefix>:<name>`), the prefix defaulting
to the component's name. Here the chart is rendered by `helm.render` from the chart cache at its pinned,
digest-verified version (or from a local chart path), its values checked against the chart, and the
objects registered through `kube_yaml`, so they are planned, written, validated and policy-checked like
a v2 ConfigGroup's. The component's `resources` output lists them.

A pin the cache cannot verify and a values key the chart does not have are errors of the plan (exit 6),
the pin only in CI (`CI=true`); elsewhere the pin is a warning and the Chart has no children.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from offline_plan import kube_yaml
from offline_plan.charts import ChartCache
from offline_plan.helm import render
from offline_plan.markers import REDACTED, UNKNOWN
from offline_plan.recording import plain
from offline_plan.remote import Expander

CHART_TYPE = "kubernetes:helm.sh/v4:Chart"
_HOOK_ANNOTATION = "helm.sh/hook"


def _contains(value: Any, marker: str) -> bool:
    if isinstance(value, dict):
        return any(_contains(item, marker) for item in value.values())
    if isinstance(value, list):
        return any(_contains(item, marker) for item in value)
    return bool(value == marker)


def _merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Helm's merge of values sources: maps merge key by key, anything else replaces."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _values(inputs: Mapping[str, Any], owner: str) -> dict[str, Any] | str:
    """`valueYamlFiles` in order, then `values` over them (as `helm template -f ... --set`)."""
    merged: dict[str, Any] = {}
    for index, entry in enumerate(inputs.get("valueYamlFiles") or []):
        asset = entry.get("asset") if isinstance(entry, dict) else None
        if not isinstance(asset, dict) or not ("path" in asset or "text" in asset):
            raise kube_yaml.KubeYamlError(
                f"{owner}: valueYamlFiles[{index}] must be a FileAsset or StringAsset of YAML"
            )
        source = str(asset.get("path") or f"valueYamlFiles[{index}]")
        try:
            text = Path(asset["path"]).read_text() if "path" in asset else str(asset["text"])
            loaded = yaml.safe_load(text) or {}
        except (OSError, yaml.YAMLError) as error:
            raise kube_yaml.KubeYamlError(f"{owner}: cannot read values file {source}: {error}") from None
        if not isinstance(loaded, dict):
            raise kube_yaml.KubeYamlError(f"{owner}: values file {source} is not a YAML mapping")
        merged = _merge(merged, loaded)
    values = inputs.get("values")
    if values == REDACTED:
        return REDACTED  # one secret as a whole: `helm.release_values` says what that means
    return _merge(merged, values) if isinstance(values, dict) else merged


def _local_chart(chart: str) -> str | None:
    """A chart folder or archive of the program's own (Helm tries a local path first)."""
    if chart.startswith(("oci://", "http://", "https://")):
        return None
    if chart.startswith(("./", "../", "/")) or Path(chart).exists():
        return str(Path(chart).resolve())
    return None


def _chart_and_repository(chart: str, inputs: Mapping[str, Any]) -> tuple[str, str | None]:
    repository = (inputs.get("repositoryOpts") or {}).get("repo")
    if chart.startswith("oci://"):
        base, _, name = chart.rstrip("/").rpartition("/")
        return name, str(repository or base)
    if "/" in chart:  # "repo/chart": a local repository alias
        return chart.rsplit("/", 1)[-1], repository
    return chart, repository


def chart_expander(cache: ChartCache | None, *, strict: bool, errors: list[str]) -> Expander:
    """The expander of `kubernetes:helm.sh/v4:Chart` for `remote.EXPANDERS`.

    Unverifiable pins go to `errors` when `strict` (CI), else to the plan's warnings; values problems
    and render failures always go to `errors`.
    """

    def expand(monitor: Any, request: Any, urn: str) -> tuple[dict[str, Any], list[str]]:
        from google.protobuf import json_format  # noqa: PLC0415 - protobuf is the SDK's

        inputs = plain(json_format.MessageToDict(request.object))
        owner = f"helm.v4.Chart {request.name}"
        if _contains(inputs, UNKNOWN):
            return {"resources": []}, [
                f"{owner}: input properties have unknown values, so its objects are not in the plan "
                "(the provider says: preview is incomplete)"
            ]
        notes: list[str] = []
        if inputs.get("includeHooks"):
            notes.append(
                f"{owner}: includeHooks is only supported when the provider renders YAML to a directory; "
                "Helm hooks are left out, as the provider does"
            )
        for unsupported in ("postRenderer", "dependencyUpdate"):
            if inputs.get(unsupported):
                notes.append(f"{owner}: {unsupported} is not applied offline; the plan renders without it")
        provider = monitor.kubernetes_provider(request)
        namespace = str(
            inputs.get("namespace")
            or monitor.provider_inputs(provider).get("namespace")
            or monitor.config_value("kubernetes:namespace")
            or kube_yaml.DEFAULT_NAMESPACE
        )
        chart = str(inputs.get("chart") or "")
        local = _local_chart(chart)
        chart_name, repository = _chart_and_repository(chart, inputs)
        release = str(inputs.get("name") or request.name)
        record = {
            "urn": urn,
            "name": release,
            "inputs": {
                "chart": Path(local).name if local else chart_name,
                "version": inputs.get("version"),
                "namespace": namespace,
                "name": release,
                "values": _values(inputs, owner),
                "allowNullValues": True,  # Helm itself: a null deletes the chart's default
                "skipCrds": bool(inputs.get("skipCrds")),
                "repositoryOpts": {"repo": repository} if repository else {},
            },
        }
        rendered = render(record, None if local else cache, local=local)
        notes += [f"{owner}: {note}" for note in rendered.notes]
        if rendered.pin_problem is not None:
            message = f"{owner} was not expanded: {rendered.pin_problem}"
            if strict:
                errors.append(message)
            else:
                notes.append(f"{message} (an error when CI=true)")
            return {"resources": []}, notes
        if rendered.problems:
            errors.extend(f"{owner}: {problem}" for problem in rendered.problems)
            return {"resources": []}, notes
        errors.extend(rendered.values_problems)
        objects = [
            body
            for body in rendered.objects
            if _HOOK_ANNOTATION not in ((body.get("metadata") or {}).get("annotations") or {})
        ]
        prefix = str(inputs["resourcePrefix"]) if inputs.get("resourcePrefix") is not None else request.name
        declared = kube_yaml.declare(
            objects,
            namespace,
            prefix,
            skip_await=bool(inputs.get("skipAwait")),
            owner=owner,
            warnings=notes,
        )
        return kube_yaml.register_declared(monitor, urn, provider, declared, all_secret=False), notes

    return expand
