"""Runs a corpus program (``programs/<policy-name>.py``) through the offline plan and the pack.

Each program is a pair: run with config ``corpus:violate`` false it is the compliant near miss, run with
it true exactly one thing changes and the policy it is named after must fire. Header comments:
``# expect: <text>`` (a phrase the violation message must hold), ``# stack: <name>`` (default staging),
``# config: <key>: <value>`` (more stack config), ``# preview-only: <why>`` (needs the offline plan's
preview mode, where values not known until apply are unknown rather than None).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from offline_plan.policy_check import LoadedPack, Violation, evaluate, load_policy_pack
from offline_plan.project import load_stack
from offline_plan.runner import run_program

PROGRAMS = Path(__file__).resolve().parent / "programs"
PACK_DIR = Path(__file__).resolve().parents[2] / "policies"


@dataclass(frozen=True)
class Program:
    path: Path

    @property
    def policy(self) -> str:
        return self.path.stem.split("__", 1)[0]

    def header(self, key: str) -> list[str]:
        prefix = f"# {key}:"
        return [
            line[len(prefix) :].strip()
            for line in self.path.read_text().splitlines()
            if line.startswith(prefix)
        ]

    @property
    def stack(self) -> str:
        return (self.header("stack") or ["staging"])[0]


def programs() -> list[Program]:
    return [Program(p) for p in sorted(PROGRAMS.glob("*.py")) if not p.name.startswith("_")]


@cache
def pack() -> LoadedPack:
    return load_policy_pack(PACK_DIR)


class NotAPreview(Exception):  # noqa: N818 (a condition, not an error)
    """The program needs preview semantics (unknown values) that this offline plan does not have."""


def run(
    program: Program, violate: bool, tmp: Path, policy_config: dict[str, Any] | None = None
) -> list[Violation]:
    """Every violation the whole pack reports on the program's plan."""
    config = {"aws:region": json.dumps("us-east-1"), "corpus:violate": json.dumps(str(violate).lower())}
    for line in program.header("config"):
        key, value = line.split(": ", 1)  # the value is YAML, as in a stack file
        config[key] = value
    (tmp / "Pulumi.yaml").write_text(f"name: corpus\nruntime: python\nmain: {program.path}\n")
    lines = "".join(f"  {key}: {value}\n" for key, value in config.items())
    (tmp / f"Pulumi.{program.stack}.yaml").write_text(f"config:\n{lines}")
    plan = run_program(load_stack(tmp, program.stack))
    if program.header("preview-only") and not getattr(plan, "preview", False):
        raise NotAPreview(program.header("preview-only")[0])
    return evaluate(pack(), plan.resources, policy_config, program.stack, "corpus")
