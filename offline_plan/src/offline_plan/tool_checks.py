"""The upstream checkers on the files a plan writes: `amtool check-config` and `promtool check rules`.

Each runs only when its tool is on PATH (Debian's `prometheus-alertmanager` and `prometheus` packages ship
them); a missing tool is reported as skipped, never as passed. A failing check is a problem line that
names the file and quotes the tool's own message.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

TIMEOUT_SECONDS = 60


@dataclass
class CheckResult:
    tool: str
    ran: bool
    files: int
    problems: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        if not self.ran:
            return f"{self.tool} not on PATH, not checked"
        if not self.files:
            return f"{self.tool}: no files to check"
        return f"{self.tool}: {'failed' if self.problems else 'passed'}"


def _check(tool: str, args: list[str], files: list[Path], relative_to: Path) -> CheckResult:
    binary = shutil.which(tool)
    if binary is None or not files:
        return CheckResult(tool, ran=binary is not None, files=len(files))
    result = CheckResult(tool, ran=True, files=len(files))
    for path in files:
        try:
            done = subprocess.run(  # noqa: S603 - a fixed tool on a file this run wrote
                [binary, *args, str(path)],
                capture_output=True,
                text=True,
                timeout=TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired:
            result.problems.append(f"{path.relative_to(relative_to)}: {tool} took over {TIMEOUT_SECONDS}s")
            continue
        if done.returncode != 0:
            message = " ".join((done.stdout + done.stderr).split())
            command = " ".join([tool, *args])
            result.problems.append(f"{path.relative_to(relative_to)}: `{command}` failed: {message}")
    return result


def amtool_check_config(files: list[Path], relative_to: Path) -> CheckResult:
    return _check("amtool", ["check-config"], files, relative_to)


def promtool_check_rules(files: list[Path], relative_to: Path) -> CheckResult:
    return _check("promtool", ["check", "rules"], files, relative_to)
