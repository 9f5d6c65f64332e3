"""Dependencies: the app state, the authenticated principal, and the per-key rate limit."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.security import APIKeyHeader
from starlette.concurrency import run_in_threadpool

from memory_api.core import metrics
from memory_api.core.context import tenant_id_var
from memory_api.core.errors import ApiError
from memory_api.services.keys import Principal, find_principal, hash_key
from memory_api.state import AppState

api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="Tenant API key from `memory-api keys create`."
)


async def get_state(request: Request) -> AppState:
    """Async on purpose: FastAPI runs sync dependencies in the thread pool, a costly hop per request."""
    state: AppState = request.app.state.memory_api
    return state


State = Annotated[AppState, Depends(get_state)]


async def authenticate(
    request: Request, state: State, api_key: Annotated[str | None, Depends(api_key_header)]
) -> Principal:
    if not api_key:
        raise ApiError(401, "unauthenticated", "Send your API key in the X-API-Key header.")
    key_hash = hash_key(api_key)
    principal = state.cached_principal(key_hash)
    if principal is None:
        principal = await run_in_threadpool(_lookup, state, api_key)
        if principal is None:
            raise ApiError(401, "unauthenticated", "The API key is unknown or revoked.")
        state.remember_principal(key_hash, principal)
    request.state.tenant_id = principal.tenant_id
    tenant_id_var.set(principal.tenant_id)
    return principal


def _lookup(state: AppState, api_key: str) -> Principal | None:
    with state.sessions() as session:
        return find_principal(session, api_key)


async def rate_limited(
    principal: Annotated[Principal, Depends(authenticate)], state: State, response: Response
) -> Principal:
    decision = await state.limiter.check(principal.key_id)
    headers = {
        "RateLimit-Limit": str(decision.limit),
        "RateLimit-Remaining": str(decision.remaining),
        "RateLimit-Reset": str(decision.reset_seconds),
        "RateLimit-Policy": decision.policy,
    }
    if not decision.allowed:
        window = decision.exceeded_window or "minute"
        metrics.RATE_LIMIT_EXCEEDED.labels(window).inc()
        raise ApiError(
            429,
            "rate_limited",
            f"Rate limit of {decision.limit} requests per {window} exceeded; retry after "
            f"{decision.reset_seconds} s.",
            {**headers, "Retry-After": str(decision.reset_seconds)},
        )
    response.headers.update(headers)
    return principal


Tenant = Annotated[Principal, Depends(rate_limited)]
