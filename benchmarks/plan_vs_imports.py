"""Offline plan of a stack, start-up included, against importing the SDK modules it uses.

    uv run python benchmarks/plan_vs_imports.py --stack production --repeat 3

Both are measured in fresh interpreters in the same run, alternately (plan, imports, plan, ...) so that
both meet the same machine load: median wall-clock of --repeat runs each, and median CPU seconds (user +
system, the plan's chart worker included), with the load average before and after. The plan
is the one `make plan` runs: policy pack, and every Helm release rendered from the chart cache
(`.charts/` if present, else `../shared/charts`). The baseline imports exactly the pulumi_aws /
pulumi_kubernetes resource classes the plan registers. The breakdown is the plan's own `timings.json`
(median per phase); start-up is the rest of the wall-clock time (interpreter, imports, policy pack load,
and exit).

Helm releases render in a second process while the program runs (`offline_plan.prerender`), so the
`charts` phase is what is left to wait for once the program is done. No persistent cache is involved:
every run is as cold as a user's first plan. Where the environment sets PYTHONDONTWRITEBYTECODE (this
sandbox does), the project's own modules (offline_plan, infra, policies) are compiled from source on
every plan while the SDK's site-packages come precompiled; `--bytecode-cache` runs both measures with
Python's default bytecode caching instead (after one unmeasured plan that writes `__pycache__/`).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def module_of(resource_type: str) -> tuple[str, str] | None:
    package, middle, class_name = resource_type.split(":")
    if package == "aws":
        return f"pulumi_aws.{middle.split('/')[0]}", class_name
    if package == "kubernetes" and "/" in middle:
        group, version = middle.split("/")
        if group == "helm.sh":
            return f"pulumi_kubernetes.helm.{version}", class_name
        module = f"pulumi_kubernetes.{group.split('.')[0]}.{version}"
        if importlib.util.find_spec(f"pulumi_kubernetes.{group.split('.')[0]}") is None:
            # Custom resources (e.g. monitoring.coreos.com) are registered through CustomResource.
            return "pulumi_kubernetes.apiextensions", "CustomResource"
        return module, class_name
    if package == "random":
        return "pulumi_random", class_name
    return None


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + system of the command and the processes it waited for)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        command, check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stack", default="production")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--bytecode-cache",
        action="store_true",
        help="unset PYTHONDONTWRITEBYTECODE for both measures (Python's default), after one warm-up plan",
    )
    args = parser.parse_args()
    env = dict(os.environ)
    if args.bytecode_cache:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    out = Path(tempfile.mkdtemp(prefix="plan-bench-"))
    charts = ROOT / ".charts"
    if not (charts / "index.yaml").is_file():
        charts = ROOT.parent / "shared" / "charts"
    plan_command = [
        *(sys.executable, "-m", "offline_plan.cli", "--stack", args.stack, "--out", str(out)),
        *("--charts", str(charts), "--policy-pack", "policies"),
        *("--policy-config", f"policies/config/{args.stack}.json"),
    ]
    load_before = os.getloadavg()[0]
    timed(plan_command, env)  # which classes the plan uses; with --bytecode-cache, writes __pycache__/
    resources = json.loads((out / args.stack / "resources.json").read_text())["resources"]
    classes = sorted({found for r in resources if (found := module_of(r["type"])) is not None})
    script = "import importlib\n" + "\n".join(
        f"getattr(importlib.import_module({module!r}), {name!r})" for module, name in classes
    )
    plan_times: list[tuple[float, float]] = []
    import_times: list[tuple[float, float]] = []
    phases: dict[str, list[float]] = {}
    for _ in range(args.repeat):
        plan_times.append(timed(plan_command, env))
        for phase, seconds in json.loads((out / args.stack / "timings.json").read_text()).items():
            phases.setdefault(phase, []).append(seconds)
        import_times.append(timed([sys.executable, "-c", script], env))
    plan_s, import_s = (statistics.median(wall for wall, _ in times) for times in (plan_times, import_times))
    plan_cpu, import_cpu = (
        statistics.median(cpu for _, cpu in times) for times in (plan_times, import_times)
    )
    bytecode = "cached" if not env.get("PYTHONDONTWRITEBYTECODE") else "not cached (PYTHONDONTWRITEBYTECODE)"
    print(f"bytecode of the project's own modules: {bytecode}")
    print(f"load average (1 min): {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")
    print(f"{'measure':<44}{'median s':>10}{'CPU s':>10}")
    label = f"import {len(classes)} used SDK resource classes"
    print(f"{label:<44}{import_s:>10.2f}{import_cpu:>10.2f}")
    label = f"offline plan of {args.stack} ({len(resources)} resources)"
    print(f"{label:<44}{plan_s:>10.2f}{plan_cpu:>10.2f}")
    ratio = f"{plan_s / import_s:>10.2f}{plan_cpu / import_cpu:>10.2f}"
    print(f"{'ratio plan / imports':<44}{ratio}   (wall: limit 2.0, target 1.3)")
    print()
    print(f"{'plan breakdown':<44}{'median s':>10}")
    medians = {phase: statistics.median(values) for phase, values in phases.items()}
    for phase, seconds in medians.items():
        print(f"{'  ' + phase:<44}{seconds:>10.2f}")
    print(f"{'  start-up (interpreter, imports, exit)':<44}{plan_s - sum(medians.values()):>10.2f}")


if __name__ == "__main__":
    main()
