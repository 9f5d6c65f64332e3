"""Offline plan of a stack, start-up included, against importing the SDK modules it uses.

    uv run python benchmarks/plan_vs_imports.py --stack production --repeat 3

Both are measured in fresh interpreters in the same run (median wall-clock of --repeat runs). The plan
is the one `make plan` runs: policy pack, and every Helm release rendered from the chart cache
(`.charts/` if present, else `../shared/charts`). The baseline imports exactly the pulumi_aws /
pulumi_kubernetes resource classes the plan registers. The breakdown is the plan's own `timings.json`
(median per phase); start-up is the rest of the wall-clock time (interpreter, imports, policy pack load).

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


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        command, check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return time.perf_counter() - started


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
    plan_times: list[float] = []
    phases: dict[str, list[float]] = {}
    if args.bytecode_cache:
        timed(plan_command, env)
    for _ in range(args.repeat):
        plan_times.append(timed(plan_command, env))
        for phase, seconds in json.loads((out / args.stack / "timings.json").read_text()).items():
            phases.setdefault(phase, []).append(seconds)
    resources = json.loads((out / args.stack / "resources.json").read_text())["resources"]
    classes = sorted({found for r in resources if (found := module_of(r["type"])) is not None})
    script = "import importlib\n" + "\n".join(
        f"getattr(importlib.import_module({module!r}), {name!r})" for module, name in classes
    )
    import_times = [timed([sys.executable, "-c", script], env) for _ in range(args.repeat)]
    plan_s, import_s = statistics.median(plan_times), statistics.median(import_times)
    bytecode = "cached" if not env.get("PYTHONDONTWRITEBYTECODE") else "not cached (PYTHONDONTWRITEBYTECODE)"
    print(f"bytecode of the project's own modules: {bytecode}")
    print(f"{'measure':<44}{'median s':>10}")
    print(f"{'import ' + str(len(classes)) + ' used SDK resource classes':<44}{import_s:>10.2f}")
    print(f"{'offline plan of ' + args.stack + f' ({len(resources)} resources)':<44}{plan_s:>10.2f}")
    print(f"{'ratio plan / imports':<44}{plan_s / import_s:>10.2f}   (limit 2.0, target 1.3)")
    print()
    print(f"{'plan breakdown':<44}{'median s':>10}")
    medians = {phase: statistics.median(values) for phase, values in phases.items()}
    for phase, seconds in medians.items():
        print(f"{'  ' + phase:<44}{seconds:>10.2f}")
    print(f"{'  start-up (interpreter, imports, pack load)':<44}{plan_s - sum(medians.values()):>10.2f}")


if __name__ == "__main__":
    main()
