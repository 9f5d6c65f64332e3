"""The plan report: one Markdown page (and the same figures as JSON) a reviewer reads at a glance.

Sections: summary, policy verdicts, diff against a previous plan, what the added resources cost and where
they sit in the deploy, monthly cost by component and by region (primary and DR), estimated `pulumi up`
duration with its critical path, resources by component and type, and the diagram link.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from review.cost import Estimate
from review.diff import PlanDiff
from review.duration import DurationEstimate
from review.plan import (
    NO_COMPONENT,
    Plan,
    component_of,
    is_component,
    is_provider,
    short_type,
    urn_name,
    urn_type,
)

MAX_CHANGED_INPUTS = 8
STACK_TYPE = "pulumi:pulumi:Stack"


def _usd(value: float) -> str:
    return f"${value:,.2f}"


def _cell(value: Any, limit: int = 60) -> str:
    text = "—" if value is None else str(value)
    text = text.replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def resources_by_component(plan: Plan) -> dict[str, Counter[str]]:
    grouped: dict[str, Counter[str]] = defaultdict(Counter)
    for resource in plan.resources:
        if resource["type"] == STACK_TYPE or is_component(resource):
            continue
        grouped[component_of(resource, plan.by_urn)][resource["type"]] += 1
    return dict(sorted(grouped.items()))


def policy_summary(plan: Plan) -> str:
    if plan.policy_violations is None:
        return "not checked"
    mandatory = sum(1 for v in plan.policy_violations if v.enforcement_level == "mandatory")
    if not plan.policy_violations:
        return "passed (no violations)"
    return f"{len(plan.policy_violations)} violation(s), {mandatory} mandatory"


def build_json(
    plan: Plan, estimate: Estimate, duration: DurationEstimate, diff: PlanDiff | None, diagram: str | None
) -> dict[str, Any]:
    return {
        "project": plan.project,
        "stack": plan.stack,
        "resources": {
            name: dict(sorted(types.items())) for name, types in resources_by_component(plan).items()
        },
        "policy": {
            "checked": plan.policy_violations is not None,
            "violations": [v.model_dump(by_alias=True) for v in plan.policy_violations or []],
        },
        "diff": diff.as_json() if diff is not None else None,
        "added": added_resources(plan, estimate, duration, diff),
        "cost": estimate.as_json(),
        "duration": duration.as_json(),
        "diagram": diagram,
    }


def _summary(plan: Plan, estimate: Estimate, duration: DurationEstimate, diff: PlanDiff | None) -> list[str]:
    counted = [
        r for r in plan.resources if r["type"] != STACK_TYPE and not is_component(r) and not is_provider(r)
    ]
    components = len(set(resources_by_component(plan)) - {NO_COMPONENT})
    diff_text = (
        "no previous plan given"
        if diff is None
        else f"+{len(diff.added)} added, -{len(diff.removed)} removed, ~{len(diff.changed)} changed"
    )
    unpriced = f"; {len(estimate.unpriced)} unpriced" if estimate.unpriced else ""
    return [
        "| | |",
        "|---|---|",
        f"| Resources | {len(counted)} cloud/Kubernetes resources in {components} components |",
        f"| Policy | {policy_summary(plan)} |",
        f"| Changes | {diff_text} |",
        f"| Monthly estimate | **{_usd(estimate.total_usd)}** "
        f"(prices as of {estimate.prices_as_of}{unpriced}){_dr_share(estimate)} |",
        f"| `pulumi up` from scratch | **~{duration.minutes:.0f} min** (range {duration.low_minutes:.0f} to "
        f"{duration.high_minutes:.0f}; {duration.serial_minutes:.0f} min if nothing ran in parallel) |",
        "",
    ]


def _dr_share(estimate: Estimate) -> str:
    dr = {region: usd for region, usd in estimate.by_region.items() if region.endswith("(DR)")}
    return "".join(f"; {region}: {_usd(usd)}" for region, usd in dr.items())


def _policy(plan: Plan) -> list[str]:
    lines = ["## Policy verdicts", ""]
    if plan.policy_violations is None:
        return [
            *lines,
            "Not checked: this plan has no `policyViolations` (run the offline plan with policies).",
            "",
        ]
    if not plan.policy_violations:
        return [*lines, "All policies passed.", ""]
    lines += [
        "| Severity | Enforcement | Policy | Resource | Message | Remediation |",
        "|---|---|---|---|---|---|",
    ]
    for v in plan.policy_violations:
        resource = urn_name(v.urn or "") or "(stack)"
        lines.append(
            f"| {_cell(v.severity)} | {_cell(v.enforcement_level)} | {_cell(v.policy)} "
            f"| {_cell(resource)} | {_cell(v.message, 200)} | {_cell(v.remediation, 160)} |"
        )
    return [*lines, ""]


def _diff(diff: PlanDiff | None) -> list[str]:
    lines = ["## Changes against the previous plan", ""]
    if diff is None:
        return [*lines, "No previous plan was given (`--previous old/resources.json`).", ""]
    if diff.empty:
        return [*lines, "No changes.", ""]
    for label, urns in (("Added", diff.added), ("Removed", diff.removed)):
        if urns:
            lines += [f"**{label}** ({len(urns)}):", ""]
            lines += [f"- `{short_type(urn_type(urn))}` {urn_name(urn)}" for urn in urns]
            lines.append("")
    if diff.changed:
        lines += [f"**Changed inputs** ({len(diff.changed)} resources):", ""]
        lines += ["| Resource | Input | Before | After |", "|---|---|---|---|"]
        for urn, changes in diff.changed.items():
            name = urn_name(urn)
            for change in changes[:MAX_CHANGED_INPUTS]:
                lines.append(f"| {name} | `{change.path}` | {_cell(change.before)} | {_cell(change.after)} |")
            if len(changes) > MAX_CHANGED_INPUTS:
                lines.append(f"| {name} | ... {len(changes) - MAX_CHANGED_INPUTS} more | | |")
        lines.append("")
    return lines


def added_resources(
    plan: Plan, estimate: Estimate, duration: DurationEstimate, diff: PlanDiff | None
) -> list[dict[str, Any]]:
    """Each resource the diff adds: its component, monthly USD and when a from-scratch `up` creates it."""
    if diff is None:
        return []
    on_path = {step.urn for step in duration.critical_path}
    rows = []
    for urn in diff.added:
        resource = plan.by_urn.get(urn)
        if (
            resource is None
            or is_component(resource)
            or is_provider(resource)
            or resource["type"] == STACK_TYPE
        ):
            continue
        rows.append(
            {
                "component": component_of(resource, plan.by_urn),
                "urn": urn,
                "type": resource["type"],
                "monthlyUsd": round(estimate.usd_of(urn), 2),
                "createdAtMinute": round(duration.finish_minutes.get(urn, 0.0), 1),
                "onCriticalPath": urn in on_path,
            }
        )
    return sorted(rows, key=lambda row: (row["component"], row["createdAtMinute"], row["urn"]))


def _added(plan: Plan, estimate: Estimate, duration: DurationEstimate, diff: PlanDiff | None) -> list[str]:
    rows = added_resources(plan, estimate, duration, diff)
    if not rows:
        return []
    total = sum(row["monthlyUsd"] for row in rows)
    on_path = [row for row in rows if row["onCriticalPath"]]
    lines = [
        "## Added resources: cost and place in the deploy",
        "",
        f"{len(rows)} added resources cost **{_usd(total)}** a month; "
        + (
            f"{len(on_path)} are on the critical path of a from-scratch `up` (~{duration.minutes:.1f} min)."
            if on_path
            else f"none is on the critical path of a from-scratch `up` (~{duration.minutes:.1f} min)."
        ),
        "",
        "| Component | Resource | Type | USD / month | Created at (min) | Critical path |",
        "|---|---|---|---:|---:|---|",
    ]
    for row in rows:
        path = "yes" if row["onCriticalPath"] else ""
        lines.append(
            f"| {row['component']} | {urn_name(row['urn'])} | `{short_type(row['type'])}` "
            f"| {_usd(row['monthlyUsd'])} | {row['createdAtMinute']:.1f} | {path} |"
        )
    return [*lines, ""]


def _cost(estimate: Estimate) -> list[str]:
    lines = ["## Monthly cost estimate", "", "| Component | USD / month |", "|---|---:|"]
    lines += [f"| {component} | {_usd(usd)} |" for component, usd in estimate.by_component.items()]
    lines += [f"| **Total** | **{_usd(estimate.total_usd)}** |", ""]
    lines += ["| Region | USD / month |", "|---|---:|"]
    lines += [f"| {region} | {_usd(usd)} |" for region, usd in estimate.by_region.items()]
    lines.append("")
    lines += ["<details><summary>Cost lines</summary>", ""]
    lines += [
        "| Component | Resource | Item | Quantity | Unit price | USD / month |",
        "|---|---|---|---:|---:|---:|",
    ]
    for line in sorted(estimate.lines, key=lambda item: (item.component, -item.monthly_usd)):
        lines.append(
            f"| {line.component} | {urn_name(line.urn)} | {line.item} | {line.quantity:,.0f} {line.unit} | "
            f"${line.unit_price_usd:g} | {_usd(line.monthly_usd)} |"
        )
    lines += ["", "</details>", ""]
    if estimate.unpriced:
        lines += ["**Unpriced** (missing from the price table, not counted):", ""]
        lines += [f"- {urn_name(item.urn)}: {item.item}: {item.reason}" for item in estimate.unpriced]
        lines.append("")
    lines += [f"Prices: `review/data/aws-prices.json` as of {estimate.prices_as_of}. Usage assumptions:", ""]
    for key, assumption in sorted(estimate.assumptions_used.items()):
        lines.append(f"- `{key}` = {assumption['value']} {assumption['unit']}: {assumption['why']}")
    return [*lines, ""]


def _duration(duration: DurationEstimate) -> list[str]:
    lines = [
        "## Estimated `pulumi up` duration (from scratch)",
        "",
        f"Critical path ~{duration.minutes:.1f} min over {len(duration.critical_path)} steps "
        "(creation times: `review/data/create-times.json`):",
        "",
        "| Ends at (min) | Takes (min) | Waits via | Type | Name |",
        "|---:|---:|---|---|---|",
    ]
    for step in duration.critical_path:
        lines.append(
            f"| {step.finishes_at:.1f} | {step.minutes:.1f} | {step.waits_via} "
            f"| `{short_type(step.type)}` | {step.name} |"
        )
    lines.append("")
    if duration.explicit_edges:
        lines += [
            "Steps that wait only through `depends_on` (no input uses the predecessor); check each:",
            "",
        ]
        lines += [f"- {step.name} (`{short_type(step.type)}`)" for step in duration.explicit_edges]
        lines.append("")
    return lines


def _resources(plan: Plan) -> list[str]:
    lines = ["## Resources by component and type", ""]
    for component, types in resources_by_component(plan).items():
        lines += [f"**{component}** ({sum(types.values())})", ""]
        lines += [f"- {count} x `{resource_type}`" for resource_type, count in sorted(types.items())]
        lines.append("")
    return lines


def build_markdown(
    plan: Plan,
    estimate: Estimate,
    duration: DurationEstimate,
    diff: PlanDiff | None,
    diagram: str | None,
    diagram_problem: str | None = None,
) -> str:
    lines = [f"# Plan report: {plan.project} / {plan.stack}", "", *_summary(plan, estimate, duration, diff)]
    if diagram:
        lines += [f"Architecture diagram: [{diagram}]({diagram})", ""]
    elif diagram_problem:
        lines += [f"Architecture diagram: not drawn ({diagram_problem})", ""]
    lines += _policy(plan) + _diff(diff) + _added(plan, estimate, duration, diff)
    lines += _cost(estimate) + _duration(duration) + _resources(plan)
    return "\n".join(lines)
