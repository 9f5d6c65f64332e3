"""Runs a Pulumi Python program under the SDK's mock runtime, exactly as the language host would.

`pulumi-language-python-exec` sets the config, configures the runtime, changes into the project
folder and calls `runtime.run_in_stack(lambda: runpy.run_path(main, run_name="__main__"))`. This
module does the same with a resource monitor that records every registration: type, name, URN,
parent, provider, dependencies, inputs (secrets redacted) and resource options, and every invoke.

It plans as `pulumi preview` does (`dry_run=True`): what the mocks do not answer is unknown and is
recorded as "[unknown]". `run_program(..., preview=False)` plans as `pulumi up` would instead, with
unanswered values a known None, for tests that assert applied values.

This module, `recording`, `monitor`, `program_errors`, `mocks`, `references`, `remote` and `settings`
import only the Pulumi SDK, protobuf and the standard library, so `worker` can run them under the
program's own interpreter.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import runpy
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.runtime import mocks as runtime_mocks
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.stack import run_in_stack

from offline_plan import kube_yaml
from offline_plan.aws_answers import redact_values
from offline_plan.markers import REDACTED, UNKNOWN
from offline_plan.mocks import PlanMocks
from offline_plan.monitor import RecordingMonitor, _RecordingEngine, _secret_invoke_args
from offline_plan.program_errors import (
    _cancel_pending,
    _exit_message,
    _program_traceback,
    _ProgramExit,
    _with_resource,
    _wrapping_error,
)
from offline_plan.recording import ProgramError, Recording, plain
from offline_plan.settings import StackSettings

# What readers of the runner import from it.
__all__ = ["REDACTED", "UNKNOWN", "ProgramError", "Recording", "plain", "record_program", "run_program"]

if TYPE_CHECKING:
    from offline_plan.document import PlanDocument


@contextmanager
def _program_context(settings: StackSettings) -> Iterator[None]:
    """The process state the language host sets up: working directory, argv and import path."""
    saved_cwd, saved_argv, saved_path = os.getcwd(), sys.argv[:], sys.path[:]
    os.chdir(settings.project_dir)
    sys.argv = [str(settings.main)]
    sys.path.insert(0, str(settings.project_dir))
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        sys.argv, sys.path[:] = saved_argv, saved_path


def run_program(
    settings: StackSettings,
    on_register: Callable[[int], None] = lambda _: None,
    *,
    preview: bool = True,
    on_record: Callable[[dict[str, Any]], None] | None = None,
) -> PlanDocument:
    """Run the program of `settings` once under mocks and return its typed plan.

    `preview=True` (the default) plans as `pulumi preview`; `preview=False` as `pulumi up`.
    `on_record` sees each resource's record once the monitor has answered its registration.
    """
    from offline_plan.document import PlanDocument  # noqa: PLC0415 - pydantic: not in the worker's env

    recording = record_program(settings, on_register, preview=preview, on_record=on_record)
    return PlanDocument.from_recording(recording.to_json())


def record_program(
    settings: StackSettings,
    on_register: Callable[[int], None] = lambda _: None,
    *,
    preview: bool = True,
    on_record: Callable[[dict[str, Any]], None] | None = None,
) -> Recording:
    """Run the program of `settings` once under mocks and return what the monitor recorded."""
    plan = Recording(project=settings.project, stack=settings.stack, preview=preview)
    mocks = PlanMocks(settings.config)
    mocks.stack_outputs = settings.stack_outputs
    monitor = RecordingMonitor(mocks, plan, settings.config, on_register, on_record)
    mocks.provider_region = monitor.provider_region
    engine = _RecordingEngine()

    runtime_settings.ROOT.set(None)
    runtime_settings.SETTINGS.outputs.clear()  # a failed run before this one leaves its pending Outputs
    set_all_config(dict(settings.config), list(settings.secret_keys))
    runtime_settings.configure(
        runtime_mocks.MockSettings(
            monitor=monitor,
            monitor_features=set(monitor.GetDeploymentInfo(None).supportedFeatures),
            engine=engine,
            project=settings.project,
            stack=settings.stack,
            root_directory=str(settings.project_dir),
            dry_run=preview,
            organization="organization",
            callbacks=None,
            parallel=1,
        )
    )
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    early_exit: list[str] = []

    def program() -> None:
        try:
            runpy.run_path(str(settings.main), run_name="__main__")
        except SystemExit as exit_:
            if exit_.code in (0, None):
                early_exit.append("the program called sys.exit(0); what it registered before is planned")
                return
            raise _ProgramExit(exit_.code, exit_.__traceback__) from None

    try:
        with _program_context(settings), _secret_invoke_args(monitor), kube_yaml.offline_sdk(mocks.warnings):
            loop.run_until_complete(run_in_stack(program))
    except pulumi.RunError as error:
        raise ProgramError(_with_resource(str(error), engine)) from None
    except _ProgramExit as exit_:
        raise ProgramError(_exit_message(exit_, settings)) from None
    except Exception as error:
        error = _wrapping_error(error, loop)
        raise ProgramError(_with_resource(_program_traceback(error, settings), engine)) from None
    finally:
        _cancel_pending(loop)
        loop.close()
        asyncio.set_event_loop(None)
        runtime_settings.ROOT.set(None)
    plan.invokes.sort(key=lambda invoke: (invoke["token"], json.dumps(invoke["args"], sort_keys=True)))
    plan.warnings.extend(sorted([*mocks.warnings, *early_exit]))
    # A plain (non-output) invoke drops the secret mark of its result: redact what the mocks handed out.
    for name, value in vars(plan).items():
        setattr(plan, name, redact_values(value, mocks.secret_values, REDACTED))
    return plan
