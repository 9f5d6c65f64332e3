"""The FastAPI application: ``create_app(settings)`` builds it; clients live in ``lifespan``."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.concurrency import run_in_threadpool

from memory_api import __version__
from memory_api.api.fast_reads import FastReads
from memory_api.api.routes import health, memories
from memory_api.core.config import Settings, get_settings
from memory_api.core.errors import install_error_handlers
from memory_api.core.logging import configure_logging
from memory_api.core.middleware import RequestContextMiddleware
from memory_api.core.tracing import create_tracer_provider, get_tracer
from memory_api.schemas import MAX_BODY_BYTES
from memory_api.state import AppState, build_state

log = structlog.get_logger("memory_api")


async def _replay_invalidations(state: AppState, stop: asyncio.Event) -> None:
    """Every poll interval, replay the durable cache-invalidation log (see MemoryService).

    Stopped through ``stop``, never cancelled: a Redis command cancelled halfway can leave the
    client's connection pool unable to close."""
    failing = False
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=state.settings.outbox_poll_seconds)
        if stop.is_set():
            return
        try:
            while await state.memories.replay_invalidations():
                pass
            failing = False
        except Exception as error:  # the database is down: the log waits for the next round
            if not failing:
                log.warning("cache_invalidation_replay_failed", error=type(error).__name__)
            failing = True


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    tracer_provider = create_tracer_provider(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state: AppState = await run_in_threadpool(build_state, settings)
        app.state.memory_api = state
        relay_task = asyncio.create_task(state.relay.run(), name="outbox-relay")
        stop_replay = asyncio.Event()
        replay_task = asyncio.create_task(
            _replay_invalidations(state, stop_replay), name="cache-invalidations"
        )
        state.relay.wake()  # drain whatever an earlier run left in the outbox
        state.started = True
        gc.freeze()  # startup objects (models, clients) leave the collector's scans: shorter GC pauses
        log.info(
            "started",
            environment=settings.environment,
            database=state.engine.dialect.name,
            redis=state.redis_gate is not None,
            qdrant="server" if settings.qdrant_url else "local",
            embedder=state.embedder.name,
            tracing=tracer_provider is not None,
        )
        try:
            yield
        finally:
            state.relay.stop()
            stop_replay.set()
            with contextlib.suppress(asyncio.CancelledError):
                await relay_task
            await replay_task
            if state.redis_gate is not None:
                state.redis_gate.pipe.close()
                await state.redis_gate.client.aclose()
            await run_in_threadpool(state.vector_store.close)
            state.engine.dispose()
            if tracer_provider is not None:
                tracer_provider.shutdown()
            log.info("stopped")

    app = FastAPI(
        title="Memory API",
        version=__version__,
        summary="Store text memories per tenant and search them by meaning.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    install_error_handlers(app)
    app.include_router(memories.router)
    app.include_router(health.router)
    app.add_middleware(FastReads)  # innermost: inside CORS and the request middleware
    if settings.cors_allow_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_allow_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["X-API-Key", "Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Retry-After", "RateLimit-Limit", "RateLimit-Remaining"],
        )
    app.add_middleware(
        RequestContextMiddleware,
        tracer=get_tracer(tracer_provider),
        max_body_bytes=MAX_BODY_BYTES,
        log_requests=settings.log_level in ("DEBUG", "INFO"),
        static_paths=frozenset(
            path
            for path in (
                app.openapi_url,
                app.docs_url,
                app.redoc_url,
                app.swagger_ui_oauth2_redirect_url,
            )
            if path
        ),
    )
    return app
