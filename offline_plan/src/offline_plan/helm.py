"""Every Helm release of a plan, rendered offline with Helm's own Go SDK (`helm-python-sdk`).

For each `kubernetes:helm.sh/v3:Release` the chart is taken from the chart cache at exactly the
pinned version (verified by digest, see `charts.py`) and rendered with the release's values, name
and namespace, as `helm install` would: the `crds/` of the chart and of every enabled subchart first,
then the templates (hooks included; `helm test` hooks are not installed, so they are left out).
Objects without a namespace get the release's namespace when their kind is namespaced.

Values the plan recorded as secrets (`[secret]` leaves) render as `SECRET_PLACEHOLDER`; a release whose
values are one secret as a whole renders with the chart's defaults, and the plan says so.

Each rendered object becomes a record shaped like the program's own Kubernetes resources (type
`kubernetes:<group>/<version>:<Kind>`, parent the release's URN, `renderedFrom` the release's URN),
so manifests, schema validation and the policy pack treat them alike.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from offline_plan import kube_yaml
from offline_plan.charts import ChartArchive, ChartCache, PinProblem
from offline_plan.markers import REDACTED, REDACTED_ANNOTATION
from offline_plan.yaml_text import manifest_yaml

if TYPE_CHECKING:
    import helm_python


RELEASE_TYPE = "kubernetes:helm.sh/v3:Release"
# The plan's own secret marker, so readers of rendered objects (the Alertmanager file) see a secret leaf.
SECRET_PLACEHOLDER = REDACTED
RENDERED_ANNOTATION = "offline-plan/rendered-from"
# Kinds the API server keeps outside namespaces: one list, shared with the YAML expansion.
CLUSTER_SCOPED_KINDS = kube_yaml.CLUSTER_SCOPED


@dataclass
class RenderedRelease:
    """One release, rendered (or not, with `problems` saying why)."""

    urn: str
    name: str
    namespace: str
    chart: str
    version: str
    archive: ChartArchive | None = None
    objects: list[dict[str, Any]] = field(default_factory=list)
    # The same objects before rendered Secrets were emptied, for in-memory readers (never written).
    unredacted: list[dict[str, Any]] = field(default_factory=list)
    load_seconds: float = 0.0
    render_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)  # what a reviewer should know, e.g. secret values
    problems: list[str] = field(default_factory=list)  # it could not be rendered
    # Keys the chart neither declares nor reads, and schema violations (`chart_values.check_values`).
    values_problems: list[str] = field(default_factory=list)
    pin_problem: PinProblem | None = None

    @property
    def rendered(self) -> bool:
        return self.archive is not None and not self.problems


def kubernetes_type(api_version: str, kind: str) -> str:
    """The Pulumi Kubernetes provider's type token: `v1` is the `core` group."""
    group_version = api_version if "/" in api_version else f"core/{api_version}"
    return f"kubernetes:{group_version}:{kind}"


def release_records(resources: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The plan's releases by URN (registration order varies with the order Outputs resolve)."""
    releases = [resource for resource in resources if resource["type"] == RELEASE_TYPE]
    return sorted(releases, key=lambda resource: str(resource["urn"]))


def _placeholders(value: Any, path: str, secrets: list[str]) -> Any:
    """`[secret]` leaves become the marked placeholder; their paths are collected."""
    if value == REDACTED:
        secrets.append(path or "(values)")
        return SECRET_PLACEHOLDER
    if isinstance(value, dict):
        return {k: _placeholders(v, f"{path}.{k}" if path else str(k), secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_placeholders(v, f"{path}[{i}]", secrets) for i, v in enumerate(value)]
    return value


def _without_nulls(value: Any) -> Any:
    """Without `allowNullValues` the provider drops null values before Helm sees them."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def release_values(inputs: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The values a release hands Helm, and notes on what had to be replaced offline."""
    values = inputs.get("values")
    notes: list[str] = []
    if values == REDACTED:
        notes.append(
            "its values are one secret as a whole, so the chart rendered with its own defaults; "
            "mark only the credential leaves secret (Output.secret on those values) to render it for real"
        )
        return {}, notes
    if not isinstance(values, dict):
        return {}, notes
    secrets: list[str] = []
    values = _placeholders(values, "", secrets)
    if secrets:
        notes.append(f"secret values rendered as {SECRET_PLACEHOLDER!r}: {', '.join(sorted(secrets))}")
    if not inputs.get("allowNullValues"):
        values = _without_nulls(values)
    return values, notes


def _lookup(values: dict[str, Any], path: str) -> Any:
    current: Any = values
    for part in path.split("."):
        if not isinstance(current, dict) or part not in current:
            return None
        current = current[part]
    return current


def _enabled_subcharts(chart: helm_python.Chart, merged: dict[str, Any]) -> set[str]:
    """Subcharts whose `condition` (the first path of it that is set) is not false, as Helm decides."""
    enabled = set()
    for dependency in chart.metadata.get("dependencies") or []:
        condition = str(dependency.get("condition") or "")
        state = True
        for path in filter(None, (part.strip() for part in condition.split(","))):
            found = _lookup(merged, path)
            if isinstance(found, bool):
                state = found
                break
        if state:
            enabled.add(str(dependency.get("alias") or dependency["name"]))
    return enabled


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """YAML as Kubernetes reads it (go-yaml, 1.1 booleans), where a bare `=` is a string, not a tag."""


_Loader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))


