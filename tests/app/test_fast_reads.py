"""The hot reads (a memory by id, a search) are cheap, and answer exactly as FastAPI's routes do.

Valid requests to ``GET /v1/memories/{id}`` and ``POST /v1/search`` are served without FastAPI's
per-request machinery (``api/fast_reads.py``); others go to FastAPI. The first tests pin the
cost as the number of Python function calls a cached read makes (deterministic, unlike time), the
others that both paths give the same status, headers and body.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from types import FrameType
from typing import Any

import pytest

from tests.app.conftest import Api, SettingsFactory, start_api

# Python calls per cached read. Through FastAPI's request path a cached get made 372 (embedded) and
# 482 (PostgreSQL + Redis), a cached search 421 and 533; on the fast path 159/259 and 176/276. The
# bounds leave room for small changes, not for a return to the full request path.
MAX_CALLS = {"get": 320, "search": 350}


@pytest.fixture
def quiet_api(make_settings: SettingsFactory) -> Iterator[Api]:
    # no background relay or invalidation replay running while calls are counted
    yield from start_api(make_settings(outbox_poll_seconds=30))


def _python_calls(api: Api, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, int]:
    """(status, Python function calls) of one request run through the ASGI app on its event loop."""
    app = api.client.app
    raw_headers = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    raw_headers += [(b"content-length", str(len(body)).encode()), (b"host", b"testserver")]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": raw_headers,
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }
    sent: list[dict[str, Any]] = []
    delivered = [False]

    async def receive() -> dict[str, Any]:
        if delivered[0]:
            return {"type": "http.disconnect"}
        delivered[0] = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def run() -> int:
        calls = [0]

        def count(_: FrameType, event: str, __: Any) -> None:
            if event == "call":
                calls[0] += 1

        sys.setprofile(count)
        try:
            await app(scope, receive, send)
        finally:
            sys.setprofile(None)
        return calls[0]

    calls = api.client.portal.call(run)  # type: ignore[union-attr]
    return int(sent[0]["status"]), calls


def test_a_cached_get_and_a_cached_search_cost_few_python_calls(quiet_api: Api) -> None:
    headers = quiet_api.key("t1")
    memory_id = quiet_api.create(headers, "the harbour ferry timetable changes in May", tags=["travel"])
    quiet_api.wait_indexed()
    search = b'{"query": "ferry timetable", "top_k": 5}'
    json_headers = {**headers, "Content-Type": "application/json"}
    for _ in range(2):  # the first of each fills the caches
        get_status, get_calls = _python_calls(quiet_api, "GET", f"/v1/memories/{memory_id}", headers, b"")
        search_status, search_calls = _python_calls(quiet_api, "POST", "/v1/search", json_headers, search)
    assert (get_status, search_status) == (200, 200)
    assert get_calls <= MAX_CALLS["get"], get_calls
    assert search_calls <= MAX_CALLS["search"], search_calls


def _comparable(response: Any) -> tuple[int, dict[str, str], bytes]:
    varying = {"x-request-id", "ratelimit-remaining", "ratelimit-reset"}
    headers = {k: v for k, v in response.headers.items() if k not in varying}
    return (
        response.status_code,
        headers,
        response.content.replace(response.headers["x-request-id"].encode(), b""),
    )


def test_the_fast_path_answers_as_fastapi_does(api: Api) -> None:
    headers = api.key("t1")
    memory_id = api.create(headers, "dentist appointment on Tuesday", metadata={"room": 4}, tags=["health"])
    api.wait_indexed()
    client = api.client
    # A canonical id takes the fast path; the same id in capitals is FastAPI's to parse.
    for _ in range(2):  # a miss (from the database), then a hit (from the cache)
        fast = client.get(f"/v1/memories/{memory_id}", headers=headers)
        routed = client.get(f"/v1/memories/{memory_id.upper()}", headers=headers)
        assert fast.status_code == 200
        assert _comparable(fast) == _comparable(routed)
    missing = "00000000-0000-4000-8000-000000000000"
    assert _comparable(client.get(f"/v1/memories/{missing}", headers=headers)) == _comparable(
        client.get(f"/v1/memories/{missing.upper()}", headers=headers)
    )
    # application/json takes the fast path; another JSON media type is FastAPI's.
    body = b'{"query": "dentist", "top_k": 3, "metadata": {"room": 4}}'
    for _ in range(2):  # uncached, then cached
        fast = client.post(
            "/v1/search", content=body, headers={**headers, "Content-Type": "application/json"}
        )
        routed = client.post(
            "/v1/search", content=body, headers={**headers, "Content-Type": "application/vnd.memory+json"}
        )
        assert fast.status_code == 200 and fast.json()["results"][0]["id"] == memory_id
        assert _comparable(fast) == _comparable(routed)
    # Errors the fast path meets itself go through the app's handlers: same shape and headers.
    for path in (f"/v1/memories/{memory_id}", "/v1/search"):
        unknown = client.request(
            "GET" if "memories" in path else "POST",
            path,
            content=b"" if "memories" in path else body,
            headers={"X-API-Key": "mk_unknown", "Content-Type": "application/json"},
        )
        assert unknown.status_code == 401 and unknown.json()["error"]["code"] == "unauthenticated"
        assert unknown.headers["x-content-type-options"] == "nosniff"


def test_invalid_searches_reach_fastapi_with_their_body(api: Api) -> None:
    headers = {**api.key("t1"), "Content-Type": "application/json"}
    cases = {
        b'{"query": "x", "top_k": 0}': 422,  # schema-invalid
        b'{"query": "x", "surprise": 1}': 422,  # unknown field
        b'{"query": ': 422,  # not JSON
        b"": 422,  # no body
    }
    for body, status in cases.items():
        response = api.client.post("/v1/search", content=body, headers=headers)
        assert response.status_code == status, (body, response.text)
        assert response.json()["error"]["code"] == "invalid_request"
