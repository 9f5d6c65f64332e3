"""The mocked RandomPassword hands out a recognisable value, so a test can prove a password never leaks.

The project's leak test (`tests/infra/test_data_tier.py`) searches the plan for `fake_password(name)`;
that search means something only if the mocks produce that value and a leak would put it in the plan.
"""

from __future__ import annotations

import json
from pathlib import Path

from tiny_programs import plan_of, write_program

from offline_plan.markers import REDACTED
from offline_plan.mocks import fake_password

LEAKY = """
import pulumi
import pulumi_random as random

token = random.RandomPassword("token", length=32)
pulumi.export("kept", token.result)
pulumi.export("leaked", pulumi.Output.unsecret(token.result))
"""


def test_a_leaked_password_is_visible_and_a_kept_one_is_redacted(tmp_path: Path) -> None:
    plan = plan_of(write_program(tmp_path / "leaky", LEAKY), preview=False)
    secret = fake_password("token")
    assert plan.outputs["leaked"] == secret
    assert plan.outputs["kept"] == REDACTED
    [password] = [r for r in plan.resources if r["type"] == "random:index/randomPassword:RandomPassword"]
    assert secret not in json.dumps(password)
