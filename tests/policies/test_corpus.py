"""Every policy fires on its corpus program's violating run and stays silent on its compliant run."""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus import NotAPreview, Program, programs, run

from policies.registry import ALL_POLICIES

BY_NAME = {p.name: p for p in ALL_POLICIES}
CORPUS = programs()


@pytest.mark.parametrize("program", CORPUS, ids=[p.path.stem for p in CORPUS])
def test_policy_fires_on_the_violation_and_not_on_the_near_miss(program: Program, tmp_path: Path) -> None:
    policy = BY_NAME[program.policy]
    try:
        passing = [v for v in run(program, False, tmp_path) if v.policy_name == policy.name]
    except NotAPreview as reason:
        pytest.skip(f"preview-only: {reason}")
    assert passing == [], [v.message for v in passing]
    failing = [v for v in run(program, True, tmp_path) if v.policy_name == policy.name]
    assert failing, f"{policy.name} did not fire on {program.path.name}"
    assert all(v.enforcement_level == getattr(policy.enforcement_level, "value", None) for v in failing)
    for phrase in program.header("expect"):
        assert any(phrase in v.message for v in failing), [v.message for v in failing]
    for v in failing:
        assert "has no a " not in v.message and "can't run" not in v.message


def test_every_policy_has_a_corpus_program() -> None:
    covered = {p.policy for p in CORPUS}
    assert not set(covered) - set(BY_NAME), "programs named after no policy"
    missing = sorted(set(BY_NAME) - covered)
    assert not missing, f"policies without a fires/passes program in tests/policies/programs: {missing}"
