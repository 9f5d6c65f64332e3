"""The program's own error, naming the resource involved: one message, no harness traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from tiny_programs import plan_of, write_program

from offline_plan.cli import EXIT_PROGRAM_FAILED, main
from offline_plan.runner import ProgramError


def failure(folder: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["--stack", "dev", "--program", str(folder), "--out", str(out)]) == EXIT_PROGRAM_FAILED
    err = capsys.readouterr().err
    assert "Traceback" not in err and "offline_plan" not in err and "site-packages" not in err, err
    assert not out.exists()
    return err


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("import sys\nsys.exit(3)\n", "line 2, in <module>\nthe program called sys.exit(3)"),
        ("import sys\nsys.exit('region must be set')\n", "line 2, in <module>\nregion must be set"),
    ],
    ids=["exit-code", "exit-message"],
)
def test_sys_exit_is_the_programs_error(
    program: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, expected: str
) -> None:
    err = failure(write_program(program, body), tmp_path / "out", capsys)
    assert "error: the program failed; nothing was planned" in err
    assert expected in err


def test_sys_exit_zero_plans_what_was_registered(
    program: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_program(program, "import sys, pulumi_aws as aws\naws.s3.Bucket('logs')\nsys.exit(0)\n")
    assert main(["--stack", "dev", "--program", str(folder), "--out", str(tmp_path / "out")]) == 0
    assert "the program called sys.exit(0)" in capsys.readouterr().out


def test_an_apply_callback_error_always_names_the_resource(
    program: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_program(
        program,
        """
        import pulumi_kubernetes as k8s
        def checked(name):
            raise ValueError(f"bad name {name}")
        settings = k8s.core.v1.ConfigMap("settings", metadata={"name": "settings"}, data={"a": "b"})
        k8s.core.v1.ConfigMap("derived", data={"from": settings.metadata.name.apply(checked)})
        """,
    )
    err = failure(folder, tmp_path / "out", capsys)
    assert "While processing resource: 'derived'" in err  # whichever of the two failures comes first
    assert "bad name settings" in err


def test_a_bad_argument_type_names_the_resource_and_input(
    program: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_program(
        program, "import pulumi_aws as aws\naws.s3.Bucket('b', tags=['not', 'a', 'map'])\n"
    )
    err = failure(folder, tmp_path / "out", capsys)
    assert "While processing resource: 'b', type 'aws:s3/bucket:Bucket'" in err
    assert "While processing input: 'tags'" in err


def test_a_failed_program_leaves_nothing_behind_for_the_next_run(program: Path, tmp_path: Path) -> None:
    """Pending Outputs of a failed run used to fail the next run in the same process ("Event loop is closed")."""
    failing = write_program(
        tmp_path / "failing",
        """
        import pulumi_kubernetes as k8s
        settings = k8s.core.v1.ConfigMap("settings", metadata={"name": "s"}, data={"a": "b"})
        k8s.core.v1.ConfigMap("derived", data={"x": settings.metadata.name.apply(lambda _: 1 / 0)})
        """,
    )
    with pytest.raises(ProgramError, match="ZeroDivisionError"):
        plan_of(failing)
    config = "config:\n  tiny:greeting: hi\n"
    plan = plan_of(
        write_program(
            program,
            "import pulumi\npulumi.export('g', pulumi.Config().get('greeting'))\n",
            stack_config=config,
        )
    )
    assert plan.outputs == {"g": "hi"}
