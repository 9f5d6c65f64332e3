"""Stack config as the Pulumi CLI reads it: project-level `config:`, YAML 1.2 scalars, no stack file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tiny_programs import plan_of, write_program

from offline_plan.cli import EXIT_PROGRAM_FAILED, main
from offline_plan.project import ProjectError, load_stack

EXPORT_CONFIG = """
import pulumi, pulumi_aws as aws
config = pulumi.Config()
pulumi.export("greeting", config.get("greeting"))
pulumi.export("replicas", config.get_int("replicas"))
pulumi.export("mode", config.get("mode"))
pulumi.export("switch", config.get("switch"))
pulumi.export("answer", config.get("answer"))
aws.s3.Bucket("logs")
"""

PROJECT = """
name: tiny
runtime: python
config:
  greeting: hello
  replicas:
    type: integer
    default: 2
  mode:
    value: "off"
  answer:
    value: project
  aws:region:
    value: eu-west-1
"""


def test_project_config_gives_values_defaults_and_types(program: Path) -> None:
    folder = write_program(
        program,
        EXPORT_CONFIG,
        project=PROJECT,
        stack_config="config:\n  tiny:switch: off\n  tiny:answer: stack\n",
    )
    plan = plan_of(folder)
    assert plan.outputs == {
        "greeting": "hello",  # a plain value is a default
        "replicas": 2,  # `default:` of a typed key
        "mode": "off",  # `value:` for every stack
        "switch": "off",  # YAML 1.2: `off` is a string, not false
        "answer": "stack",  # the stack's own value wins over the project's
    }
    provider = next(r for r in plan.resources if r["type"] == "pulumi:providers:aws")
    assert provider["inputs"]["region"] == "eu-west-1"


def test_a_stack_without_its_file_plans_on_the_project_config(
    program: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_program(program, EXPORT_CONFIG, project=PROJECT, stack_config=None)
    assert main(["--stack", "fresh", "--program", str(folder), "--out", str(tmp_path / "out"), "--json"]) == 0
    captured = capsys.readouterr()
    assert (
        "Pulumi.fresh.yaml does not exist; planning stack fresh on the project's config alone" in captured.err
    )
    assert json.loads(captured.out)["outputs"]["answer"] == "project"


def test_a_value_of_the_wrong_declared_type_names_the_key(program: Path) -> None:
    folder = write_program(
        program, EXPORT_CONFIG, project=PROJECT, stack_config="config:\n  tiny:replicas: yes\n"
    )
    with pytest.raises(
        ProjectError, match=r"tiny:replicas is 'yes', but Pulumi.yaml declares it of type integer"
    ):
        load_stack(folder, "dev")


def test_a_typed_key_without_default_must_be_set(
    program: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = PROJECT + "  owner:\n    type: string\n"
    folder = write_program(program, EXPORT_CONFIG, project=project, stack_config="config: {}\n")
    assert main(["--stack", "dev", "--program", str(folder), "--out", str(tmp_path)]) == EXIT_PROGRAM_FAILED
    assert "missing configuration value(s) tiny:owner" in capsys.readouterr().err
