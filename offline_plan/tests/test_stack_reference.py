"""`pulumi.StackReference`: outputs from `--stack-outputs NAME=FILE`, else unknown with a warning."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tiny_programs import write_program

from offline_plan.cli import EXIT_PROGRAM_FAILED, main

PROGRAM = """
import pulumi, pulumi_aws as aws
network = pulumi.StackReference("acme/network/prod")
vpc_id = network.require_output("vpcId")
aws.ec2.SecurityGroup("web", vpc_id=vpc_id, description="web")
pulumi.export("vpcId", network.get_output("vpcId"))
pulumi.export("missing", network.get_output("nope"))
pulumi.export(
    "details", pulumi.Output.from_input(network.get_output_details("vpcId")).apply(lambda d: d.value)
)
"""


def plan(folder: Path, out: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[dict, str]:
    assert main(["--stack", "dev", "--program", str(folder), "--out", str(out), "--json", *extra]) == 0
    captured = capsys.readouterr()
    return json.loads(captured.out), captured.err


def test_supplied_outputs_reach_get_output_require_output_and_details(
    program: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = tmp_path / "network.json"
    outputs.write_text(json.dumps({"vpcId": "vpc-0abc", "privateSubnetIds": ["subnet-1"]}))
    document, _ = plan(
        write_program(program, PROGRAM),
        tmp_path / "out",
        capsys,
        "--stack-outputs",
        f"acme/network/prod={outputs}",
    )
    assert document["outputs"]["vpcId"] == "vpc-0abc"
    assert document["outputs"]["details"] == "vpc-0abc"
    assert document["outputs"].get("missing") is None
    group = next(r for r in document["resources"] if r["type"] == "aws:ec2/securityGroup:SecurityGroup")
    assert group["inputs"]["vpcId"] == "vpc-0abc"
    assert not [w for w in document["warnings"] if "StackReference" in w]


def test_without_outputs_they_are_unknown_and_a_warning_names_the_reference(
    program: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document, _ = plan(write_program(program, PROGRAM), tmp_path / "out", capsys)
    assert document["outputs"]["vpcId"] == "[unknown]"
    group = next(r for r in document["resources"] if r["type"] == "aws:ec2/securityGroup:SecurityGroup")
    assert group["inputs"]["vpcId"] == "[unknown]"
    [warning] = [w for w in document["warnings"] if "StackReference" in w]
    assert "'acme/network/prod'" in warning and "--stack-outputs acme/network/prod=FILE" in warning


def test_a_bad_stack_outputs_file_is_one_clear_error(
    program: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    folder = write_program(program, PROGRAM)
    code = main(
        [
            "--stack",
            "dev",
            "--program",
            str(folder),
            "--out",
            str(tmp_path),
            "--stack-outputs",
            f"a/b/c={bad}",
        ]
    )
    assert code == EXIT_PROGRAM_FAILED
    assert "must hold a JSON object of output names to values" in capsys.readouterr().err
