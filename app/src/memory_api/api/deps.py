"""Dependencies: the app state, and the caller (authenticated and rate-limited in one step).

FastAPI solves every dependency node on every request (a measurable share of a cached read), so the
memory routes depend on exactly one node: the security scheme itself does the work.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.requests import HTTPConnection
from fastapi.security import APIKeyHeader
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from memory_api.core import metrics
from memory_api.core.client_ip import client_address
from memory_api.core.context import tenant_id_var
from memory_api.core.errors import ApiError
from memory_api.core.middleware import RESPONSE_HEADERS_STATE
from memory_api.db.engine import breaker
from memory_api.schemas import SearchRequest
from memory_api.services.keys import Principal, find_principal, hash_key
from memory_api.services.memories import MemoryService
from memory_api.services.rate_limit import CacheLookup, Prefetch
from memory_api.state import AppState


async def get_state(request: Request) -> AppState:
    """Async on purpose: FastAPI runs sync dependencies in the thread pool, a costly hop per request."""
    state: AppState = request.app.state.memory_api
    return state


State = Annotated[AppState, Depends(get_state)]
API_KEY_HEADER = "X-API-Key"  # the security scheme's header


@dataclass(frozen=True)
class Caller:
    """Who is calling (one tenant's key) and the service that acts on that tenant's memories."""

    tenant_id: str
    memories: MemoryService
    # The route's cache read, done in the rate limiter's Redis round trip (None: not done).
    prefetch: Prefetch | None = None


# What a route will read from the cache first, known before the route runs (None: nothing).
LookupFor = Callable[[HTTPConnection, MemoryService, str], Awaitable[CacheLookup | None]]


def request_address(state: AppState, request: HTTPConnection) -> str:
    """The client address the per-address limits count (see ``core/client_ip.py``)."""
    peer = request.client.host if request.client else ""
    trusted = state.settings.load_balancer_cidrs
    forwarded = request.headers.getlist("x-forwarded-for") if trusted else ()
    return client_address(peer, forwarded, trusted)


class TenantKey(APIKeyHeader):
    """The ``X-API-Key`` security scheme (so OpenAPI documents it) that also authenticates the key and
    counts the request against its key's and its address's rate limits: one dependency node per
    request (there were six). With ``lookup``, the count also reads what the route serves from the
    cache, so a cached read costs one Redis round trip."""

    def __init__(self, *, lookup: LookupFor | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.lookup = lookup

    async def __call__(self, request: HTTPConnection) -> Caller:  # type: ignore[override]
        return await authorize(request, self.lookup)


async def authorize(request: HTTPConnection, lookup_for: LookupFor | None = None) -> Caller:
    """Authenticate the request's key and count it against its key's and address's limits (raising
    401/429/503 as ``ApiError``); with ``lookup_for``, the count also reads the route's cache entry."""
    state: AppState = request.app.state.memory_api
    address = request_address(state, request)
    principal = await _authenticate(state, request.headers.get(API_KEY_HEADER), address)
    request.state.tenant_id = principal.tenant_id
    tenant_id_var.set(principal.tenant_id)
    lookup = None
    if lookup_for is not None and state.limiter.gate is not None:  # (in-process: no trip to save)
        lookup = await lookup_for(request, state.memories, principal.tenant_id)
    decision, prefetch = await state.limiter.check(principal.key_id, address, lookup)
    # The middleware adds these to whatever response goes out, the 429 included.
    setattr(request.state, RESPONSE_HEADERS_STATE, decision.headers())
    if not decision.allowed:
        window = decision.exceeded_window or "minute"
        metrics.RATE_LIMIT_EXCEEDED.labels(window).inc()
        whose = "this client address" if decision.exceeded_scope == "address" else "this API key"
        raise ApiError(
            429,
            "rate_limited",
            f"Rate limit of {decision.limit} requests per {window} for {whose} exceeded; retry "
            f"after {decision.reset_seconds} s.",
            {"Retry-After": str(decision.reset_seconds)},
        )
    return Caller(principal.tenant_id, state.memories, prefetch)


