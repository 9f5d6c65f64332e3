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
import re
import tarfile
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import helm_python
import jsonschema
from helm_python.errors import HelmError

__all__ = ["OPEN_KEYS", "check_values"]

Path_ = tuple[str, ...]

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

_PASSTHROUGH_FUNCS = frozenset(
    {"toYaml", "toJson", "toPrettyJson", "toRawJson", "tpl", "toString", "keys", "values", "deepCopy", "omit"}
)
_ALIASING_FUNCS = frozenset(
    {
        "index",
        "get",
        "dig",
        "default",
        "merge",
        "mergeOverwrite",
        "mustMerge",
        "mustMergeOverwrite",
        "deepCopy",
    }
)
_BUILTIN_ROOTS = frozenset({"Values", "Release", "Chart", "Capabilities", "Template", "Files", "Subcharts"})

_ACTION = re.compile(r"\{\{-?(.*?)-?\}\}", re.DOTALL)
_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_TOKEN = re.compile(
    r"""
    (?P<str>"(?:[^"\\]|\\.)*"|`[^`]*`)
  | (?P<var>\$[A-Za-z_]\w*|\$)(?P<varpath>(?:\.[A-Za-z_]\w*)*)
  | (?P<dot>(?:\.[A-Za-z_]\w*)+|\.)
  | (?P<ident>[A-Za-z_][\w-]*)
  | (?P<assign>:=|=)
  | (?P<punct>[()|,])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Base:
    """Where a template's `.` (or a variable) points: values path, root context, or a helper's argument."""

    kind: str  # "root" | "values" | "define" | "unknown"
    path: Path_ = ()
    define: str = ""


_ROOT = _Base("root")
_UNKNOWN = _Base("unknown")


@dataclass
class _Define:
    reads: set[Path_] = field(default_factory=set)
    opens: set[Path_] = field(default_factory=set)
    calls: list[tuple[str, dict[str, Path_]]] = field(default_factory=list)


@dataclass
class _Scan:
    """What one chart's templates read, in that chart's own values scope."""

    reads: set[Path_] = field(default_factory=set)
    opens: set[Path_] = field(default_factory=set)
    defines: dict[str, _Define] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Path_]]] = field(default_factory=list)


def _tokens(action: str) -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    for m in _TOKEN.finditer(action):
        kind = m.lastgroup or ""
        if kind in {"var", "varpath"}:
            out.append(("var", m.group("var"), m.group("varpath") or ""))
        else:
            out.append((kind, m.group(0), ""))
    return out


def _segments(dotted: str) -> Path_:
    return tuple(s for s in dotted.split(".") if s)


class _TemplateScanner:
    """Walks Go template actions keeping track of what `.` and each `$variable` point to."""

    def __init__(self, scan: _Scan) -> None:
        self.scan = scan

    def _resolve(
        self, tok: tuple[str, str, str], dot: _Base, variables: Mapping[str, _Base]
    ) -> tuple[_Base, Path_] | None:
        kind, text, extra = tok
        if kind == "dot":
            segs = _segments(text)
            if segs and segs[0] == "Values":
                return _Base("values"), segs[1:]
            if segs and segs[0] in _BUILTIN_ROOTS:
                return None
            if len(segs) >= 2 and segs[1] == "Values":  # .ctx.Values.x, .context.Values.x
                return _Base("values"), segs[2:]
            return dot, segs
        if kind == "var":
            segs = _segments(extra)
            base = _ROOT if text == "$" else variables.get(text, _UNKNOWN)
            if base.kind == "root" and segs and segs[0] == "Values":
                return _Base("values"), segs[1:]
            if base.kind == "root":
                return None
            return base, segs
        return None

    def _record(self, base: _Base, path: Path_, *, open_: bool) -> None:
        if base.kind == "values":
            full = base.path + path
            if not full:
                return
            (self.scan.opens if open_ else self.scan.reads).add(full)
        elif base.kind == "define":
            d = self.scan.defines.setdefault(base.define, _Define())
            (d.opens if open_ else d.reads).add(base.path + path)

    def _absolute(self, base: _Base, path: Path_) -> _Base:
        if base.kind in {"values", "define"}:
            return _Base(base.kind, base.path + path, base.define)
        if base.kind == "root" and not path:
            return _ROOT
        return _UNKNOWN

    def scan_source(self, source: str) -> None:
        stack: list[tuple[str, _Base, dict[str, _Base]]] = [("file", _ROOT, {})]
        for raw in _ACTION.findall(source):
            action = (_COMMENT.sub("", raw) if "/*" in raw else raw).strip()
            if action == "end":
                if len(stack) > 1:
                    stack.pop()
                continue
            if not action:
                continue
            toks = _tokens(action)
            if not toks:
                continue
            _, dot, variables = stack[-1]
            head = toks[0][1] if toks[0][0] == "ident" else ""
            if head == "end":
                if len(stack) > 1:
                    stack.pop()
                continue
            body = toks
            if head in {"define", "block"}:
                name = toks[1][1].strip('"`') if len(toks) > 1 and toks[1][0] == "str" else ""
                stack.append((name, _Base("define", (), name), {}))
                self.scan.defines.setdefault(name, _Define())
                continue
            if head == "else":
                if len(stack) > 1:
                    stack.pop()
                _, dot, variables = stack[-1]
                body = toks[1:]
                head = body[0][1] if body and body[0][0] == "ident" else ""
                if head not in {"with", "if", "range"}:
                    stack.append(("else", dot, dict(variables)))
                    continue
            self._action(body, head, dot, variables, stack)

    def _action(
        self,
        toks: list[tuple[str, str, str]],
        head: str,
        dot: _Base,
        variables: dict[str, _Base],
        stack: list[tuple[str, _Base, dict[str, _Base]]],
    ) -> None:
        expr = toks[1:] if head in {"with", "if", "range"} else toks
        # `$k, $v := X` in range, `$x := X` anywhere: bind the first reference after the assignment.
        bound: list[str] = []
        assign_at = next((i for i, t in enumerate(expr) if t[0] == "assign"), -1)
        if assign_at >= 0:
            bound = [t[1] for t in expr[:assign_at] if t[0] == "var"]
            expr = expr[assign_at + 1 :]
        refs = self._refs(expr, dot, variables)
        first = refs[0] if refs else None
        target = self._absolute(*first) if first is not None else _UNKNOWN
        if head == "range":
            if first is not None:
                self._record(*first, open_=True)
            inner = dict(variables)
            for name in bound:
                inner[name] = _UNKNOWN
            stack.append(("range", _UNKNOWN, inner))
            return
        if bound:
            # A variable bound to a reference (or to a lookup or merge starting from one) aliases it.
            starts = expr[0] if expr else ("", "", "")
            aliasing = first is not None and (
                starts[0] in {"dot", "var", "punct"} or starts[1] in _ALIASING_FUNCS
            )
            variables[bound[0]] = target if aliasing else _UNKNOWN
        if head == "with":
            inner = dict(variables)
            stack.append(("with", target if first is not None else _UNKNOWN, inner))
        elif head == "if":
            stack.append(("if", dot, dict(variables)))

    def _refs(
        self, toks: Sequence[tuple[str, str, str]], dot: _Base, variables: Mapping[str, _Base]
    ) -> list[tuple[_Base, Path_]]:
        """Record every values reference in an expression; returns them in order."""
        found: list[tuple[_Base, Path_]] = []
        n = len(toks)
        has_dig = any(t[1] == "dig" for t in toks)
        for i, tok in enumerate(toks):
            if tok[0] not in {"dot", "var"}:
                continue
            resolved = self._resolve(tok, dot, variables)
            if resolved is None:
                continue
            base, path = resolved
            if has_dig or (i > 0 and toks[i - 1][1] in {"index", "hasKey", "get"}):
                path = tuple(p for p in (*path, *self._literal_keys(toks, i)) if "$" not in p)
            prev = toks[i - 1][1] if i > 0 else ""
            prev2 = toks[i - 2][1] if i > 1 else ""
            passthrough = (
                prev in _PASSTHROUGH_FUNCS
                or (prev == "(" and prev2 in _PASSTHROUGH_FUNCS)
                or (i + 2 < n and toks[i + 1][1] == "|" and toks[i + 2][1] in _PASSTHROUGH_FUNCS)
            )
            self._record(base, path, open_=passthrough)
            found.append((base, path))
        if any(t[1] in {"include", "template"} for t in toks if t[0] == "ident"):
            self._calls(toks, dot, variables)
        return found

    @staticmethod
    def _literal_keys(toks: Sequence[tuple[str, str, str]], i: int) -> Path_:
        """Keys that `index REF "a" "b"`, `hasKey REF "a"`, `get REF "a"`, `dig "a" "b" DEFAULT REF` add."""
        prev = toks[i - 1][1] if i > 0 else ""
        after: list[str] = []
        j = i + 1
        while j < len(toks) and toks[j][0] == "str":
            after.append(toks[j][1][1:-1])
            j += 1
        if prev == "index":
            return tuple(after)
        if prev in {"hasKey", "get"}:
            return tuple(after[:1])
        j = i - 2  # dig: walk back over the default and the key strings.
        before: list[str] = []
        while j >= 0 and toks[j][0] == "str":
            before.insert(0, toks[j][1][1:-1])
            j -= 1
        if j >= 0 and toks[j][1] == "dig" and before and i > 1 and toks[i - 1][0] != "str":
            return tuple(before)
        return ()

    def _call_arguments(
        self, toks: Sequence[tuple[str, str, str]], start: int, dot: _Base, variables: Mapping[str, _Base]
    ) -> dict[str, _Base]:
        """What a helper gets: `""` for a direct argument, or each key of a `(dict "k" V ...)`."""
        arguments: dict[str, _Base] = {}
        if toks[start][1] == "(" and start + 1 < len(toks) and toks[start + 1][1] == "dict":
            j, depth = start + 2, 1
            while j + 1 < len(toks) and depth > 0:
                if toks[j][1] == "(":
                    depth += 1
                elif toks[j][1] == ")":
                    depth -= 1
                elif depth == 1 and toks[j][0] == "str":
                    resolved = self._resolve(toks[j + 1], dot, variables)
                    if resolved is not None:
                        arguments[toks[j][1][1:-1]] = self._absolute(*resolved)
                j += 1
        else:
            resolved = self._resolve(toks[start], dot, variables)
            if resolved is not None:
                arguments[""] = self._absolute(*resolved)
        return arguments

    def _calls(
        self, toks: Sequence[tuple[str, str, str]], dot: _Base, variables: Mapping[str, _Base]
    ) -> None:
        for i, tok in enumerate(toks):
            if tok[1] not in {"include", "template"} or i + 2 >= len(toks) or toks[i + 1][0] != "str":
                continue
            name = toks[i + 1][1][1:-1]
            arguments = self._call_arguments(toks, i + 2, dot, variables)
            absolute = {k: b.path for k, b in arguments.items() if b.kind == "values"}
            if absolute:
                self.scan.calls.append((name, absolute))
            for key, base in arguments.items():
                if base.kind == "define":
                    self.scan.defines.setdefault(base.define, _Define()).calls.append(
                        (name, {key: base.path})
                    )


def _substitute(rel: Path_, mapping: Mapping[str, Path_]) -> Iterator[Path_]:
    """Values paths that a helper's read of `rel` (relative to its argument) stands for."""
    for key, target in mapping.items():
        if key == "":
            yield target + rel
        elif rel and rel[0] == key:
            yield target + rel[1:]


def _resolve_calls(scan: _Scan) -> None:
    """Turn helpers' reads of their argument into values paths, following helper-to-helper calls."""
    seen: set[tuple[str, tuple[tuple[str, Path_], ...]]] = set()

    def expand(name: str, mapping: Mapping[str, Path_], depth: int) -> None:
        define = scan.defines.get(name)
        key = (name, tuple(sorted(mapping.items())))
        if define is None or depth > 8 or key in seen:
            return
        seen.add(key)
        for rel in define.reads:
            scan.reads.update(p for p in _substitute(rel, mapping) if p)
        for rel in define.opens:
            scan.opens.update(p for p in _substitute(rel, mapping) if p)
        for callee, inner in define.calls:
            sub = {k: p for k, rel in inner.items() for p in _substitute(rel, mapping)}
            if sub:
                expand(callee, sub, depth + 1)

    for name, mapping in scan.calls:
        expand(name, mapping, 0)


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
