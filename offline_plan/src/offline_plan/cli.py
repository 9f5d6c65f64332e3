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
With `--charts DIR` (a Helm repository directory) every Helm release is rendered offline at its
pinned, digest-verified version, its values checked against the chart; its objects are written under
`manifests/<release>/`, validated and policy-checked like the program's own (see `offline_plan.helm`).
A pin the cache cannot verify is an error when CI=true and a warning elsewhere.
Exit codes: 0 planned, 1 the program, its config or the pack failed, 3 a manifest failed
validation, 4 a mandatory policy is violated, 5 promtool or amtool rejected a written file,
6 a Helm release could not be rendered or verified, or its values name keys the chart does not have.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from offline_plan import (
    alertmanager,
    crds,
    gc_tuning,
    helm,
    helm_releases,
    helm_v4,
    mocks,
    policy_check,
    remote,
    tool_checks,
)
from offline_plan.charts import ChartCache, ChartCacheError, strict_pins
from offline_plan.document import ChartsSection, PlanDocument, PodSecuritySection, PolicyViolationRecord
from offline_plan.environment import (
    ProgramEnvironmentError,
    declared_environment,
    program_interpreter,
    run_in_environment,
)
from offline_plan.manifests import (
    Manifest,
    ManifestCollisionError,
    check_manifest_paths,
    cluster_folders,
    kubernetes_objects_by_urn,
    validate,
    write_manifests,
    write_prometheus_rules,
)
from offline_plan.prerender import Prerenderer
from offline_plan.project import ProjectError, StackSettings, load_stack
from offline_plan.references import StackOutputsError, read_stack_outputs
from offline_plan.report import summary
from offline_plan.runner import ProgramError, run_program

EXIT_PROGRAM_FAILED = 1
EXIT_INVALID_MANIFESTS = 3
EXIT_POLICY_VIOLATION = 4
EXIT_CHECK_FAILED = 5
EXIT_CHARTS = 6
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
    parser.add_argument(
        "--charts",
        type=Path,
        help="chart cache: a Helm repository directory (index.yaml + .tgz) to render releases from",
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


@dataclass(frozen=True)
class Policies:
    """The policy pack of `--policy-pack` and its `--policy-config`, loaded."""

    pack: policy_check.LoadedPack
    config: dict[str, Any] | None


def load_policies(args: argparse.Namespace) -> Policies | None:
    """None without `--policy-pack`; raises PolicyPackLoadError or PolicyConfigError."""
    if not args.policy_pack:
        return None
    pack = policy_check.load_policy_pack(args.policy_pack)
    return Policies(pack, policy_check.load_policy_config(args.policy_config) if args.policy_config else None)


def check_policies(
    policies: Policies, settings: StackSettings, plan: PlanDocument, rendered: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], str]:
    """Run the pack over the plan, objects rendered from Helm releases included; JSON verdicts and report."""
    pack, config = policies.pack, policies.config
    violations = policy_check.evaluate(
        pack,
        # verdicts in resources.json order
        sorted([*plan.resources, *rendered], key=lambda resource: resource["urn"]),
        config,
        stack_name=settings.stack,
        project_name=settings.project,
        stack_config=settings.config,
    )
    plan.policy_pack = pack.name
    return policy_check.violations_to_json(violations), policy_check.format_violations(violations)


def cluster_version(plan: PlanDocument) -> str:
    for resource in plan.resources:
        if resource["type"] == "aws:eks/cluster:Cluster" and resource["inputs"].get("version"):
            return str(resource["inputs"]["version"])
    return DEFAULT_KUBERNETES_VERSION


