"""Dependencies: the app state, and the caller (authenticated and rate-limited in one step).

FastAPI solves every dependency node on every request (a measurable share of a cached read), so the
memory routes depend on exactly one node: the security scheme itself does the work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.requests import HTTPConnection
from fastapi.security import APIKeyHeader
from starlette.concurrency import run_in_threadpool

from memory_api.core import metrics
from memory_api.core.context import tenant_id_var
from memory_api.core.errors import ApiError
from memory_api.core.middleware import RESPONSE_HEADERS_STATE
from memory_api.db.engine import breaker
from memory_api.services.keys import Principal, find_principal, hash_key
from memory_api.services.memories import MemoryService
from memory_api.state import AppState


async def get_state(request: Request) -> AppState:
    """Async on purpose: FastAPI runs sync dependencies in the thread pool, a costly hop per request."""
    state: AppState = request.app.state.memory_api
    return state


State = Annotated[AppState, Depends(get_state)]


@dataclass(frozen=True)
class Caller:
    """Who is calling (one tenant's key) and the service that acts on that tenant's memories."""

    tenant_id: str
    memories: MemoryService


class TenantKey(APIKeyHeader):
    """The ``X-API-Key`` security scheme (so OpenAPI documents it) that also authenticates the key and
    counts the request against its rate limit: one dependency node per request (there were six)."""

    async def __call__(self, request: HTTPConnection) -> Caller:  # type: ignore[override]
        state: AppState = request.app.state.memory_api
        principal = await _authenticate(state, request.headers.get(self.model.name))
        request.state.tenant_id = principal.tenant_id
        tenant_id_var.set(principal.tenant_id)
        decision = await state.limiter.check(principal.key_id)
        # The middleware adds these to whatever response goes out, the 429 included.
        setattr(request.state, RESPONSE_HEADERS_STATE, decision.headers())
        if not decision.allowed:
            window = decision.exceeded_window or "minute"
            metrics.RATE_LIMIT_EXCEEDED.labels(window).inc()
            raise ApiError(
                429,
                "rate_limited",
                f"Rate limit of {decision.limit} requests per {window} exceeded; retry after "
                f"{decision.reset_seconds} s.",
                {"Retry-After": str(decision.reset_seconds)},
            )
        return Caller(principal.tenant_id, state.memories)


async def _authenticate(state: AppState, api_key: str | None) -> Principal:
    if not api_key:
        raise ApiError(401, "unauthenticated", "Send your API key in the X-API-Key header.")
    key_hash = hash_key(api_key)
    principal = state.cached_principal(key_hash)
    if principal is None:
        breaker(state.engine).check()  # a stalled database: 503 now, not after the socket timeout
        principal = await run_in_threadpool(_lookup, state, api_key)
        if principal is None:
            raise ApiError(401, "unauthenticated", "The API key is unknown or revoked.")
        state.remember_principal(key_hash, principal)
    return principal


def _lookup(state: AppState, api_key: str) -> Principal | None:
    with state.sessions() as session:
        return find_principal(session, api_key)


tenant_key = TenantKey(
    name="X-API-Key",
    scheme_name="APIKeyHeader",
    auto_error=False,
    description="Tenant API key from `memory-api keys create`.",
)
Authorized = Annotated[Caller, Depends(tenant_key)]
