"""A program with its own environment runs under that environment's interpreter, as the language host runs it."""

from __future__ import annotations

import json
import site
import subprocess
import sys
from pathlib import Path

import pytest
from tiny_programs import write_program

from offline_plan.cli import EXIT_PROGRAM_FAILED, main

PROGRAM = """
import sys
import pulumi
import tinylib  # installed only in the program's own environment
pulumi.CustomResource("tiny:index:Bucket", "logs", {"tags": {"team": tinylib.TEAM}})
pulumi.export("prefix", sys.prefix)
pulumi.export("dryRun", pulumi.runtime.is_dry_run())
pulumi.export("password", pulumi.Config().require_secret("password"))
"""


def make_venv(folder: Path) -> Path:
    """A small venv: the SDKs come from this environment by a .pth file, `tinylib` is its own."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    [packages] = folder.glob("lib/python*/site-packages")
    (packages / "host-sdks.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    (packages / "tinylib.py").write_text('TEAM = "from-the-programs-venv"\n')
    return folder


@pytest.mark.parametrize("toolchain", ["virtualenv", "uv", "poetry"])
def test_the_program_runs_under_its_declared_environment(
    program: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], toolchain: str
) -> None:
    # Poetry without Poetry on PATH (or with no Poetry project there): its in-project `.venv`.
    options = "    virtualenv: env\n" if toolchain == "virtualenv" else f"    toolchain: {toolchain}\n"
    folder = write_program(
        program,
        PROGRAM,
        project=f"name: tiny\nruntime:\n  name: python\n  options:\n{options}",
        stack_config="config:\n  aws:region: eu-west-1\n  tiny:password:\n    secure: AAABAKx8c2VjcmV0\n",
    )
    venv = make_venv(folder / ("env" if toolchain == "virtualenv" else ".venv"))
    out = tmp_path / "out"
    assert main(["--stack", "dev", "--program", str(folder), "--out", str(out), "--json"]) == 0
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert Path(document["outputs"]["prefix"]).resolve() == venv.resolve()
    assert document["outputs"]["dryRun"] is True
    assert document["outputs"]["password"] == "[secret]"
    bucket = next(r for r in document["resources"] if r["type"] == "tiny:index:Bucket")
    assert bucket["inputs"]["tags"] == {"team": "from-the-programs-venv"}
    assert f"under {venv / 'bin' / 'python'}" in captured.err
    assert (out / "dev" / "summary.txt").is_file()


def test_a_declared_environment_that_does_not_exist_plans_here_and_says_how_to_create_it(
    program: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As `pulumi-language-python-exec` falls back to python on PATH; the program imports only the SDK."""
    folder = write_program(
        program,
        "import pulumi\npulumi.export('planned', pulumi.runtime.is_dry_run())\n",
        project="name: tiny\nruntime:\n  name: python\n  options:\n    virtualenv: venv\n",
    )
    assert main(["--stack", "dev", "--program", str(folder), "--out", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert f"names the environment {folder / 'venv'}, which does not exist" in err
    assert f"python -m venv {folder / 'venv'}" in err
    assert json.loads((tmp_path / "dev" / "resources.json").read_text())["outputs"] == {"planned": True}


def test_a_poetry_project_without_its_environment_plans_here_and_says_how_to_create_it(
    program: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "no-poetry-here"))
    folder = write_program(
        program,
        "import pulumi\npulumi.export('planned', True)\n",
        project="name: tiny\nruntime:\n  name: python\n  options:\n    toolchain: poetry\n",
    )
    assert main(["--stack", "dev", "--program", str(folder), "--out", str(tmp_path / "out")]) == 0
    assert "run `poetry install`" in capsys.readouterr().err


def test_the_programs_error_in_its_environment_is_reported_as_in_process(
    program: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_program(
        program,
        "import tinylib\nraise RuntimeError(tinylib.TEAM)\n",
        project="name: tiny\nruntime:\n  name: python\n  options:\n    virtualenv: env\n",
    )
    make_venv(folder / "env")
    assert (
        main(["--stack", "dev", "--program", str(folder), "--out", str(tmp_path / "out")])
        == EXIT_PROGRAM_FAILED
    )
    err = capsys.readouterr().err
    assert "RuntimeError: from-the-programs-venv" in err and '__main__.py", line 2' in err
    assert "Traceback" not in err and "offline_plan" not in err
