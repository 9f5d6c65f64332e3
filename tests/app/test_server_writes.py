"""The server writes each response in one piece: head and body in one system call and one segment."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from memory_api.core.server import bounded_protocol
from uvicorn.config import Config
from uvicorn.server import ServerState


class RecordingTransport(asyncio.Transport):
    """What the protocol hands the socket, write by write."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 50000)}.get(name, default)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def _json_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    body = b'{"ok":true}'
    headers = [(b"content-length", str(len(body)).encode()), (b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _connected() -> tuple[Any, RecordingTransport]:
    config = Config(app=_json_app, http=bounded_protocol(32 * 1024), lifespan="off", log_config=None)
    config.load()
    protocol = config.http_protocol_class(config=config, server_state=ServerState(), app_state={})
    transport = RecordingTransport()
    protocol.connection_made(transport)
    return protocol, transport


async def _until(condition: Any) -> None:
    for _ in range(400):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("timed out")


async def _serve(request: bytes) -> RecordingTransport:
    protocol, transport = _connected()
    protocol.data_received(request)
    await _until(lambda: protocol.cycle.response_complete)
    protocol.connection_lost(None)
    return transport


def test_a_response_goes_out_in_one_write() -> None:
    transport = asyncio.run(_serve(b"GET /x HTTP/1.1\r\nhost: t\r\n\r\n"))
    assert len(transport.writes) == 1, transport.writes
    head, _, body = transport.writes[0].partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK") and body == b'{"ok":true}'


def test_a_head_response_still_sends_its_head() -> None:
    transport = asyncio.run(_serve(b"HEAD /x HTTP/1.1\r\nhost: t\r\n\r\n"))
    assert b"".join(transport.writes).startswith(b"HTTP/1.1 200 OK"), transport.writes
    assert b"content-length: 11" in b"".join(transport.writes).lower()


@pytest.mark.parametrize("body_chunks", [1, 2])
def test_100_continue_goes_out_before_the_body_is_sent(body_chunks: int) -> None:
    async def scenario() -> RecordingTransport:
        protocol, transport = _connected()
        protocol.data_received(
            b"POST /x HTTP/1.1\r\nhost: t\r\ncontent-length: 4\r\nexpect: 100-continue\r\n\r\n"
        )
        await _until(lambda: transport.writes)
        # The client sends its body only once it saw 100 Continue.
        assert transport.writes == [b"HTTP/1.1 100 Continue\r\n\r\n"]
        for chunk in [b"ping"] if body_chunks == 1 else [b"pi", b"ng"]:
            protocol.data_received(chunk)
        await _until(lambda: protocol.cycle.response_complete)
        protocol.connection_lost(None)
        return transport

    transport = asyncio.run(scenario())
    assert len(transport.writes) == 2, transport.writes
    assert transport.writes[1].startswith(b"HTTP/1.1 200 OK") and transport.writes[1].endswith(b'{"ok":true}')
