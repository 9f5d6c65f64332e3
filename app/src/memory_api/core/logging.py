"""Structured JSON logs on stdout; every line carries the request id and tenant id of its request."""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

from memory_api.core.context import request_id_var, tenant_id_var


def _add_request_context(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    if request_id := request_id_var.get():
        event.setdefault("request_id", request_id)
    if tenant_id := tenant_id_var.get():
        event.setdefault("tenant_id", tenant_id)
    return event


class _CurrentStream:
    """Forwards to whatever ``sys.stdout``/``sys.stderr`` is at write time (test runners swap them)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def write(self, text: str) -> int:
        return int(getattr(sys, self.name).write(text))

    def flush(self) -> None:
        getattr(sys, self.name).flush()


def configure_logging(level: str, *, to_stderr: bool = False) -> None:
    """Logs go to stdout for the server; CLI commands log to stderr so stdout stays clean JSON."""
    stream = _CurrentStream("stderr" if to_stderr else "stdout")
    """JSON renderer for structlog and for the standard library loggers (uvicorn, alembic)."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_request_context,
    ]
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, structlog.processors.JSONRenderer()],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(stream),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.JSONRenderer(),
            ],
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    for noisy in ("uvicorn.access", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