def manifest_text(body: dict[str, Any]) -> str:
    """A rendered object's manifest file."""
    return manifest_yaml(body, libyaml=True)


def _documents(text: str, source: str) -> Iterator[dict[str, Any]]:
    yield from _objects(yaml.load_all(text, Loader=_Loader), source)


def _objects(documents: Iterable[Any], source: str) -> Iterator[dict[str, Any]]:
    for document in documents:
        if (
            isinstance(document, dict)
            and document.get("kind") == "List"
            and document.get("apiVersion") == "v1"
        ):
            yield from _objects(document.get("items") or [], source)  # Helm applies a v1 List as its items
        elif isinstance(document, dict) and document.get("kind") and document.get("apiVersion"):
            yield document
        elif document not in (None, {}):
            raise ValueError(f"{source} rendered a YAML document that is not a Kubernetes object")


def _crd_documents(
    chart: helm_python.Chart, merged: dict[str, Any], parsed: _ParsedCrds | None = None
) -> Iterator[tuple[str, dict[str, Any]]]:
    """`crds/` of the chart and of its enabled subcharts (Helm installs those before the templates);
    `parsed`: the documents of each file, where `warm` parsed them already."""
    enabled = _enabled_subcharts(chart, merged)
    root = chart.name
    for crd in chart.crds:
        parts = crd["filename"].split("/")
        # <chart>/crds/x.yaml, or <chart>/charts/<subchart>/crds/x.yaml
        if len(parts) > 3 and parts[1] == "charts" and parts[2] not in enabled:
            continue
        if parts[0] != root:
            continue
        documents = parsed.get(crd["filename"]) if parsed is not None else None
        for document in documents if documents is not None else _documents(crd["data"], crd["filename"]):
            yield crd["filename"], document


# The documents of each `crds/` file of a chart, by file name.
_ParsedCrds = dict[str, list[dict[str, Any]]]
# Charts `warm` loaded ahead of their render, by archive path; each is taken (and closed) by one render.
_WARM: dict[Path, tuple[helm_python.Chart, _ParsedCrds | None]] = {}


def warm(archive: ChartArchive) -> None:
    """Do for a verified chart archive what its next `render` does whatever the values: load the chart,
    learn its values model (`chart_values`) and parse its `crds/` files. The prerender worker warms the
    cache's charts while the program has not yet registered a release, so the render is what is left."""
    import helm_python  # noqa: PLC0415

    from offline_plan.chart_values import _model  # noqa: PLC0415

    if archive.path in _WARM:
        return
    try:
        chart = helm_python.Chart.load(archive.path)
    except helm_python.HelmError:
        return  # the render meets the same error and reports it
    parsed: _ParsedCrds | None = None
    try:
        _model(chart)
        parsed = {crd["filename"]: list(_documents(crd["data"], crd["filename"])) for crd in chart.crds}
    except Exception:  # noqa: S110 - the render meets the same problem and reports it
        pass
    _WARM[archive.path] = (chart, parsed)


def _load(path: Path) -> tuple[helm_python.Chart, _ParsedCrds | None]:
    """The chart at `path`: the one `warm` loaded (with its parsed CRDs), else freshly loaded."""
    import helm_python  # noqa: PLC0415

    return _WARM.pop(path, None) or (helm_python.Chart.load(path), None)


def _is_test_hook(body: dict[str, Any]) -> bool:
    hooks = str(((body.get("metadata") or {}).get("annotations") or {}).get("helm.sh/hook") or "")
    return any(hook.strip() in {"test", "test-success"} for hook in hooks.split(","))


