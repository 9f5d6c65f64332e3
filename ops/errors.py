"""One error type for everything the operator must act on: what went wrong, and what to do next."""

from __future__ import annotations


class OpsError(Exception):
    """A failure the CLI reports as `error: <message>` followed by `next: <next_step>`."""

    def __init__(self, message: str, next_step: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.next_step = next_step
        self.exit_code = exit_code


class ConfigError(OpsError):
    """The outputs file or flags do not describe the deployment (exit code 2)."""

    def __init__(self, message: str, next_step: str) -> None:
        super().__init__(message, next_step, exit_code=2)
