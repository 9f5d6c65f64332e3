"""Tiny Pulumi programs written into tmp_path: the offline plan is tested on programs that are not ours."""

from __future__ import annotations

import textwrap
from pathlib import Path

from offline_plan.document import PlanDocument
from offline_plan.project import load_stack
from offline_plan.runner import run_program


def write_program(
    folder: Path,
    body: str,
    *,
    stack_config: str | None = "config:\n  aws:region: eu-central-1\n",
    project: str = "name: tiny\nruntime: python\n",
    stack: str = "dev",
) -> Path:
    """A project folder with `Pulumi.yaml`, `__main__.py` and (unless None) `Pulumi.<stack>.yaml`."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Pulumi.yaml").write_text(textwrap.dedent(project))
    if stack_config is not None:
        (folder / f"Pulumi.{stack}.yaml").write_text(textwrap.dedent(stack_config))
    (folder / "__main__.py").write_text(textwrap.dedent(body))
    return folder


def plan_of(folder: Path, stack: str = "dev", *, preview: bool = True) -> PlanDocument:
    return run_program(load_stack(folder, stack), preview=preview)
