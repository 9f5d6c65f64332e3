"""uvicorn's httptools protocol with a bound on the request line plus headers, and one write per
response.

uvicorn sets no such bound with httptools (h11 has one): a 32 MB ``X-API-Key`` used to be read
whole, hashed and answered 401, and a few in parallel took the process to hundreds of MB. Here the
bytes received before the headers end are counted as they arrive; past the limit the client gets
``431`` in the API's error shape and the connection is closed, before the parser buffers more.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, cast

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from memory_api.core.middleware import new_request_id

DEFAULT_MAX_HEADER_BYTES = 32 * 1024


def _431(limit: int) -> bytes:
    body = json.dumps(
        {
            "error": {
                "code": "request_headers_too_large",
                "message": f"The request line and headers exceed {limit} bytes; send less.",
                "request_id": new_request_id(),
            }
        }
    ).encode()
    return (
        b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
        b"content-type: application/json\r\n"
        b"content-length: " + str(len(body)).encode() + b"\r\n"
        b"connection: close\r\n\r\n" + body
    )


class _HeadersTooLargeError(Exception):
    pass


class _OneWriteResponses:
    """The transport as one request's cycle sees it: the response head is held back and goes out
    with the first body write, so a small response costs one system call and one TCP segment
    instead of two (uvicorn writes them apart). Anything else, e.g. ``100 Continue``, goes out as it
    comes; a held head is written before the transport closes and when the response completes."""

    __slots__ = ("_cycle", "_head", "_transport")

    def __init__(self, transport: asyncio.Transport, cycle: RequestResponseCycle) -> None:
        self._transport, self._cycle = transport, cycle
        self._head: bytes | None = None

    def write(self, data: bytes) -> None:
        if self._head is not None:
            data, self._head = self._head + data, None
        elif self._cycle.response_started and not self._cycle.response_complete and data.startswith(b"HTTP/"):
            self._head = data  # the status line and headers (the cycle writes them first)
            return
        self._transport.write(data)

    def flush(self) -> None:
        if self._head is not None:
            head, self._head = self._head, None
            self._transport.write(head)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def is_closing(self) -> bool:
        return self._transport.is_closing()


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """Counts a request's header bytes twice: as parsed (exact, checked when the headers end) and as
    received while they are unfinished (so a giant header is cut off before the parser buffers it;
    at most one 64 KiB read goes past the limit)."""

    max_header_bytes = DEFAULT_MAX_HEADER_BYTES

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._received = 0  # bytes received while the current request's headers are unfinished
        self._parsed = 0  # request line and header bytes parsed so far
        self._headers_pending = False
        self._refused = False

    def _refuse(self) -> None:
        self.logger.warning("Request headers over %d bytes refused.", self.max_header_bytes)
        self._refused, self._headers_pending = True, False
        self.transport.write(_431(self.max_header_bytes))
        self.transport.close()

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        except httptools.HttpParserError:
            if self._refused:
                return  # the 431 is out
            msg = "Invalid HTTP request received."
            self.logger.warning(msg)
            self.send_400_response(msg)
            return
        if self._headers_pending:
            self._received += len(data)
            if self._received > self.max_header_bytes:
                self._refuse()

    def on_message_begin(self) -> None:
        self._headers_pending, self._received, self._parsed = True, 0, 0
        super().on_message_begin()

    def on_url(self, url: bytes) -> None:
        self._parsed += len(url)
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._parsed += len(name) + len(value) + 4  # ": " and CRLF
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._headers_pending = False
        if self._parsed > self.max_header_bytes:
            self._refuse()
            raise _HeadersTooLargeError  # stops the parser; the request never reaches the app
        super().on_headers_complete()
        # (the cycle's task has not run yet: it sees only the wrapper)
        cycle = self.cycle
        writes = _OneWriteResponses(self.transport, cycle)
        cycle.transport = cast(asyncio.Transport, writes)
        on_response = cycle.on_response

        def flush_then_complete() -> None:
            writes.flush()  # e.g. the head of a HEAD response, which has no body to go with
            on_response()

        cycle.on_response = flush_then_complete


def bounded_protocol(max_header_bytes: int) -> type[BoundedHttpToolsProtocol]:
    return type("BoundedHttpTools", (BoundedHttpToolsProtocol,), {"max_header_bytes": max_header_bytes})