def write_checked_files(
    plan: PlanDocument, out: Path, rendered: dict[str, list[dict[str, Any]]] | None = None
) -> None:
    """Rule files and Alertmanager configs under `out`, checked by promtool and amtool when installed.

    The plan lists them; warnings about configurations that cannot be written (secret as a whole) join
    the plan's warnings.
    """
    rule_files = write_prometheus_rules(plan.resources, out / "prometheus-rules")
    found = alertmanager.configs_in_plan(plan.resources, rendered)
    plan.warnings.extend(found.warnings)
    configs = [written.path for written in alertmanager.write_configs(found.configs, out / "alertmanager")]
    checks = [
        tool_checks.promtool_check_rules(rule_files, out),
        tool_checks.amtool_check_config(configs, out),
    ]
    plan.prometheus_rule_files = [str(path.relative_to(out)) for path in rule_files]
    plan.alertmanager_config_files = [str(path.relative_to(out)) for path in configs]
    plan.file_checks = {check.tool: check.status for check in checks}
    plan.file_check_problems = [problem for check in checks for problem in check.problems]


def run(
    settings: StackSettings,
    cache: ChartCache | None,
    progress: Progress,
    prerenderer: Prerenderer | None = None,
) -> PlanDocument:
    """Run the program in its own environment where it declares one, else here.

    Here, `helm.v3.Chart` expands through the chart cache (the template invoke), and each
    `helm.v3.Release` goes to `prerenderer` as soon as it is registered; a program in its own
    environment runs in a worker without Helm's SDK, where that invoke stays unanswered (and warns).
    """
    interpreter = program_interpreter(settings.project_dir)
    if interpreter:
        return run_in_environment(interpreter, settings, progress)

    def on_record(record: dict[str, Any]) -> None:
        if prerenderer is not None and record["type"] == helm.RELEASE_TYPE:
            prerenderer.submit(record)

    warnings: list[str] = []
    chart_errors: list[str] = []
    mocks.INVOKE_HOOKS[helm.TEMPLATE_INVOKE] = helm.template_invoke(
        cache, strict=strict_pins(cache), warnings=warnings
    )
    v4_chart = helm_v4.chart_expander(cache, strict=strict_pins(cache), errors=chart_errors)
    try:
        with remote.expanding({helm_v4.CHART_TYPE: v4_chart}):
            plan = run_program(settings, on_register=progress, on_record=on_record)
    finally:
        mocks.INVOKE_HOOKS.pop(helm.TEMPLATE_INVOKE, None)
    plan.warnings.extend(warnings)
    if chart_errors:  # `main` adds them to the releases' errors: exit 6, listed under `charts.errors`
        plan.charts = ChartsSection(errors=chart_errors)
    return plan


def plan_program(
    args: argparse.Namespace, err: TextIO, prerenderer: Prerenderer | None = None
) -> tuple[StackSettings, PlanDocument, ChartCache | None] | int:
    """Read the stack and the chart cache, and run the program."""
    try:
        settings = load_stack(args.program.resolve(), args.stack)
        settings = dataclasses.replace(settings, stack_outputs=read_stack_outputs(args.stack_outputs))
        interpreter, environment_note = declared_environment(settings.project_dir)
        cache = ChartCache(args.charts) if args.charts else None
    except (ProjectError, ProgramEnvironmentError, StackOutputsError, ChartCacheError) as error:
        err.write(f"error: {error}\n")
        return EXIT_PROGRAM_FAILED
    if environment_note:
        err.write(f"note: {environment_note}\n")
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
        plan = run(settings, cache, progress, prerenderer)
    except (ProgramError, ProgramEnvironmentError) as error:
        err.write(f"\nerror: the program failed; nothing was planned\n{error}\n")
        return EXIT_PROGRAM_FAILED
    progress.done(len(plan.resources), time.perf_counter() - started)
    return settings, plan, cache