MAX_KEY_CHARS = 256  # issued keys have 47


class UnknownKeyError(ApiError):
    def __init__(self) -> None:
        super().__init__(401, "unauthenticated", "The API key is unknown or revoked.")


async def _authenticate(state: AppState, api_key: str | None, client_ip: str) -> Principal:
    """The key's principal: from the in-process cache, else the database.

    Unknown keys are cached too (bounded, same TTL), so repeating one costs no lookup; and an
    address that sent ``AUTH_FAILURES_PER_MINUTE`` unknown keys gets 429 for keys not in the cache
    (a cached, valid key behind the same address is still served).
    """
    if not api_key:
        raise ApiError(401, "unauthenticated", "Send your API key in the X-API-Key header.")
    if len(api_key) > MAX_KEY_CHARS:
        state.auth_failures[client_ip] = state.auth_failures.get(client_ip, 0) + 1
        raise UnknownKeyError
    key_hash = hash_key(api_key)
    principal = state.cached_principal(key_hash)
    if principal is not None:
        return principal
    failures = state.auth_failures.get(client_ip, 0)
    if failures >= state.settings.auth_failures_per_minute:
        metrics.AUTH_FAILURES_REFUSED.inc()
        raise ApiError(
            429,
            "too_many_failed_authentications",
            f"{failures} requests with an unknown API key came from this address in the last minute; "
            "check the key and retry after 60 s.",
            {"Retry-After": "60"},
        )
    if key_hash not in state.unknown_keys:
        breaker(state.engine).check()  # a stalled database: 503 now, not after the socket timeout
        principal = await run_in_threadpool(_lookup, state, api_key)
    if principal is None:
        state.auth_failures[client_ip] = failures + 1
        if state.settings.auth_cache_ttl_seconds > 0:
            state.unknown_keys[key_hash] = True
        raise UnknownKeyError
    state.remember_principal(key_hash, principal)
    return principal


def _lookup(state: AppState, api_key: str) -> Principal | None:
    with state.sessions() as session:
        return find_principal(session, api_key)


async def _memory_lookup(
    request: HTTPConnection, memories: MemoryService, tenant_id: str
) -> CacheLookup | None:
    try:
        memory_id = uuid.UUID(str(request.path_params.get("memory_id")))
    except ValueError:
        return None  # answered 422 by the route's own validation
    return memories.memory_lookup(tenant_id, str(memory_id))


async def _search_lookup(
    request: HTTPConnection, memories: MemoryService, tenant_id: str
) -> CacheLookup | None:
    if not isinstance(request, Request):
        return None
    try:  # FastAPI parsed the body already (request.json() returns its copy); it validates it again
        body = SearchRequest.model_validate(await request.json())
    except (ValidationError, ValueError):
        return None
    return memories.search_lookup(tenant_id, body)


_SCHEME: dict[str, Any] = {
    "name": API_KEY_HEADER,
    "scheme_name": "APIKeyHeader",
    "auto_error": False,
    "description": "Tenant API key from `memory-api keys create`.",
}
tenant_key = TenantKey(**_SCHEME)
Authorized = Annotated[Caller, Depends(tenant_key)]
# The same scheme for the cached reads: the count reads the cache in the same round trip.
AuthorizedGet = Annotated[Caller, Depends(TenantKey(lookup=_memory_lookup, **_SCHEME))]
AuthorizedSearch = Annotated[Caller, Depends(TenantKey(lookup=_search_lookup, **_SCHEME))]


async def authorize_get(request: HTTPConnection) -> Caller:
    """What ``AuthorizedGet`` does, for a caller outside FastAPI's dependency solving."""
    return await authorize(request, _memory_lookup)


async def authorize_search(request: HTTPConnection, body: SearchRequest) -> Caller:
    """What ``AuthorizedSearch`` does, for a body validated already."""

    async def lookup(_: HTTPConnection, memories: MemoryService, tenant_id: str) -> CacheLookup:
        return memories.search_lookup(tenant_id, body)

    return await authorize(request, lookup)
