"""The program's own error, naming the resource involved, for exceptions, `sys.exit()` and SDK frames."""

from __future__ import annotations

import asyncio
import traceback
from pathlib import Path
from typing import Any

from pulumi.runtime import settings as runtime_settings

from offline_plan.monitor import _RecordingEngine
from offline_plan.recording import _HARNESS_DIR
from offline_plan.settings import StackSettings


class _ProgramExit(Exception):  # noqa: N818 - carries SystemExit out of the SDK's Exception handlers
    def __init__(self, code: object, traceback_: Any) -> None:
        super().__init__(code)
        self.code = code
        self.program_traceback = traceback_


def _chain(error: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    cause: BaseException | None = error
    while cause is not None and all(cause is not seen for seen in chain):
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    return chain


def _wrapping_error(error: Exception, loop: asyncio.AbstractEventLoop) -> Exception:
    """The same error as the SDK reports it for the resource it broke, where that comes shortly after.

    A failing apply callback fails both its Output and the registration that awaits it; which of
    the two reaches the runner first varies. The registration's error names the resource and keeps
    the program's frames, so let the pending work finish briefly and prefer it.
    """
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    if pending:
        loop.run_until_complete(asyncio.wait(pending, timeout=2))
    candidates: list[BaseException | None] = [
        getattr(getattr(runtime_settings.SETTINGS, "rpc_manager", None), "unhandled_exception", None)
    ]
    candidates += [
        task.exception()
        for task in [*runtime_settings.SETTINGS.outputs, *pending]
        if task.done() and not task.cancelled()
    ]
    for wrapped in candidates:
        if (
            isinstance(wrapped, Exception)
            and wrapped is not error
            and any(cause is error for cause in _chain(wrapped))
        ):
            return wrapped
    return error


def _cancel_pending(loop: asyncio.AbstractEventLoop) -> None:
    """A failed program leaves Outputs pending; end them on their loop so the next run starts clean."""
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    pending += [task for task in runtime_settings.SETTINGS.outputs if not task.done() and task not in pending]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    runtime_settings.SETTINGS.outputs.clear()


def _exit_message(exit_: _ProgramExit, settings: StackSettings) -> str:
    frames = _program_frames(exit_.program_traceback, settings)
    code = exit_.code
    message = f"the program called sys.exit({code})" if isinstance(code, int) else str(code)
    return "\n".join([*frames, message])


def _with_resource(message: str, engine: _RecordingEngine) -> str:
    """Name the resource the SDK reported an error about, where it did."""
    for urn, logged in engine.errors:
        if urn and urn not in message:
            return f"{message}\n(while registering {urn}: {logged.splitlines()[0] if logged else ''})"
    return message


def _program_frames(tb: Any, settings: StackSettings) -> list[str]:
    frames = [
        frame
        for frame in traceback.extract_tb(tb)
        if not frame.filename.startswith("<")
        and Path(frame.filename).resolve().is_relative_to(settings.project_dir)
        and not Path(frame.filename).resolve().is_relative_to(_HARNESS_DIR)
        and ".venv" not in Path(frame.filename).parts
    ]
    return [f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}' for frame in frames[-3:]]


def _program_traceback(error: BaseException, settings: StackSettings) -> str:
    """The exception message, preceded by the frames that belong to the program's own files.

    An error raised in the program's code that the SDK ran (an apply callback, an input it
    serialized) reaches here wrapped by the SDK; the program's frames are those of the innermost
    exception in the chain that has any.
    """
    lines: list[str] = []
    for cause in _chain(error):
        lines = _program_frames(cause.__traceback__, settings) or lines
    message = f"{type(error).__name__}: {error}"
    if type(error).__name__ == "StackConfigError":
        return str(error)
    return "\n".join([*lines, message]) if lines else message