def validate_all(
    out: Path,
    manifests: list[Manifest],
    releases: helm_releases.ReleasesPlan,
    kubernetes_version: str,
    own_problems: list[str],
) -> list[str]:
    """Kubernetes schema problems of every manifest (`own_problems`: those of the program's own
    `manifests`, validated already), then custom resources against the plan's CRDs."""
    problems = own_problems + validate(releases.manifests, kubernetes_version)
    every_object = [(str(m.path.relative_to(out)), m.body) for m in manifests]
    every_object += [(str(m.path.relative_to(out)), m.body) for m in releases.manifests]
    crd_problems, _checked = crds.validate_custom_resources(every_object, crds.crd_schemas(every_object))
    return problems + crd_problems


def charts_text(releases: helm_releases.ReleasesPlan, privileged: list[str]) -> str:
    if not releases.releases:
        return ""
    text = "\n\n" + releases.summary()
    if privileged:
        text += f"\n  Pod Security: namespaces labelled privileged admit any pod: {', '.join(privileged)}"
    return text


@dataclass(frozen=True)
class PlanParts:
    """What `main` gathered for the plan files, besides the program's own plan."""

    manifests: list[Manifest]
    releases: helm_releases.ReleasesPlan
    problems: list[str]
    policy: list[dict[str, Any]] | None
    policy_text: str
    cache: ChartCache | None


def write_plan(out: Path, plan: PlanDocument, parts: PlanParts) -> str:
    """Complete the plan, write resources.json, the checked files and summary.txt; returns the summary."""
    releases = parts.releases
    plan.manifests = [str(manifest.path.relative_to(out)) for manifest in parts.manifests]
    plan.manifest_problems = parts.problems
    if parts.policy is not None:
        plan.policy_violations = [PolicyViolationRecord.model_validate(v) for v in parts.policy]
    rendered = {release.urn: release.unredacted for release in releases.releases if release.rendered}
    write_checked_files(plan, out, rendered)
    privileged = helm_releases.privileged_namespaces([*plan.resources, *releases.records])
    plan.charts = ChartsSection.model_validate(
        {
            "cache": str(parts.cache.directory) if parts.cache else None,
            **releases.document(out),
            "errors": releases.errors,
        }
    )
    plan.pod_security = PodSecuritySection(privileged_namespaces=privileged)
    plan.write(out / "resources.json")
    text = summary(plan) + charts_text(releases, privileged)
    text += f"\n\n{parts.policy_text}" if parts.policy_text else ""
    (out / "summary.txt").write_text(text + "\n")
    return text


def outcome(
    err: TextIO,
    problems: list[str],
    check_problems: list[str],
    policy: list[dict[str, Any]] | None,
    chart_errors: list[str],
) -> int:
    """Report what failed on stderr; the exit code of the first failure, in order of severity."""
    if chart_errors:
        err.write(
            "error: Helm releases could not be rendered or verified, or their values are wrong:\n"
            + "\n".join(chart_errors)
            + "\n"
        )
    if problems:
        err.write("error: Kubernetes manifests failed schema validation:\n" + "\n".join(problems) + "\n")
        return EXIT_INVALID_MANIFESTS
    if check_problems:
        err.write("error: written files failed their upstream checks:\n" + "\n".join(check_problems) + "\n")
        return EXIT_CHECK_FAILED
    if policy and any(v["enforcementLevel"] == "mandatory" for v in policy):
        err.write("error: mandatory policies are violated; see the policy check above\n")
        return EXIT_POLICY_VIOLATION
    if chart_errors:
        return EXIT_CHARTS
    return 0


