"""What changed between two plans of one stack: resources added, removed, and inputs changed, by URN.

Input values are compared as recorded (secrets are already "[secret]"); nested objects are walked so a
changed tag shows as `tags.owner`, not as the whole `tags` map.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from review.plan import Plan


@dataclass(frozen=True)
class InputChange:
    path: str
    before: Any
    after: Any


@dataclass(frozen=True)
class PlanDiff:
    added: list[str]
    removed: list[str]
    changed: dict[str, list[InputChange]]

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def as_json(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "removed": self.removed,
            "changed": {urn: [each.__dict__ for each in changes] for urn, changes in self.changed.items()},
        }


def _walk(path: str, before: Any, after: Any, out: list[InputChange]) -> None:
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after)):
            _walk(f"{path}.{key}" if path else str(key), before.get(key), after.get(key), out)
    elif before != after:
        out.append(InputChange(path, before, after))


def diff_plans(previous: Plan, current: Plan) -> PlanDiff:
    old, new = previous.by_urn, current.by_urn
    changed: dict[str, list[InputChange]] = {}
    for urn in sorted(set(old) & set(new)):
        changes: list[InputChange] = []
        _walk("", old[urn].get("inputs") or {}, new[urn].get("inputs") or {}, changes)
        if changes:
            changed[urn] = changes
    return PlanDiff(added=sorted(set(new) - set(old)), removed=sorted(set(old) - set(new)), changed=changed)
