"""`offline-plan`: what `pulumi preview` would create, without the Pulumi CLI or a cloud account.

    offline-plan --stack staging                 # this project
    offline-plan --stack dev --program ../other  # any Pulumi Python program
    offline-plan --stack production --json       # machine-readable plan on stdout
    offline-plan --stack dev --stack-outputs org/net/dev=net.json   # a StackReference's outputs

It plans as `pulumi preview` does: values the mocks cannot know are "[unknown]". A stack without a
`Pulumi.<stack>.yaml` plans on the project's config alone. Where `Pulumi.yaml` declares the
program's own environment (`runtime.options.virtualenv`, `toolchain: uv` or `poetry`), the program
runs under that environment's interpreter, as the language host runs it.

Writes `<out>/<stack>/resources.json`, `summary.txt` and one YAML file per Kubernetes object
under `manifests/`, each validated against the cluster version's Kubernetes OpenAPI schema, and
each PrometheusRule's spec as a rule file under `prometheus-rules/`, and each Alertmanager configuration
under `alertmanager/` with its credentials replaced by marked placeholders; `promtool check rules` and
`amtool check-config` check them when the tools are on PATH.
With `--policy-pack DIR` the pack's own policy objects check every recorded resource, as
`pulumi preview --policy-pack DIR` would; `--policy-config FILE` is `--policy-pack-config`.
Exit codes: 0 planned, 1 the program, its config or the pack failed, 3 a manifest failed
validation, 4 a mandatory policy is violated, 5 promtool or amtool rejected a written file.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from offline_plan import alertmanager, policy_check, tool_checks
from offline_plan.environment import ProgramEnvironmentError, program_interpreter, run_in_environment
from offline_plan.manifests import (
    ManifestCollisionError,
    check_manifest_paths,
    kubernetes_objects_by_urn,
    validate,
    write_manifests,
    write_prometheus_rules,
)
from offline_plan.project import ProjectError, StackSettings, load_stack
from offline_plan.references import StackOutputsError, read_stack_outputs
from offline_plan.report import summary
from offline_plan.runner import Plan, ProgramError, run_program

EXIT_PROGRAM_FAILED = 1
EXIT_INVALID_MANIFESTS = 3
EXIT_POLICY_VIOLATION = 4
EXIT_CHECK_FAILED = 5
DEFAULT_KUBERNETES_VERSION = "1.34"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="offline-plan", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", required=True, help="stack name; reads Pulumi.<stack>.yaml")
    parser.add_argument(
        "--program", type=Path, default=Path(), help="folder holding Pulumi.yaml (default: .)"
    )
    parser.add_argument("--out", type=Path, default=Path("out"), help="output folder (default: out/)")
    parser.add_argument("--json", action="store_true", help="print the plan as JSON on stdout")
    parser.add_argument(
        "--kubernetes-version",
        help="schema version for manifest validation (default: the EKS cluster's version in the plan)",
    )
    parser.add_argument("--policy-pack", type=Path, help="policy pack folder to check the plan with")
    parser.add_argument(
        "--policy-config", type=Path, help="policy pack config JSON (like --policy-pack-config)"
    )
    parser.add_argument(
        "--stack-outputs",
        action="append",
        default=[],
        metavar="NAME=FILE",
        help="outputs of the stack a StackReference NAME reads (JSON object); repeatable",
    )
    return parser.parse_args(argv)


class Progress:
    """A one-line counter on a terminal; sparse lines when stderr is a log."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._tty = stream.isatty()

    def __call__(self, count: int) -> None:
        if self._tty:
            self._stream.write(f"\r  registering resources: {count}")
            self._stream.flush()
        elif count % 50 == 0:
            self._stream.write(f"  registered {count} resources\n")

    def done(self, count: int, seconds: float) -> None:
        prefix = "\r" if self._tty else ""
        self._stream.write(f"{prefix}  registered {count} resources in {seconds:.1f}s\n")


def plan_document(
    plan: Plan, manifests: list[str], problems: list[str], policy: dict[str, Any] | None
) -> dict[str, Any]:
    return {
        "project": plan.project,
        "stack": plan.stack,
        "preview": plan.preview,
        "resources": sorted(plan.resources, key=lambda resource: resource["urn"]),
        "outputs": plan.outputs,
        "invokes": plan.invokes,
        "warnings": plan.warnings,
        "manifests": manifests,
        "manifestProblems": problems,
        **({"policyPack": policy["pack"], "policyViolations": policy["violations"]} if policy else {}),
    }


def check_policies(
    args: argparse.Namespace, settings: StackSettings, plan: Plan
) -> tuple[dict[str, Any], str]:
    """Run the pack over the plan; returns the JSON verdicts and the human report."""
    pack = policy_check.load_policy_pack(args.policy_pack)
    config = policy_check.load_policy_config(args.policy_config) if args.policy_config else None
    violations = policy_check.evaluate(
        pack,
        sorted(plan.resources, key=lambda resource: resource["urn"]),  # verdicts in resources.json order
        config,
        stack_name=settings.stack,
        project_name=settings.project,
        stack_config=settings.config,
    )
    verdicts = {"pack": pack.name, "violations": policy_check.violations_to_json(violations)}
    return verdicts, policy_check.format_violations(violations)


