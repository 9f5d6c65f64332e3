"""One pure-ASGI middleware for request id, body size limit, access log, metrics and the server span.

Pure ASGI (not ``BaseHTTPMiddleware``) keeps the per-request overhead small; the endpoint label is
the matched route template, so label values stay bounded whatever paths clients send.
"""

from __future__ import annotations

import random
import re
import time
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import structlog
from opentelemetry import propagate, trace
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from memory_api.core import metrics
from memory_api.core.context import request_id_var, tenant_id_var
from memory_api.core.errors import error_response

log = structlog.get_logger("memory_api.access")
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
UNMATCHED_ENDPOINT = "unmatched"
QUIET_ENDPOINTS = frozenset({"/metrics", "/health/live", "/health/ready", "/health/startup"})
RESPONSE_HEADERS_STATE = "response_headers"  # request.state key: extra headers for the response
# On every response. The API serves JSON only, so its CSP allows nothing; the docs pages get one
# that lets FastAPI's Swagger UI / ReDoc pages load their scripts and styles from jsDelivr.
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"strict-transport-security", b"max-age=31536000; includeSubDomains"),
]
API_CSP = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")
DOCS_CSP = (
    b"content-security-policy",
    b"default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    b"style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    b"font-src https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com "
    b"https://cdn.redoc.ly; worker-src blob:; connect-src 'self'; frame-ancestors 'none'",
)


def new_request_id() -> str:
    """32 hex digits. A correlation id, not a secret: no system entropy call per request."""
    return f"{random.getrandbits(128):032x}"


class BodyTooLargeError(Exception):
    pass


# An oversized body is read and discarded up to this much before the 413 goes out: a client still
# sending when the server answers and closes gets a connection reset instead of the 413. Beyond it
# the 413 goes out at once, with ``Connection: close``.
MAX_DRAIN_BYTES = 16 * 1024 * 1024


class RequestContextMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        tracer: trace.Tracer | None,
        max_body_bytes: int,
        *,
        log_requests: bool = True,
        static_paths: frozenset[str] = frozenset(),
    ) -> None:
        self.app, self.tracer, self.max_body_bytes = app, tracer, max_body_bytes
        # Paths FastAPI serves itself (/openapi.json, /docs): the router leaves no route in the scope
        self.static_paths = static_paths
        self.docs_paths = frozenset(path for path in static_paths if not path.endswith(".json"))
        self.log_requests = log_requests  # False when the log level drops INFO lines anyway
        self._series_cache: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def _series(self, method: str, endpoint: str, status: int) -> tuple[Any, Any]:
        """The request counter and latency histogram children (a label lookup costs more than an update)."""
        series = self._series_cache.get((method, endpoint, status))
        if series is None:
            series = (
                metrics.HTTP_REQUESTS.labels(method, endpoint, str(status)),
                metrics.HTTP_DURATION.labels(method, endpoint),
            )
            self._series_cache[(method, endpoint, status)] = series  # bounded: routes x methods x statuses
        return series

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # noqa: PLR0912, PLR0915
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = {
            k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]
        }  # names arrive lowercased
        incoming = headers.get("x-request-id", "")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else new_request_id()
        request_token = request_id_var.set(request_id)
        tenant_token = tenant_id_var.set("")
        status_holder = [500]
        response_started = [False]
        method = scope["method"]

        too_large = [False]  # the body went over the limit: whatever the app answers, the client gets 413

        async def send_with_request_id(message: Message) -> None:
            if too_large[0]:
                return  # e.g. FastAPI's 400 "error parsing the body" after the receive below raised
            if message["type"] == "http.response.start":
                response_started[0] = True
                status_holder[0] = message["status"]
                extra = scope.get("state", {}).get(RESPONSE_HEADERS_STATE, {})
                message["headers"] = [
                    *message.get("headers", []),
                    *SECURITY_HEADERS,
                    DOCS_CSP if scope["path"] in self.docs_paths else API_CSP,
                    (b"x-request-id", request_id.encode()),
                    *((name.encode(), value.encode()) for name, value in extra.items()),
                ]
            await send(message)

        received = [0]
        drained_all = [True]

        async def drain(more_body: bool) -> None:
            """Read and discard the rest of the body, up to MAX_DRAIN_BYTES."""
            while more_body and received[0] <= MAX_DRAIN_BYTES:
                message = await receive()
                if message["type"] != "http.request":
                    break
                received[0] += len(message.get("body", b""))
                more_body = message.get("more_body", False)
            drained_all[0] = not more_body

        async def limited_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                received[0] += len(message.get("body", b""))
                if received[0] > self.max_body_bytes:
                    too_large[0] = True
                    await drain(message.get("more_body", False))
                    raise BodyTooLargeError
            return message

        async def send_413() -> None:
            response = error_response(
                413, "payload_too_large", f"Request body exceeds {self.max_body_bytes} bytes."
            )
            if not drained_all[0]:
                response.headers["Connection"] = "close"
            too_large[0] = False  # let our own answer through
            await response(scope, receive, send_with_request_id)

        declared = headers.get("content-length", "")
        span_scope: AbstractContextManager[trace.Span | None] = (
            self.tracer.start_as_current_span(
                f"{method} request", context=propagate.extract(headers), kind=trace.SpanKind.SERVER
            )
            if self.tracer is not None
            else nullcontext(None)  # tracing off: no span work on the hot path
        )
        with span_scope as span:
            try:
                if declared.isdigit() and int(declared) > self.max_body_bytes:
                    # (a client that waits for "100 Continue" has sent no body: nothing to drain)
                    if int(declared) <= MAX_DRAIN_BYTES and headers.get("expect") != "100-continue":
                        await drain(more_body=True)
                    else:
                        drained_all[0] = False
                    raise BodyTooLargeError
                await self.app(scope, limited_receive, send_with_request_id)
                if too_large[0] and not response_started[0]:
                    raise BodyTooLargeError
            except BodyTooLargeError:
                if not response_started[0]:
                    await send_413()
            except Exception as error:
                log.exception("unhandled_error", error=type(error).__name__)
                if span is not None:
                    span.record_exception(error)
                if response_started[0]:
                    raise
                response = error_response(
                    500, "internal_error", "Internal error; quote the request id when reporting it."
                )
                await response(scope, receive, send_with_request_id)
            finally:
                route: Any = scope.get("route")
                endpoint = getattr(route, "path", None) or (
                    scope["path"] if scope["path"] in self.static_paths else UNMATCHED_ENDPOINT
                )
                elapsed = time.perf_counter() - started
                status = status_holder[0]
                counter, histogram = self._series(method, endpoint, status)
                counter.inc()
                histogram.observe(elapsed)
                tenant = scope.get("state", {}).get("tenant_id", "")
                if span is not None:
                    span.update_name(f"{method} {endpoint}")
                    span.set_attribute("http.request.method", method)
                    span.set_attribute("http.route", endpoint)
                    span.set_attribute("http.response.status_code", status)
                    if tenant:
                        span.set_attribute("memory.tenant_id", tenant)
                if self.log_requests and endpoint not in QUIET_ENDPOINTS:
                    log.info(
                        "request",
                        method=method,
                        route=endpoint,
                        status=status,
                        latency_ms=round(elapsed * 1000, 2),
                        tenant_id=tenant or None,
                    )
                request_id_var.reset(request_token)
                tenant_id_var.reset(tenant_token)
