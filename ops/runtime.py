"""What a command needs from the outside world, injectable so tests run fast and without a terminal."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO

from ops.aws import BotoClients, ClientFactory
from ops.errors import OpsError
from ops.kube import KubeFactory, eks_kube, http_status

log = logging.getLogger("ops")


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    """AWS and Kubernetes clients, clock, sleep, prompt, HTTP probe and output of one CLI invocation."""

    clients: ClientFactory = field(default_factory=BotoClients)
    now: Callable[[], datetime] = _utc_now
    sleep: Callable[[float], None] = time.sleep
    prompt: Callable[[str], str] = input
    out: TextIO = field(default_factory=lambda: sys.stdout)
    stdin_is_tty: Callable[[], bool] = field(default_factory=lambda: sys.stdin.isatty)
    kube: KubeFactory = eks_kube  # (runtime, region, EKS cluster name) -> Kubernetes API client
    http_get: Callable[[str], int] = http_status  # GET url -> HTTP status (0: no answer)

    def client(self, service: str, region: str | None = None) -> Any:
        return self.clients(service, region)

    def echo(self, text: str = "") -> None:
        print(text, file=self.out)


def wait_until(
    runtime: Runtime,
    what: str,
    probe: Callable[[], tuple[bool, str]],
    *,
    timeout_seconds: float,
    interval_seconds: float,
    next_step: str,
) -> str:
    """Poll `probe` until it reports done or `timeout_seconds` pass; returns the final state text."""
    started = runtime.now()
    polls = 0
    while True:
        done, state = probe()
        polls += 1
        elapsed = (runtime.now() - started).total_seconds()
        log.info("waiting for %s: %s (%.0fs elapsed, poll %d)", what, state, elapsed, polls)
        if done:
            return state
        if elapsed + interval_seconds > timeout_seconds:
            raise OpsError(
                f"timed out after {elapsed:.0f}s waiting for {what}; last state: {state}",
                next_step,
            )
        runtime.sleep(interval_seconds)
