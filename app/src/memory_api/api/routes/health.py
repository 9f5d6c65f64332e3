"""Kubernetes probes and the Prometheus endpoint.

Readiness fails (503) only when the database, the system of record, is unreachable. Redis or Qdrant
down leaves the pod ready but ``degraded`` (requests are still served: no cache / no search), and
the body names the failed dependency. Parked outbox rows (memories the vector store refused, see
``services/outbox.py``) make it ``degraded`` too, with their count, until an operator retries them.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool

from memory_api.api.deps import State
from memory_api.db.engine import breaker, ping
from memory_api.services.outbox import OutboxCounts

router = APIRouter(tags=["operations"])
CHECK_TIMEOUT_SECONDS = 2.0
REQUIRED = ("database",)


async def _check(name: str, probe: Any) -> tuple[str, dict[str, Any]]:
    try:
        ok = await asyncio.wait_for(probe(), timeout=CHECK_TIMEOUT_SECONDS)
    except Exception as error:
        return name, {"status": "failed", "detail": f"{type(error).__name__}"[:120]}
    if isinstance(ok, OutboxCounts):
        check: dict[str, Any] = {"status": "ok", "pending": ok.pending, "parked": ok.parked}
        if ok.parked:
            check["status"] = "failed"
            check["detail"] = (
                f"{ok.parked} row(s) refused by the vector store and parked: "
                "`memory-api outbox list --parked`, then `memory-api outbox retry`"
            )
        return name, check
    return name, {"status": "ok"} if ok is not False else {"status": "failed", "detail": "no answer"}


@router.get("/health/live")
async def live() -> dict[str, str]:
    """The process is up and its event loop answers."""
    return {"status": "alive"}


NOT_READY: dict[int | str, dict[str, Any]] = {
    503: {"description": "Not (yet) able to serve; the body says which check failed"}
}


@router.get("/health/startup", responses=NOT_READY)
async def startup(state: State) -> JSONResponse:
    """Migrations ran and clients exist."""
    if not state.started:
        return JSONResponse({"status": "starting"}, status_code=503)
    return JSONResponse({"status": "started"})


@router.get("/health/ready", responses=NOT_READY)
async def ready(state: State) -> JSONResponse:
    """Checks the database, Redis and Qdrant; 503 when a required one (the database) fails."""

    async def database() -> None:
        await run_in_threadpool(ping, state.engine)  # bypasses the breaker, so recovery shows at once
        breaker(state.engine).reset()

    async def vector_store() -> None:
        await run_in_threadpool(state.vector_store.ping)

    probes: list[Any] = [_check("database", database), _check("vector_store", vector_store)]
    gate = state.redis_gate
    if gate is not None:
        probes.append(_check("redis", gate.ping))

    async def outbox() -> OutboxCounts:
        return await run_in_threadpool(state.relay.counts)

    probes.append(_check("outbox", outbox))
    checks = dict(await asyncio.gather(*probes))
    if checks["database"]["status"] == "failed":
        checks["outbox"] = {"status": "unknown", "detail": "the database is unreachable"}
    if gate is None:
        checks["redis"] = {"status": "not_configured", "detail": "in-process cache and rate limits"}
    failed = sorted(name for name, check in checks.items() if check["status"] == "failed")
    blocking = [name for name in failed if name in REQUIRED]
    status = "not_ready" if blocking else ("degraded" if failed else "ready")
    return JSONResponse(
        {"status": status, "failed": failed, "checks": checks}, status_code=503 if blocking else 200
    )


@router.get("/metrics", include_in_schema=False)
async def prometheus_metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
