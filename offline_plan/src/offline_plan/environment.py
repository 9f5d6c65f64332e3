"""The program's own Python environment, as the language host picks it from `Pulumi.yaml`.

`runtime.options.virtualenv` names a virtual environment (relative to the project folder);
`toolchain: uv` uses the project's uv environment (`.venv` unless `virtualenv` says otherwise);
`toolchain: poetry` uses Poetry's environment for the project. Where one is declared and it is not
this tool's own, the program runs in a worker (`offline_plan.worker`) under that interpreter, with
this package's source on its import path; the worker writes the raw plan as JSON and this process
does everything else (manifests, validation, policies, report).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from offline_plan.document import PlanDocument
from offline_plan.project import read_project
from offline_plan.runner import ProgramError
from offline_plan.settings import StackSettings

_SRC = Path(__file__).resolve().parent.parent


class ProgramEnvironmentError(Exception):
    """The environment `Pulumi.yaml` declares cannot run the program; the message says how to fix it."""


def _venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def program_interpreter(project_dir: Path) -> Path | None:
    """The interpreter of the program's declared environment, or None to run in this process."""
    return declared_environment(project_dir)[0]


def declared_environment(project_dir: Path) -> tuple[Path | None, str | None]:
    """The declared environment's interpreter (None: run here) and a note when it does not exist yet.

    A declared environment that does not exist is no error: `pulumi-language-python-exec` falls back to
    the `python` on PATH in that case, so the plan runs in this process, with a note saying how to create
    the environment (and that the program's own dependencies are then not the ones planned with).
    """
    project = read_project(project_dir)
    runtime = project.get("runtime")
    options = (runtime.get("options") or {}) if isinstance(runtime, dict) else {}
    toolchain = options.get("toolchain", "pip")
    virtualenv = options.get("virtualenv")
    where = f"{project_dir / 'Pulumi.yaml'}: runtime.options"
    if toolchain == "uv":
        venv = project_dir / str(virtualenv or ".venv")
        fix = f"run `uv sync` in {project_dir}"
    elif toolchain == "poetry":
        venv = _poetry_env(project_dir)
        fix = f"run `poetry install` in {project_dir} (with Poetry on PATH, or virtualenvs.in-project = true)"
    elif toolchain == "pip" and virtualenv:
        venv = project_dir / str(virtualenv)
        fix = f"run `python -m venv {venv} && {venv}/bin/pip install -r requirements.txt`"
    elif toolchain == "pip":
        return None, None
    else:
        raise ProgramEnvironmentError(f"{where}: toolchain {toolchain!r} is not one of pip, uv, poetry")
    python = _venv_python(venv)
    if not python.exists():
        return None, (
            f"{where} names the environment {venv}, which does not exist; planning with this tool's own "
            f"interpreter ({sys.executable}) instead, as the language host falls back to python on PATH. "
            f"To plan with the program's own dependencies, {fix}"
        )
    if venv.resolve() == Path(sys.prefix).resolve():
        return None, None
    return python, None


def _poetry_env(project_dir: Path) -> Path:
    poetry = shutil.which("poetry")
    if poetry:
        found = subprocess.run(  # noqa: S603 - Poetry, found on PATH, asked where its environment is
            [poetry, "env", "info", "--path"], cwd=project_dir, capture_output=True, text=True, check=False
        )
        if found.returncode == 0 and found.stdout.strip():
            return Path(found.stdout.strip())
    # Poetry's in-project environment; when it does not exist the caller plans here with a note.
    return project_dir / ".venv"


def run_in_environment(
    python: Path, settings: StackSettings, on_register: Callable[[int], None] = lambda _: None
) -> PlanDocument:
    """Run the program under `python` in a worker and return its plan; `ProgramError` as in-process."""
    with tempfile.TemporaryDirectory(prefix="offline-plan-") as folder:
        settings_file, plan_file = Path(folder, "settings.json"), Path(folder, "plan.json")
        settings_file.write_text(json.dumps(settings.to_json()))
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(_SRC), os.environ.get("PYTHONPATH", "")])}
        env.pop("PYTHONHOME", None)
        finished = subprocess.run(  # noqa: S603 - the interpreter the project itself declares
            [str(python), "-m", "offline_plan.worker", str(settings_file), str(plan_file)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if not plan_file.is_file():
            tail = "\n".join(finished.stderr.strip().splitlines()[-5:])
            raise ProgramEnvironmentError(
                f"the program's environment ({python}) could not run the plan (exit {finished.returncode}):"
                f"\n{tail}"
            )
        sys.stderr.write(finished.stdout + finished.stderr)  # the program's own prints
        result = json.loads(plan_file.read_text())
    if "error" in result:
        raise ProgramError(result["error"])
    plan = PlanDocument.from_recording(result["plan"])
    on_register(len(plan.resources))
    return plan
