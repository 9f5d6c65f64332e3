"""One error shape for every failure: ``{"error": {"code", "message", "request_id"}}``.

The same request id goes out in the ``X-Request-ID`` header, so a user can quote it and an operator
can find the log line.
"""

from __future__ import annotations

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from memory_api.core import metrics
from memory_api.core.context import request_id_var

log = structlog.get_logger("memory_api.errors")


class ApiError(Exception):
    """An error the client should see, with an HTTP status and a stable machine-readable code."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


class DatabaseUnavailableError(ApiError):
    def __init__(self, retry_after: int = 5) -> None:
        super().__init__(
            503,
            "database_unavailable",
            "The database is unreachable; retry shortly.",
            {"Retry-After": str(retry_after)},
        )


class VectorStoreUnavailableError(ApiError):
    def __init__(self) -> None:
        super().__init__(
            503,
            "vector_store_unavailable",
            "Search is temporarily unavailable; writes are still accepted and will become searchable.",
            {"Retry-After": "5"},
        )


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    request_id = request_id_var.get()
    return JSONResponse(
        {"error": {"code": code, "message": message, "request_id": request_id}},
        status_code=status,
        headers=headers,
    )


def _describe_validation(error: RequestValidationError) -> str:
    parts = []
    for item in error.errors()[:5]:
        location = ".".join(str(p) for p in item.get("loc", ()) if p != "body") or "body"
        parts.append(f"{location}: {item.get('msg', 'invalid')}")
    return "; ".join(parts)


def _allowed_methods(request: Request) -> list[str]:
    """The methods some route serves at this path (FastAPI's routes are one per method)."""
    allowed = []
    for method in ("DELETE", "GET", "HEAD", "PATCH", "POST", "PUT"):
        probe = {
            "type": "http",
            "path": request.scope.get("path", ""),
            "root_path": request.scope.get("root_path", ""),
            "method": method,
            "headers": [],
        }
        if any(route.matches(probe)[0] is Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return allowed


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, error: ApiError) -> JSONResponse:
        return error_response(error.status, error.code, error.message, error.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, error: RequestValidationError) -> JSONResponse:
        return error_response(422, "invalid_request", _describe_validation(error))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}
        headers = dict(error.headers or {})
        if error.status_code == 405:  # every method the path has (the router names only one route's)
            headers["Allow"] = ", ".join(_allowed_methods(request))
        return error_response(
            error.status_code, codes.get(error.status_code, "http_error"), str(error.detail), headers
        )

    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeoutError)
    async def _database(_: Request, error: Exception) -> JSONResponse:
        metrics.DATABASE_CONNECTION_ERRORS.inc()
        log.warning("database_unavailable", error=type(error).__name__)
        unavailable = DatabaseUnavailableError()
        return error_response(unavailable.status, unavailable.code, unavailable.message, unavailable.headers)

    @app.exception_handler(DBAPIError)
    async def _database_other(_: Request, error: DBAPIError) -> JSONResponse:
        if error.connection_invalidated:
            metrics.DATABASE_CONNECTION_ERRORS.inc()
            unavailable = DatabaseUnavailableError()
            return error_response(
                unavailable.status, unavailable.code, unavailable.message, unavailable.headers
            )
        log.error("database_error", error=type(error).__name__)
        return error_response(500, "internal_error", "Internal error; quote the request id when reporting.")
