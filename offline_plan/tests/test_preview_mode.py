"""The plan is a `pulumi preview`: dry run, and what the mocks cannot know is unknown, not None."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tiny_programs import plan_of, write_program

from offline_plan.cli import main

PROGRAM = """
import pulumi, pulumi_aws as aws
vpc = aws.ec2.Vpc("main", cidr_block="10.0.0.0/16")
pulumi.export("dryRun", pulumi.runtime.is_dry_run())
pulumi.export("defaultSecurityGroup", vpc.default_security_group_id)  # no mock answers it
aws.ec2.SecurityGroup("web", vpc_id=vpc.id, description=vpc.default_security_group_id)
"""


def test_the_program_runs_as_a_preview_and_unanswered_values_are_unknown(program: Path) -> None:
    plan = plan_of(write_program(program, PROGRAM))
    assert plan.preview is True
    assert plan.outputs["dryRun"] is True
    assert plan.outputs["defaultSecurityGroup"] == "[unknown]"
    [group] = [r for r in plan.resources if r["type"] == "aws:ec2/securityGroup:SecurityGroup"]
    assert group["inputs"]["description"] == "[unknown]"
    assert group["inputs"]["vpcId"].startswith("main-")  # what the mocks answer stays known


def test_preview_false_plans_applied_values(program: Path) -> None:
    plan = plan_of(write_program(program, PROGRAM), preview=False)
    assert plan.outputs["dryRun"] is False
    assert plan.outputs.get("defaultSecurityGroup") is None  # a known None, as `pulumi up` with this state
    [group] = [r for r in plan.resources if r["type"] == "aws:ec2/securityGroup:SecurityGroup"]
    assert "description" not in group["inputs"]


def test_the_cli_plans_in_preview_mode(
    program: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_program(program, PROGRAM)
    assert main(["--stack", "dev", "--program", str(folder), "--out", str(tmp_path / "out"), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["outputs"] == {"dryRun": True, "defaultSecurityGroup": "[unknown]"}
    summary = (tmp_path / "out" / "dev" / "summary.txt").read_text()
    assert "defaultSecurityGroup: [unknown]" in summary
