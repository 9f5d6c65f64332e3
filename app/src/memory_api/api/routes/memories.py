"""Memories: create, get, list (cursor pagination, tag filter), delete; and search."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from memory_api.api.deps import Authorized, AuthorizedGet, AuthorizedSearch, tenant_key
from memory_api.core.errors import ApiError
from memory_api.schemas import (
    MAX_PAGE_SIZE,
    TAG_PATTERN,
    ErrorResponse,
    MemoryCreate,
    MemoryCreated,
    MemoryOut,
    MemoryPage,
    SearchRequest,
    SearchResponse,
)

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse, "description": text}
    for code, text in {
        401: "Missing, unknown or revoked API key",
        413: "Request body over 64 KiB",
        422: "Invalid input",
        429: "Rate limit exceeded (see Retry-After)",
        503: "A dependency is unavailable",
    }.items()
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorResponse, "description": "No such memory"}}


class JSONBytes(Response):
    """A JSON document that is already serialised."""

    media_type = "application/json"


class AuthFirstRoute(APIRoute):
    """FastAPI parses the JSON body before it runs dependencies, so a malformed body was answered 422
    without authenticating or counting the request. Here such a request is authenticated and counted
    first: an unknown key gets 401, an exhausted limit 429, and every answer carries RateLimit-*."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def authenticate_first(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as error:
                if any(item.get("type") == "json_invalid" for item in error.errors()):
                    await tenant_key(request)  # raises 401/429; sets the RateLimit headers
                raise
            except StarletteHTTPException as error:
                if error.status_code != 400:
                    raise
                # FastAPI's undocumented 400 "error parsing the body" (e.g. bytes that are not UTF-8)
                await tenant_key(request)
                raise ApiError(
                    422, "invalid_request", "body: not valid JSON; send a UTF-8 encoded JSON object"
                ) from error

        return authenticate_first


router = APIRouter(prefix="/v1", tags=["memories"], responses=ERRORS, route_class=AuthFirstRoute)


@router.post("/memories", status_code=status.HTTP_201_CREATED, response_model=MemoryCreated)
async def create_memory(body: MemoryCreate, caller: Authorized, response: Response) -> Any:
    """Store a memory. Acknowledged once durable in the database; searchable shortly after."""
    stored = await caller.memories.create(caller.tenant_id, body)
    response.headers["Location"] = f"/v1/memories/{stored['id']}"
    return stored


# Reads answer with the cached JSON document as it is; response_model documents its shape.
@router.get("/memories/{memory_id}", response_model=MemoryOut, responses=NOT_FOUND)
async def get_memory(memory_id: uuid.UUID, caller: AuthorizedGet) -> Any:
    return JSONBytes(await caller.memories.get_json(caller.tenant_id, str(memory_id), caller.prefetch))


@router.get("/memories", response_model=MemoryPage)
async def list_memories(
    caller: Authorized,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20,
    cursor: Annotated[str | None, Query(max_length=256)] = None,
    tag: Annotated[str | None, Query(pattern=TAG_PATTERN)] = None,
) -> Any:
    """Newest first. Pass the returned `next_cursor` to get the next page."""
    items, next_cursor = await caller.memories.list_page(caller.tenant_id, limit, cursor, tag)
    return {"items": items, "next_cursor": next_cursor}


@router.delete("/memories/{memory_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
async def delete_memory(memory_id: uuid.UUID, caller: Authorized) -> None:
    await caller.memories.delete(caller.tenant_id, str(memory_id))


@router.post("/search", response_model=SearchResponse)
async def search(body: SearchRequest, caller: AuthorizedSearch) -> Any:
    """Memories ranked by cosine similarity to `query`, best first, within the caller's tenant."""
    return JSONBytes(await caller.memories.search_json(caller.tenant_id, body, caller.prefetch))
