"""Garbage collection tuned for one short-lived plan, as mypy tunes it for one build.

A plan allocates a few million objects that mostly live until it ends (the SDK's resources, Outputs and
tasks, the program's modules, the records). CPython's default thresholds (700, 10, 10) run a collection
every 700 net allocations and a full one, over the whole heap, whenever the long-lived objects grow by a
quarter: about a fifth of the plan's CPU time, and nearly nothing collected. A first generation of
200,000 objects (mypy's setting, `mypy/build.py`) collects the same cycles, rarely; the heap does not grow.

At exit the interpreter collects once more, over every object the plan made (seconds, for a process that is
ending); `before_exit` freezes them (`gc.freeze`), so that collection leaves them to the OS.
"""

from __future__ import annotations

import gc
import platform

THRESHOLDS = (200_000, 30, 30)


def tune() -> None:
    """For the process about to plan (the CLI, the chart worker); not for a library's caller."""
    if platform.python_implementation() == "CPython":
        gc.set_threshold(*THRESHOLDS)


def before_exit() -> None:
    """Last thing a planning process does: its objects are left out of the interpreter's final collection."""
    gc.freeze()