class Phases:
    """Wall-clock seconds per phase, written to `timings.json` beside the plan (not into it, so plan files
    stay byte-identical between runs); `benchmarks/plan_vs_imports.py` reads it for its breakdown."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def done(self, phase: str) -> None:
        now = time.perf_counter()
        self.seconds[phase] = self.seconds.get(phase, 0.0) + now - self._last
        self._last = now

    def write(self, path: Path) -> None:
        path.write_text(json.dumps({phase: round(s, 3) for phase, s in self.seconds.items()}, indent=2))


def main(argv: list[str] | None = None) -> int:
    gc_tuning.tune()
    args = parse_args(argv)
    err = sys.stderr
    phases = Phases()
    # Releases render in a second process while the program runs (`prerender`); results are identical.
    prerenderer = Prerenderer(args.charts.resolve()) if args.charts else None
    try:
        return _plan(args, err, phases, prerenderer)
    finally:
        if prerenderer is not None:
            prerenderer.close()


def _plan(args: argparse.Namespace, err: TextIO, phases: Phases, prerenderer: Prerenderer | None) -> int:
    planned = plan_program(args, err, prerenderer)
    if isinstance(planned, int):
        return planned
    settings, plan, cache = planned
    phases.done("program")
    pairs = kubernetes_objects_by_urn(plan.resources)
    try:
        check_manifest_paths([body for _, body in pairs], [urn for urn, _ in pairs])
    except ManifestCollisionError as error:
        err.write(f"error: {error}\n")
        return EXIT_PROGRAM_FAILED

    out = args.out / settings.stack
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    manifests = write_manifests([body for _, body in pairs], out / "manifests", [urn for urn, _ in pairs])
    phases.done("manifests")
    # What needs no Helm release, while the chart worker renders what is left of them: loading the pack,
    # validating the program's own manifests.
    policies: Policies | None = None
    policies_error: Exception | None = None
    try:
        policies = load_policies(args)
    except (policy_check.PolicyPackLoadError, policy_check.PolicyConfigError) as error:
        policies_error = error
    phases.done("policies")
    kubernetes_version = args.kubernetes_version or cluster_version(plan)
    own_problems = validate(manifests, kubernetes_version)
    phases.done("validation")
    releases = helm_releases.plan_releases(
        plan.resources,
        cache,
        out / "manifests",
        strict=strict_pins(cache),
        taken={manifest.path for manifest in manifests},
        prerendered=prerenderer,
        cluster_folders=cluster_folders(plan.resources),
    )
    plan.warnings.extend(releases.warnings)
    releases.errors[:0] = plan.charts.errors if plan.charts else []  # helm.v4.Chart's, from `run`
    err.write(helm_releases.timings(releases.releases))
    phases.done("charts")

    try:
        if policies_error is not None:
            raise policies_error
        policy, policy_text = (
            check_policies(policies, settings, plan, releases.records) if policies else (None, "")
        )
    except (policy_check.PolicyPackLoadError, policy_check.PolicyConfigError) as error:
        err.write(f"error: {error}\n")
        return EXIT_PROGRAM_FAILED
    phases.done("policies")

    problems = validate_all(out, manifests, releases, kubernetes_version, own_problems)
    phases.done("validation")
    text = write_plan(out, plan, PlanParts(manifests, releases, problems, policy, policy_text, cache))
    phases.done("files")
    phases.write(out / "timings.json")

    if args.json:
        sys.stdout.write((out / "resources.json").read_text() + "\n")
    else:
        sys.stdout.write(text + "\n")
        sys.stdout.write(
            f"\nWrote {out / 'resources.json'} and {len(manifests)} manifests under {out / 'manifests'}"
            + (f" ({len(releases.manifests)} more rendered from Helm releases)" if releases.manifests else "")
            + "\n"
        )
        sys.stdout.write(
            f"Wrote {len(plan.prometheus_rule_files)} rule files and "
            f"{len(plan.alertmanager_config_files)} Alertmanager configs "
            f"({', '.join(plan.file_checks.values())})\n"
        )
    return outcome(err, problems, plan.file_check_problems, policy, releases.errors)


def command() -> None:
    """The `offline-plan` command (and `python -m offline_plan.cli`): `main` in a process of its own,
    which exits without collecting the plan's objects one last time (`gc_tuning.before_exit`)."""
    code = main()
    gc_tuning.before_exit()
    raise SystemExit(code)


if __name__ == "__main__":
    command()
