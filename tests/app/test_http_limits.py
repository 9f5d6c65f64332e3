"""Limits enforced by the real server (``memory-api serve``): request header size and body size,
each answered in the API's JSON error shape, and actually received by the client."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from memory_api.core.config import Settings
from memory_api.db.engine import build_database
from memory_api.services.keys import create_key

from tests.app.app_servers import free_port


@dataclass
class Served:
    port: int
    key: str
    process: subprocess.Popen[bytes]

    def peak_rss_kib(self) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        raise AssertionError("no VmHWM")

    def raw(self, request: bytes, *, timeout: float = 10.0) -> bytes:
        """Send raw bytes (errors from the server closing early are ignored) and read the answer."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as sock:
            with contextlib.suppress(OSError):
                sock.sendall(request)
            return _read_response(sock)


def _read_response(sock: socket.socket) -> bytes:
    """One HTTP response (up to its Content-Length, or until the server closes)."""
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
            head, sep, body = data.partition(b"\r\n\r\n")
            length = [
                int(line.split(b":", 1)[1])
                for line in head.lower().split(b"\r\n")
                if line.startswith(b"content-length:")
            ]
            if sep and length and len(body) >= length[0]:
                break
    except OSError as error:
        data += f"<{type(error).__name__}>".encode()
    return data


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    data = tmp_path_factory.mktemp("served")
    engine, sessions = build_database(Settings(data_dir=data))
    with sessions() as session:
        key = create_key(session, "t1").secret
    engine.dispose()
    port = free_port()
    env = {
        **os.environ,
        "MEMORY_API_DATA_DIR": str(data),
        "MEMORY_API_PORT": str(port),
        "MEMORY_API_RATE_LIMIT_PER_MINUTE": "100000",
        "MEMORY_API_LOG_LEVEL": "WARNING",
    }
    log = (data / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "memory_api.cli", "serve"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)
        yield Served(port, key, process)
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def _status_and_body(response: bytes) -> tuple[int, dict[str, object]]:
    head, _, body = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 "), response[:200]
    return int(head.split()[1]), json.loads(body) if body else {}


def test_oversized_headers_get_431_without_the_server_buffering_them(served: Served) -> None:
    status, body = _status_and_body(
        served.raw(b"GET /v1/memories HTTP/1.1\r\nHost: x\r\nX-API-Key: " + b"k" * 40_000 + b"\r\n\r\n")
    )
    assert status == 431
    assert body["error"]["code"] == "request_headers_too_large"  # type: ignore[index]

    before = served.peak_rss_kib()
    flood = [
        threading.Thread(
            target=served.raw,
            args=(b"GET /v1/memories HTTP/1.1\r\nHost: x\r\nX-API-Key: " + b"k" * 48_000_000,),
        )
        for _ in range(4)
    ]
    for thread in flood:
        thread.start()
    for thread in flood:
        thread.join()
    assert served.peak_rss_kib() - before < 50_000  # was hundreds of MB
    ok = httpx.get(f"http://127.0.0.1:{served.port}/v1/memories", headers={"X-API-Key": served.key})
    assert ok.status_code == 200


def test_an_oversized_body_with_content_length_gets_a_413_the_client_receives(served: Served) -> None:
    body = b'{"text": "' + b"a" * 3_000_000 + b'"}'
    head = (
        f"POST /v1/memories HTTP/1.1\r\nHost: x\r\nX-API-Key: {served.key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as sock:
        sock.sendall(head + body[:65536])
        time.sleep(0.3)  # a server that answers before reading the body has answered by now
        try:
            for start in range(65536, len(body), 65536):
                sock.sendall(body[start : start + 65536])
        except OSError as error:  # reset: the 413 was lost
            raise AssertionError(f"the body could not be sent: {error!r}") from error
        answer = _read_response(sock)
    status, error_body = _status_and_body(answer)
    assert status == 413
    assert error_body["error"]["code"] == "payload_too_large"  # type: ignore[index]


def test_an_oversized_chunked_body_gets_413_not_400(served: Served) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"text": "'
        for _ in range(20):
            yield b"a" * 10_000
        yield b'"}'

    response = httpx.post(
        f"http://127.0.0.1:{served.port}/v1/memories",
        content=chunks(),
        headers={"X-API-Key": served.key, "Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "payload_too_large"
