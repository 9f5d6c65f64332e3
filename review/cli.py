"""`plan-report`: a reviewer's report of one or more offline plans.

    plan-report out/production/resources.json --out report/production
    plan-report out/staging/resources.json --previous main/staging/resources.json --out report/staging

Writes `<out>/report.md`, `<out>/report.json`, `<out>/architecture.svg` (+ `.dot`) per plan; with several
plans, one sub-folder per stack. Exit codes: 0 written, 2 bad input (the message says which file and why).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from review.cost import PriceTableError, monthly_estimate
from review.diagram import DiagramError, render_svg
from review.diff import diff_plans
from review.duration import deploy_duration
from review.plan import Plan, PlanError, load
from review.report import build_json, build_markdown

EXIT_BAD_INPUT = 2


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="plan-report", description=__doc__.split("\n\n")[0])
    parser.add_argument("plans", nargs="+", type=Path, help="offline-plan resources.json file(s)")
    parser.add_argument(
        "--previous",
        type=Path,
        action="append",
        default=[],
        help="previous resources.json of the same stack to diff against (one per plan, same order)",
    )
    parser.add_argument("--out", type=Path, default=Path("report"), help="output folder (default: report/)")
    return parser.parse_args(argv)


def write_report(plan: Plan, previous: Plan | None, out: Path) -> str:
    """Write the report files for one plan; returns the Markdown."""
    out.mkdir(parents=True, exist_ok=True)
    estimate = monthly_estimate(plan.resources)
    duration = deploy_duration(plan.resources)
    diff = diff_plans(previous, plan) if previous is not None else None
    diagram, problem = None, None
    try:
        diagram = render_svg(plan, out).name
    except DiagramError as error:
        problem = str(error)
        sys.stderr.write(f"warning: {error}\n")
    markdown = build_markdown(plan, estimate, duration, diff, diagram, problem)
    (out / "report.md").write_text(markdown + "\n")
    document = build_json(plan, estimate, duration, diff, diagram)
    (out / "report.json").write_text(json.dumps(document, indent=2, default=str) + "\n")
    return markdown


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.previous and len(args.previous) != len(args.plans):
        sys.stderr.write(
            f"error: {len(args.plans)} plan(s) but {len(args.previous)} --previous; "
            "give one --previous per plan, in the same order, or none\n"
        )
        return EXIT_BAD_INPUT
    try:
        plans = [load(path) for path in args.plans]
        previous: list[Plan | None] = [load(path) for path in args.previous] or [None] * len(plans)
    except PlanError as error:
        sys.stderr.write(f"error: {error}\n")
        return EXIT_BAD_INPUT
    for plan, old in zip(plans, previous, strict=True):
        if old is not None and old.stack != plan.stack:
            sys.stderr.write(
                f"error: --previous {old.source} is stack {old.stack!r} but {plan.source} is {plan.stack!r}; "
                "diff plans of the same stack\n"
            )
            return EXIT_BAD_INPUT
    for plan, old in zip(plans, previous, strict=True):
        out = args.out if len(plans) == 1 else args.out / (plan.stack or Path(plan.source).parent.name)
        try:
            write_report(plan, old, out)
        except PriceTableError as error:
            sys.stderr.write(f"error: {plan.source}: {error}\n")
            return EXIT_BAD_INPUT
        sys.stdout.write(f"Wrote {out / 'report.md'}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