def cluster_version(plan: Plan) -> str:
    for resource in plan.resources:
        if resource["type"] == "aws:eks/cluster:Cluster" and resource["inputs"].get("version"):
            return str(resource["inputs"]["version"])
    return DEFAULT_KUBERNETES_VERSION


def write_checked_files(plan: Plan, out: Path) -> dict[str, Any]:
    """Rule files and Alertmanager configs under `out`, checked by promtool and amtool when installed.

    Returns the plan document's fields that list them; warnings about configurations that cannot be
    written (secret as a whole) join the plan's warnings.
    """
    rule_files = write_prometheus_rules(plan.resources, out / "prometheus-rules")
    found = alertmanager.configs_in_plan(plan.resources)
    plan.warnings.extend(found.warnings)
    configs = [written.path for written in alertmanager.write_configs(found.configs, out / "alertmanager")]
    checks = [
        tool_checks.promtool_check_rules(rule_files, out),
        tool_checks.amtool_check_config(configs, out),
    ]
    return {
        "prometheusRuleFiles": [str(path.relative_to(out)) for path in rule_files],
        "alertmanagerConfigFiles": [str(path.relative_to(out)) for path in configs],
        "fileChecks": {check.tool: check.status for check in checks},
        "fileCheckProblems": [problem for check in checks for problem in check.problems],
    }


def plan_program(args: argparse.Namespace, err: TextIO) -> tuple[StackSettings, Plan] | int:
    """Read the stack and run its program (in its own environment where it declares one)."""
    try:
        settings = load_stack(args.program.resolve(), args.stack)
        settings = dataclasses.replace(settings, stack_outputs=read_stack_outputs(args.stack_outputs))
        interpreter = program_interpreter(settings.project_dir)
    except (ProjectError, ProgramEnvironmentError, StackOutputsError) as error:
        err.write(f"error: {error}\n")
        return EXIT_PROGRAM_FAILED
    if not settings.stack_file.is_file():
        err.write(
            f"note: {settings.stack_file} does not exist; planning stack {settings.stack} on the "
            "project's config alone, as `pulumi preview` does for a new stack\n"
        )
    where = f" under {interpreter}" if interpreter else ""
    err.write(
        f"Planning {settings.project}/{settings.stack} from {settings.main}{where} "
        "(offline preview, mock engine)\n"
    )
    progress = Progress(err)
    started = time.perf_counter()
    try:
        if interpreter:
            plan = run_in_environment(interpreter, settings, progress)
        else:
            plan = run_program(settings, on_register=progress)
    except (ProgramError, ProgramEnvironmentError) as error:
        err.write(f"\nerror: the program failed; nothing was planned\n{error}\n")
        return EXIT_PROGRAM_FAILED
    progress.done(len(plan.resources), time.perf_counter() - started)
    return settings, plan


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    err = sys.stderr
    planned = plan_program(args, err)
    if isinstance(planned, int):
        return planned
    settings, plan = planned
    pairs = kubernetes_objects_by_urn(plan.resources)
    try:
        check_manifest_paths([body for _, body in pairs], [urn for urn, _ in pairs])
    except ManifestCollisionError as error:
        err.write(f"error: {error}\n")
        return EXIT_PROGRAM_FAILED

    policy: dict[str, Any] | None = None
    policy_text = ""
    if args.policy_pack:
        try:
            policy, policy_text = check_policies(args, settings, plan)
        except (policy_check.PolicyPackLoadError, policy_check.PolicyConfigError) as error:
            err.write(f"error: {error}\n")
            return EXIT_PROGRAM_FAILED

    out = args.out / settings.stack
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    manifests = write_manifests([body for _, body in pairs], out / "manifests", [urn for urn, _ in pairs])
    problems = validate(manifests, args.kubernetes_version or cluster_version(plan))
    relative = [str(manifest.path.relative_to(out)) for manifest in manifests]
    checked_files = write_checked_files(plan, out)
    check_problems = checked_files["fileCheckProblems"]
    document = {**plan_document(plan, relative, problems, policy), **checked_files}
    (out / "resources.json").write_text(json.dumps(document, indent=2, sort_keys=False))
    text = summary(plan) + (f"\n\n{policy_text}" if policy_text else "")
    (out / "summary.txt").write_text(text + "\n")

    if args.json:
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
    else:
        sys.stdout.write(text + "\n")
        sys.stdout.write(
            f"\nWrote {out / 'resources.json'} and {len(manifests)} manifests under {out / 'manifests'}\n"
        )
        sys.stdout.write(
            f"Wrote {len(checked_files['prometheusRuleFiles'])} rule files and "
            f"{len(checked_files['alertmanagerConfigFiles'])} Alertmanager configs "
            f"({', '.join(checked_files['fileChecks'].values())})\n"
        )
    if problems:
        err.write("error: Kubernetes manifests failed schema validation:\n" + "\n".join(problems) + "\n")
        return EXIT_INVALID_MANIFESTS
    if check_problems:
        err.write("error: written files failed their upstream checks:\n" + "\n".join(check_problems) + "\n")
        return EXIT_CHECK_FAILED
    if policy and any(v["enforcementLevel"] == "mandatory" for v in policy["violations"]):
        err.write("error: mandatory policies are violated; see the policy check above\n")
        return EXIT_POLICY_VIOLATION
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
