"""Check a Helm release's values against the chart that will read them.

Helm ignores a values key the chart does not know: a typo, or a key copied from another chart's layout,
renders without a word and the intent behind it never reaches the cluster. `check_values` reports every
such key before anything is installed, and every violation of the chart's `values.schema.json`.

A key passes when the chart declares it (its own `values.yaml`, a subchart's under the subchart's
name or alias, `global`, or the schema's `properties`) or when a template reads it. Template reads are
found in the template source: `.Values.a.b`, `$.Values`, `.ctx.Values`, `index .Values "a" "b"`,
`hasKey`, `dig`, `get`, variables bound to a values path (`$v := .Values.a`), `with` blocks, and helpers
handed a sub-dict (`include "x" (dict "ctx" . "component" .Values.a)` then `.component.b`).

Some subtrees are open, and nothing below them is checked: Kubernetes-typed ones (security contexts,
resources, affinity, env, volumes, labels, annotations, ...), maps whose default in `values.yaml` is `{}`
or null, maps the schema leaves free-form, and values the templates pass whole to `toYaml`, `tpl` or
`range`. Lists are not looked into. Where the source leaves doubt the check does not flag: it reports
keys that nothing in the chart can possibly read.

The function is pure; what it learns about a chart is cached per chart contents.
"""

from __future__ import annotations

import difflib
import hashlib
import io
import json
import tarfile
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import helm_python
import jsonschema
from helm_python.errors import HelmError

from offline_plan.chart_templates import Path_, _resolve_calls, _Scan, _segments, _TemplateScanner

__all__ = ["OPEN_KEYS", "check_values"]


# Keys whose value is a Kubernetes API type (or a free-form map by convention) wherever they appear.
OPEN_KEYS = frozenset(
    {
        "securityContext",
        "podSecurityContext",
        "containerSecurityContext",
        "resources",
        "affinity",
        "podAffinity",
        "podAntiAffinity",
        "nodeAffinity",
        "tolerations",
        "nodeSelector",
        "topologySpreadConstraints",
        "env",
        "envFrom",
        "extraEnv",
        "extraEnvFrom",
        "extraEnvVars",
        "volumes",
        "volumeMounts",
        "extraVolumes",
        "extraVolumeMounts",
        "volumeClaimTemplate",
        "volumeClaimTemplates",
        "annotations",
        "labels",
        "podAnnotations",
        "podLabels",
        "extraLabels",
        "extraAnnotations",
        "commonLabels",
        "commonAnnotations",
        "serviceAnnotations",
        "serviceLabels",
        "livenessProbe",
        "readinessProbe",
        "startupProbe",
        "lifecycle",
        "lifecycleHooks",
        "dnsConfig",
        "hostAliases",
        "imagePullSecrets",
        "initContainers",
        "extraInitContainers",
        "extraContainers",
        "sidecars",
        "strategy",
        "updateStrategy",
        "deploymentStrategy",
        "persistentVolumeClaimRetentionPolicy",
        "extraArgs",
        "extraObjects",
    }
)


@dataclass
class _ChartModel:
    name: str
    version: str
    defaults: dict[str, Any]
    reads: set[Path_]
    read_prefixes: set[Path_]
    parents: set[Path_]
    opens: set[Path_]
    declared: set[Path_]
    subchart_schemas: list[tuple[Path_, dict[str, Any], dict[str, Any]]]


@dataclass
class _Part:
    """One chart of the tree: the root or a subchart, with the values path it is mounted at."""

    prefix: Path_
    values: dict[str, Any]
    templates: list[str]
    schema: dict[str, Any] | None
    conditions: list[Path_]


def _deep_merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = _deep_merge(base.get(k), v) if k in base else v
        return out
    return over if over is not None else base


def _parts_from_archive(root_name: str, data: bytes) -> list[_Part]:
    """Subcharts (at any depth) of a saved chart archive, mounted under their alias."""
    files: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(data)) as tf:
        for member in tf.getmembers():
            if member.isfile():
                handle = tf.extractfile(member)
                if handle is not None:
                    files[member.name] = handle.read()

    def read_yaml(name: str) -> dict[str, Any]:
        raw = files.get(name)
        if raw is None:
            return {}
        return helm_python.values_from_yaml(raw.decode()) or {}

    parts: list[_Part] = []

    def visit(directory: str, prefix: Path_) -> None:
        meta = read_yaml(f"{directory}/Chart.yaml")
        aliases: dict[str, list[str]] = {}
        for dep in meta.get("dependencies") or []:
            aliases.setdefault(str(dep.get("name")), []).append(str(dep.get("alias") or dep.get("name")))
        subdirs = sorted(
            {n[len(directory) + 8 :].split("/", 1)[0] for n in files if n.startswith(f"{directory}/charts/")}
        )
        for sub in subdirs:
            subdir = f"{directory}/charts/{sub}"
            if f"{subdir}/Chart.yaml" not in files:
                continue
            sub_name = str(read_yaml(f"{subdir}/Chart.yaml").get("name") or sub)
            for alias in aliases.get(sub_name, [sub_name]):
                schema_raw = files.get(f"{subdir}/values.schema.json")
                parts.append(
                    _Part(
                        prefix=(*prefix, alias),
                        values=read_yaml(f"{subdir}/values.yaml"),
                        templates=[
                            raw.decode(errors="replace")
                            for n, raw in files.items()
                            if n.startswith(f"{subdir}/templates/")
                        ],
                        schema=json.loads(schema_raw) if schema_raw else None,
                        conditions=[],
                    )
                )
                visit(subdir, (*prefix, alias))

    visit(root_name, ())
    return parts


