"""The two hot reads, ``GET /v1/memories/{id}`` and ``POST /v1/search``, served without FastAPI's
per-request machinery when the request is valid as it stands.

FastAPI's routing, its two exit stacks, dependency solving and parameter validation cost about as
much CPU as the whole bare endpoint the benchmark compares against (~200 µs a request on the CI
machine), more than a cached read itself. This ASGI layer sits between the request middleware
(request id, body limit, security headers, metrics, span: they apply as before) and FastAPI's
router. It answers a request itself only when it is plainly valid: a canonical lowercase UUID in
the path, or a JSON body (``Content-Type: application/json``) that ``SearchRequest`` accepts.
Everything else (other methods and paths, odd UUID spellings, other content types, malformed or
invalid bodies) goes to FastAPI untouched, the body replayed, so validation errors, 401s on bad
bodies and 405s keep their one definition there.

A request served here runs the same code as the routes: ``authorize`` (authentication and the rate
limits, with the route's cache read in the same Redis round trip), then ``MemoryService``; its
errors go through the app's own exception handlers, and it answers with the same bytes and headers.
``tests/app/test_fast_reads.py`` holds the two paths to that.
"""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from memory_api.api.deps import authorize_get, authorize_search
from memory_api.api.routes import memories
from memory_api.schemas import SearchRequest

_MEMORY_PATH = re.compile(r"/v1/memories/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")
_SEARCH_PATH = "/v1/search"
_JSON = b"application/json"


def _route(endpoint: Any) -> APIRoute:
    return next(
        route
        for route in memories.router.routes
        if isinstance(route, APIRoute) and route.endpoint is endpoint
    )


def _json_content_type(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-type":
            media_type: bytes = value.split(b";", 1)[0].strip().lower()
            return media_type == _JSON
    return False


async def _respond(send: Send, document: bytes) -> None:
    """What ``JSONBytes(document)`` sends."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-length", b"%d" % len(document)), (b"content-type", _JSON)],
        }
    )
    await send({"type": "http.response.body", "body": document})


class FastReads:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.get_route = _route(memories.get_memory)
        self.search_route = _route(memories.search)
        self._handled: dict[str, ASGIApp] = {}

    def _with_handlers(self, scope: Scope, name: str, inner: ASGIApp) -> ASGIApp:
        """``inner`` behind the app's exception handlers (built once: the app is known at the first
        request), as FastAPI's own ExceptionMiddleware puts the routes."""
        wrapped = self._handled.get(name)
        if wrapped is None:
            fastapi_app: FastAPI = scope["app"]
            handlers = {
                key: handler
                for key, handler in fastapi_app.exception_handlers.items()
                if key not in (500, Exception)  # (Starlette gives these to ServerErrorMiddleware)
            }
            wrapped = self._handled[name] = ExceptionMiddleware(inner, handlers=handlers)
        return wrapped

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            method, path = scope["method"], scope["path"]
            if method == "GET" and (match := _MEMORY_PATH.fullmatch(path)):
                scope["route"] = self.get_route
                scope["path_params"] = {"memory_id": match.group(1)}
                await self._with_handlers(scope, "get", _get)(scope, receive, send)
                return
            if method == "POST" and path == _SEARCH_PATH and _json_content_type(scope):
                await self._search(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _search(self, scope: Scope, receive: Receive, send: Send) -> None:
        messages: list[Message] = []
        body = b""
        while True:
            message = await receive()  # (the body limit raises here, for the middleware to answer)
            messages.append(message)
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        request: SearchRequest | None = None
        with contextlib.suppress(Exception):  # not JSON, too deep, or invalid: FastAPI says which
            request = SearchRequest.model_validate(json.loads(body))  # as FastAPI parses a JSON body
        if request is None or messages[-1]["type"] != "http.request":

            async def replay() -> Message:
                return messages.pop(0) if messages else await receive()

            await self.app(scope, replay, send)  # FastAPI answers, from the same bytes
            return
        scope["route"] = self.search_route
        scope["memory_api.search"] = request
        await self._with_handlers(scope, "search", _search)(scope, receive, send)


async def _get(scope: Scope, receive: Receive, send: Send) -> None:
    caller = await authorize_get(Request(scope, receive))
    document = await caller.memories.get_json(
        caller.tenant_id, scope["path_params"]["memory_id"], caller.prefetch
    )
    await _respond(send, document)


async def _search(scope: Scope, receive: Receive, send: Send) -> None:
    body: SearchRequest = scope["memory_api.search"]
    caller = await authorize_search(Request(scope, receive), body)
    await _respond(send, await caller.memories.search_json(caller.tenant_id, body, caller.prefetch))
