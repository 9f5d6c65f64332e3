"""Every shared standard is written down once in the code base; a second copy drifts (ours did).

Scans the source of the program, the policy pack, the review tooling, ops and the offline plan for the
literal shapes each standard takes, and expects exactly one module to hold each. The scan runs in a fresh
interpreter: CPython 3.11.7's `ast.parse` can fail late in a long test session ("AST constructor
recursion depth mismatch", python/cpython#106905).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]

SOURCES = ("infra", "policies", "review", "ops", "offline_plan/src")


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            yield str(path.relative_to(ROOT)), ast.parse(path.read_text())


def _strings(node: ast.AST) -> set[str]:
    return {n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def _module_constant(value: str) -> Callable[[ast.AST], bool]:
    def matches(node: ast.AST) -> bool:
        return (
            isinstance(node, ast.Assign | ast.AnnAssign)
            and isinstance(node.value, ast.Constant)
            and (node.value.value == value)
        )

    return matches


def _written_key(key: str) -> Callable[[ast.AST], bool]:
    """A dict literal with `key`, or `something[key] = ...`: where a value is set, not where it is read."""

    def matches(node: ast.AST) -> bool:
        if isinstance(node, ast.Dict):
            return any(isinstance(k, ast.Constant) and k.value == key for k in node.keys)
        return (
            isinstance(node, ast.Subscript)
            and isinstance(node.ctx, ast.Store)
            and isinstance(node.slice, ast.Constant)
            and node.slice.value == key
        )

    return matches


def _collection_of(*members: str) -> Callable[[ast.AST], bool]:
    return lambda node: isinstance(node, ast.Set | ast.List | ast.Tuple) and set(members) <= _strings(node)


def _function(name: str) -> Callable[[ast.AST], bool]:
    return lambda node: isinstance(node, ast.FunctionDef) and node.name == name


def _subclass_of(base: str) -> Callable[[ast.AST], bool]:
    return lambda node: isinstance(node, ast.ClassDef) and any(ast.unparse(b) == base for b in node.bases)


def _chart_pin(node: ast.AST) -> bool:
    """A chart pinned by literal name, repository URL and exact version."""
    if not isinstance(node, ast.Call):
        return False
    keywords = {k.arg for k in node.keywords}
    return {"name", "version", "repository"} <= keywords


STANDARDS: dict[str, Callable[[ast.AST], bool]] = {
    "secret marker": _module_constant("[secret]"),
    "unknown marker": _module_constant("[unknown]"),
    "restricted security context (seccomp RuntimeDefault)": _written_key("seccompProfile"),
    "Pod Security namespace labels": lambda node: (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.endswith("/enforce-version")
    ),
    "tcp()": _function("tcp"),
    "instance families": _collection_of("m6i", "r6i"),
    "required tags": _collection_of("owner", "cost-center", "environment"),
    "YAML dumper": _subclass_of("yaml.SafeDumper"),
    "chart pins": _chart_pin,
}


def scan() -> dict[str, list[str]]:
    """The modules holding each standard."""
    trees = list(_modules())
    return {
        standard: sorted({name for name, tree in trees if any(matches(node) for node in ast.walk(tree))})
        for standard, matches in STANDARDS.items()
    }


@pytest.fixture(scope="module")
def holders() -> dict[str, Any]:
    code = f"import json, runpy; print(json.dumps(runpy.run_path({str(Path(__file__))!r})['scan']()))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(result.stdout)  # type: ignore[no-any-return]


@pytest.mark.parametrize("standard", list(STANDARDS))
def test_each_standard_is_defined_in_one_module(holders: dict[str, list[str]], standard: str) -> None:
    found = holders[standard]
    assert len(found) == 1, f"{standard} is defined in {len(found)} modules: {found}"
