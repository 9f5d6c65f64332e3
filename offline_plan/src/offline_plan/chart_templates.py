"""Which values paths a chart's templates read, found in the template source (see `chart_values`).

`.Values.a.b`, `$.Values`, `.ctx.Values`, `index .Values "a" "b"`, `hasKey`, `dig`, `get`, variables
bound to a values path, `with` blocks, and helpers handed a sub-dict; values passed whole to `toYaml`,
`tpl` or `range` open their subtree.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

Path_ = tuple[str, ...]  # a values path, key by key


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