def render(
    release: Mapping[str, Any],
    cache: ChartCache | None,
    *,
    cluster_scoped: frozenset[str] = CLUSTER_SCOPED_KINDS,
    local: str | None = None,
) -> RenderedRelease:
    """Render one Release record of the plan; `problems`/`pin_problem` say why it was not rendered."""
    # Helm's SDK (libhelm) is loaded on first use: with a `prerender` worker, the plan's process needs none.
    import helm_python  # noqa: PLC0415

    from offline_plan.chart_values import check_values  # noqa: PLC0415

    inputs = release["inputs"]
    chart_name = str(inputs.get("chart") or "")
    namespace = str(inputs.get("namespace") or "default")
    name = str(inputs.get("name") or release["name"])
    result = RenderedRelease(
        urn=release["urn"],
        name=name,
        namespace=namespace,
        chart=chart_name,
        version=str(inputs.get("version") or ""),
    )
    repository = (inputs.get("repositoryOpts") or {}).get("repo")
    located: ChartArchive | PinProblem
    if local is not None:  # a chart folder or archive of the program's own: nothing to verify
        located = ChartArchive(chart_name, result.version, Path(local), "", source="local chart")
    elif cache is None:
        located = PinProblem(
            chart_name, result.version, "no chart cache was given (--charts DIR), so it cannot be verified"
        )
    else:
        located = cache.locate(chart_name, result.version, repository)
    if isinstance(located, PinProblem):
        result.pin_problem = located
        return result
    result.archive = located
    values, result.notes = release_values(inputs)
    started = time.perf_counter()
    try:
        chart, parsed_crds = _load(located.path)
        with chart:
            loaded = time.perf_counter()
            result.values_problems = check_values(name, chart, values)
            checked = time.perf_counter()
            rendered = chart.render(values, name=name, namespace=namespace, is_install=True)
            result.load_seconds, result.render_seconds = loaded - started, time.perf_counter() - checked
            documents: list[tuple[str, dict[str, Any]]] = []
            if not inputs.get("skipCrds"):
                documents.extend(_crd_documents(chart, chart.merge_values(values), parsed_crds))
    except helm_python.HelmError as error:
        result.problems.append(f"Helm could not render chart {chart_name} {result.version}: {error}")
        return result
    try:
        for source, text in sorted(rendered.items()):
            base = source.rsplit("/", 1)[-1]
            if base.startswith("_") or base == "NOTES.txt":
                continue
            documents.extend((source, document) for document in _documents(text, source))
    except (yaml.YAMLError, ValueError) as error:
        result.problems.append(f"chart {chart_name} {result.version} rendered invalid YAML: {error}")
        return result
    _add_objects(result, documents, cluster_scoped)
    return result


def _add_objects(
    result: RenderedRelease, documents: list[tuple[str, dict[str, Any]]], cluster_scoped: frozenset[str]
) -> None:
    """The objects `helm install` would apply: namespaced in the release's namespace, no test hooks."""
    skipped_tests = 0
    for source, body in documents:
        if _is_test_hook(body):
            skipped_tests += 1
            continue
        metadata = dict(body.get("metadata") or {})
        if body["kind"] not in cluster_scoped:
            metadata.setdefault("namespace", result.namespace)
        metadata["annotations"] = {**(metadata.get("annotations") or {}), RENDERED_ANNOTATION: source}
        result.unredacted.append({**body, "metadata": metadata})
        result.objects.append(_redact_secret(result.unredacted[-1]))
    if skipped_tests:
        result.notes.append(f"{skipped_tests} `helm test` hook object(s) left out (not installed)")


def _redact_secret(body: dict[str, Any]) -> dict[str, Any]:
    """A rendered Secret keeps its keys' names out of the plan too: its data become empty maps."""
    if body.get("kind") != "Secret":
        return body
    redacted = [key for key in ("data", "stringData") if body.get(key)]
    if not redacted:
        return body
    metadata = dict(body["metadata"])
    metadata["annotations"] = {**metadata["annotations"], REDACTED_ANNOTATION: ",".join(redacted)}
    return {**body, "metadata": metadata, **{key: {} for key in redacted}}


TEMPLATE_INVOKE = "kubernetes:helm:template"


class ChartTemplateError(Exception):
    """`helm.v3.Chart` names a chart that cannot be rendered offline (the program fails, as under Pulumi)."""


def template_invoke(
    cache: ChartCache | None, *, strict: bool, warnings: list[str]
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """The answer to `kubernetes:helm:template`, the invoke `helm.v3.Chart` expands itself with.

    The chart comes from the cache (digest-verified), or from `path` for a `LocalChartOpts`; its
    objects return to the SDK, which registers each as a child of the Chart, as it does under Pulumi.
    """

    def answer(args: dict[str, Any]) -> dict[str, Any]:
        opts = json.loads(args.get("jsonOpts") or "{}")
        fetch = opts.get("fetch_opts") or {}
        chart_name = str(opts.get("chart") or opts.get("path") or "")
        if "/" in chart_name and not opts.get("path"):
            chart_name = chart_name.rsplit("/", 1)[-1]  # "repo/chart": the repository's local alias
        record = {
            "urn": f"urn:pulumi:chart::chart::{TEMPLATE_INVOKE}::{opts.get('release_name')}",
            "name": str(opts.get("release_name") or chart_name),
            "inputs": {
                "chart": chart_name,
                "version": opts.get("version") or fetch.get("version"),
                "namespace": opts.get("namespace"),
                "name": opts.get("release_name"),
                "values": opts.get("values") or {},
                "allowNullValues": True,
                "skipCrds": bool(opts.get("skip_crd_rendering")),
                "repositoryOpts": {"repo": fetch.get("repo")} if fetch.get("repo") else {},
            },
        }
        rendered = render(record, None if opts.get("path") else cache, local=opts.get("path"))
        if rendered.pin_problem or rendered.problems:
            problem = str(rendered.pin_problem) if rendered.pin_problem else "; ".join(rendered.problems)
            message = f"helm.v3.Chart {record['name']} was not expanded: {problem}"
            if strict or rendered.problems:
                raise ChartTemplateError(message)
            warnings.append(f"{message} (an error when CI=true)")
            return {"result": []}
        objects = rendered.objects
        if not opts.get("include_test_hook_resources"):
            objects = [body for body in objects if not _is_test_hook(body)]
        return {"result": objects}

    return answer