def _schema_paths(
    schema: Any, prefix: Path_, declared: set[Path_], opens: set[Path_], depth: int = 0
) -> None:
    if not isinstance(schema, dict) or depth > 12:
        return
    props = schema.get("properties")
    if isinstance(props, dict):
        for key, sub in props.items():
            declared.add((*prefix, key))
            _schema_paths(sub, (*prefix, key), declared, opens, depth + 1)
    elif prefix and schema.get("type") in ("object", ["object", "null"]) and "additionalProperties" in schema:
        opens.add(prefix)
    for combo in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(combo) or []:
            _schema_paths(sub, prefix, declared, opens, depth + 1)


def _all_paths(node: Any, prefix: Path_, out: set[Path_]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            out.add((*prefix, key))
            _all_paths(value, (*prefix, key), out)


_CACHE: dict[str, _ChartModel] = {}


# Charts already seen, by handle; the chart is kept so that its id cannot be reused.
_BY_HANDLE: dict[int, tuple[helm_python.Chart, _ChartModel]] = {}


def _model(chart: helm_python.Chart) -> _ChartModel:
    seen = _BY_HANDLE.get(id(chart))
    if seen is not None and seen[0] is chart:
        return seen[1]
    model = _build_model(chart)
    _BY_HANDLE[id(chart)] = (chart, model)
    return model


def _build_model(chart: helm_python.Chart) -> _ChartModel:
    metadata = chart.metadata
    values = chart.values
    templates = chart.templates
    schema = chart.schema
    key = hashlib.sha256(
        json.dumps([metadata, values, templates, schema], sort_keys=True, default=str).encode()
    ).hexdigest()
    cached = _CACHE.get(key)
    if cached is not None:
        return cached

    root_conditions = [
        _segments(str(c))
        for dep in metadata.get("dependencies") or []
        for c in str(dep.get("condition") or "").split(",")
        if c.strip()
    ]
    parts = [_Part((), values, [t["data"] for t in templates], schema, root_conditions)]
    if chart.dependencies:
        with tempfile.TemporaryDirectory() as tmp:
            archive = Path(chart.save(tmp))
            parts += _parts_from_archive(str(metadata.get("name")), archive.read_bytes())

    defaults: dict[str, Any] = {}
    reads: set[Path_] = set()
    declared: set[Path_] = set()
    subchart_schemas: list[tuple[Path_, dict[str, Any], dict[str, Any]]] = []
    opens: set[Path_] = set()
    mounts = {part.prefix for part in parts if part.prefix}
    # A dependency the chart declares but does not bundle (dropped, or not yet fetched) is unknown: open.
    opens.update(
        absent
        for dep in metadata.get("dependencies") or []
        if (absent := (str(dep.get("alias") or dep.get("name")),)) not in mounts
    )
    if any(dep.get("tags") for dep in metadata.get("dependencies") or []):
        opens.add(("tags",))
    # Subcharts first, so the parent's values (which override them) win in the merged defaults.
    for part in sorted(parts, key=lambda p: -len(p.prefix)):
        sub_values = {k: v for k, v in part.values.items() if k != "global"}
        node: Any = sub_values
        for seg in reversed(part.prefix):
            node = {seg: node}
        defaults = _deep_merge(defaults, node)
        defaults = _deep_merge(defaults, {"global": part.values.get("global") or {}})
        scan = _Scan()
        scanner = _TemplateScanner(scan)
        for source in part.templates:
            scanner.scan_source(source)
        _resolve_calls(scan)

        def mount(path: Path_, prefix: Path_ = part.prefix) -> Path_:
            return path if path[:1] == ("global",) else prefix + path

        reads |= {mount(p) for p in scan.reads}
        opens |= {mount(p) for p in scan.opens}
        reads |= {mount(p) for p in part.conditions}
        if part.schema is not None:
            s_declared: set[Path_] = set()
            s_opens: set[Path_] = set()
            _schema_paths(part.schema, (), s_declared, s_opens)
            declared |= {mount(p) for p in s_declared}
            # A parent's schema leaves a subchart's subtree free-form; the subchart's own values say more.
            opens |= {mount(p) for p in s_opens} - mounts
            if part.prefix:
                subchart_schemas.append((part.prefix, part.schema, part.values))
    if not defaults.get("global"):
        defaults.pop("global", None)
    _all_paths(defaults, (), declared)
    read_prefixes = {p[:i] for p in reads for i in range(1, len(p) + 1)}
    model = _ChartModel(
        name=str(metadata.get("name")),
        version=str(metadata.get("version")),
        defaults=defaults,
        reads=reads,
        read_prefixes=read_prefixes,
        parents={p[:i] for p in declared | read_prefixes for i in range(1, len(p))},
        opens=opens,
        declared=declared,
        subchart_schemas=subchart_schemas,
    )
    _CACHE[key] = model
    return model


def _fmt(path: Path_) -> str:
    return ".".join(f'"{p}"' if "." in p or "/" in p else p for p in path)


def _closest(path: Path_, model: _ChartModel) -> str:
    known = model.declared | model.read_prefixes
    siblings = sorted(p[-1] for p in known if p[:-1] == path[:-1])
    near = difflib.get_close_matches(path[-1], siblings, n=1, cutoff=0.6)
    same_name = sorted((p for p in known if p[-1] == path[-1] and p != path), key=len)
    if same_name:  # the right key in the wrong place
        return _fmt(same_name[0])
    if near:
        return _fmt((*path[:-1], near[0]))
    by_leaf: dict[str, list[Path_]] = {}
    for p in known:
        by_leaf.setdefault(p[-1], []).append(p)
    leaf = difflib.get_close_matches(path[-1], list(by_leaf), n=1, cutoff=0.6)
    if leaf:
        return _fmt(min(by_leaf[leaf[0]], key=lambda p: (len(p), p)))
    anything = difflib.get_close_matches(path[-1], siblings, n=1, cutoff=0.0)
    if anything:
        return _fmt((*path[:-1], anything[0]))
    return _fmt(path[:-1]) if path[:-1] else "(none)"


def _walk(path: Path_, given: Mapping[str, Any], default: Any, model: _ChartModel) -> Iterator[Path_]:
    for key, value in given.items():
        here = (*path, str(key))
        declared = isinstance(default, dict) and key in default
        known = declared or here in model.read_prefixes or here in model.declared or here in model.opens
        if not known:
            yield here
            continue
        if not isinstance(value, dict) or key in OPEN_KEYS or here in model.opens:
            continue
        sub_default = default.get(key) if isinstance(default, dict) else None
        if declared and not (isinstance(sub_default, dict) and sub_default):
            continue  # `{}`, null or a scalar by default: free-form below.
        if not declared and here in model.reads and here not in model.parents:
            continue  # read whole by a template, nothing below it named anywhere.
        yield from _walk(here, value, sub_default, model)


def check_values(release: str, chart: helm_python.Chart, values: Mapping[str, Any]) -> list[str]:
    """Every problem with `values` for `chart`, one sentence each, naming the release.

    Reports keys the chart neither declares nor reads (with the closest declared key) and violations
    of the chart's `values.schema.json` and its subcharts' schemas.
    """
    model = _model(chart)
    label = f"{model.name}-{model.version}"
    problems: list[str] = []
    plain = json.loads(json.dumps(dict(values or {}), default=str))
    try:
        chart.validate_schema(plain)
    except HelmError as exc:
        detail = " ".join(str(exc).split())
        problems.append(
            f"Helm release {release}: values break the values.schema.json of chart {label}: {detail}. "
            "Fix the value to match the chart's schema."
        )
    for prefix, schema, sub_defaults in model.subchart_schemas:
        node: Any = plain
        for seg in prefix:
            node = node.get(seg) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            continue
        merged = _deep_merge(sub_defaults, node)
        for error in sorted(jsonschema.Draft7Validator(schema).iter_errors(merged), key=str):
            where = _fmt(prefix + tuple(str(p) for p in error.absolute_path))
            problems.append(
                f"Helm release {release}: values key `{where}` breaks the values.schema.json of "
                f"subchart {_fmt(prefix)} of chart {label}: {error.message}."
            )
    for path in _walk((), plain, model.defaults, model):
        problems.append(
            f"Helm release {release}: values key `{_fmt(path)}` is neither declared nor read by chart "
            f"{label}, so Helm ignores it; the closest declared key is `{_closest(path, model)}`."
        )
    return problems
