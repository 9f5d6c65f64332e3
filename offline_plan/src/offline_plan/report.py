"""A preview-like summary of a plan: the resource tree by parent and the counts per type."""

from __future__ import annotations

from collections import Counter, defaultdict

from offline_plan.document import PlanDocument, ResourceRecord


def tree_lines(plan: PlanDocument) -> list[str]:
    """`+ type name` lines indented under their parents, like `pulumi preview`."""
    children: dict[str | None, list[ResourceRecord]] = defaultdict(list)
    for resource in plan.resources:
        children[resource["parent"]].append(resource)
    lines: list[str] = []

    def walk(parent: str | None, depth: int) -> None:
        for resource in sorted(children.get(parent, []), key=lambda item: (item["type"], item["name"])):
            lines.append(f"{'    ' * depth}+ {resource['type']:<58} {resource['name']}")
            walk(resource["urn"], depth + 1)

    walk(None, 0)
    return lines


def type_counts(plan: PlanDocument) -> list[tuple[str, int]]:
    return sorted(Counter(resource["type"] for resource in plan.resources).items())


def summary(plan: PlanDocument) -> str:
    mode = "preview" if plan.preview else "update (applied values)"
    lines = [
        f"Offline plan of {plan.project}/{plan.stack} ({mode})",
        "",
        *tree_lines(plan),
        "",
        "Resources by type:",
    ]
    lines += [f"  {count:>4}  {kind}" for kind, count in type_counts(plan)]
    lines.append(f"  {len(plan.resources):>4}  to create")
    if plan.outputs:
        lines += ["", "Outputs:"] + [f"  {key}: {value}" for key, value in sorted(plan.outputs.items())]
    if plan.invokes:
        counts = Counter(invoke["token"] for invoke in plan.invokes)
        lines += ["", f"Invokes ({len(plan.invokes)}; arguments in resources.json):"]
        lines += [f"  {count:>4}  {token}" for token, count in sorted(counts.items())]
    if plan.warnings:
        lines += ["", "Warnings:"] + [f"  {warning}" for warning in plan.warnings]
    return "\n".join(lines)
