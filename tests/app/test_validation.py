"""Bad input gets a 4xx in one JSON error shape with the request id; never a 500."""

from __future__ import annotations

import base64
from typing import Any

from tests.app.conftest import Api

DEEP: dict[str, Any] = {"a": {"b": {"c": {"d": {"e": 1}}}}}
BAD_REQUESTS: list[tuple[str, str, Any, int, str]] = [
    ("POST", "/v1/memories", {"text": ""}, 422, "text"),
    ("POST", "/v1/memories", {"text": "   "}, 422, "non-whitespace"),
    ("POST", "/v1/memories", {"text": "x" * 10_001}, 422, "text"),
    ("POST", "/v1/memories", {}, 422, "text"),
    ("POST", "/v1/memories", {"text": "ok", "tags": [f"t{i}" for i in range(21)]}, 422, "tags"),
    ("POST", "/v1/memories", {"text": "ok", "tags": ["has space"]}, 422, "tags"),
    ("POST", "/v1/memories", {"text": "ok", "metadata": DEEP}, 422, "deeper"),
    ("POST", "/v1/memories", {"text": "ok", "metadata": {"k": "v" * 9000}}, 422, "8192"),
    ("POST", "/v1/memories", {"text": "ok", "metadata": [1, 2]}, 422, "metadata"),
    ("POST", "/v1/memories", {"text": "ok", "unknown": 1}, 422, "unknown"),
    ("POST", "/v1/memories", "{not json", 422, "JSON"),
    ("POST", "/v1/search", {"query": "q", "top_k": 0}, 422, "top_k"),
    ("POST", "/v1/search", {"query": "q", "top_k": 51}, 422, "top_k"),
    ("POST", "/v1/search", {"query": "q", "score_threshold": 2}, 422, "score_threshold"),
    ("POST", "/v1/search", {"query": "q", "metadata": {"k": [1]}}, 422, "metadata"),
    ("POST", "/v1/search", {"query": "q", "metadata": {"bad key!": 1}}, 422, "bad key"),
    ("POST", "/v1/search", {"top_k": 3}, 422, "query"),
    ("GET", "/v1/memories/not-a-uuid", None, 422, "memory_id"),
    ("GET", "/v1/memories?limit=0", None, 422, "limit"),
    ("GET", "/v1/memories?limit=101", None, 422, "limit"),
    ("GET", "/v1/memories?cursor=garbage!!", None, 422, "cursor"),
    ("GET", "/v1/memories?tag=no%20spaces", None, 422, "tag"),
    ("PUT", "/v1/memories", {"text": "x"}, 405, "Method Not Allowed"),
    ("GET", "/v1/nothing-here", None, 404, "Not Found"),
]


def test_bad_input_gets_one_error_shape_naming_the_problem(api: Api) -> None:
    headers = {**api.key("acme"), "Content-Type": "application/json"}
    problems = []
    for method, path, body, status, mentions in BAD_REQUESTS:
        content = body if isinstance(body, str) else None
        response = api.client.request(
            method, path, headers=headers, content=content, json=None if content else body
        )
        case = f"{method} {path} {str(body)[:40]}"
        if response.status_code != status:
            problems.append(
                f"{case}: status {response.status_code}, expected {status}: {response.text[:200]}"
            )
            continue
        error = response.json()["error"]
        if set(error) != {"code", "message", "request_id"}:
            problems.append(f"{case}: error keys {sorted(error)}")
        elif error["request_id"] != response.headers["X-Request-ID"]:
            problems.append(f"{case}: request id differs from the X-Request-ID header")
        elif mentions.lower() not in error["message"].lower():
            problems.append(f"{case}: message {error['message']!r} does not mention {mentions!r}")
    assert not problems, "\n".join(problems)


def test_oversized_body_is_refused_with_413(api: Api) -> None:
    headers = {**api.key("acme"), "Content-Type": "application/json"}
    response = api.client.post("/v1/memories", content=b'{"text": "' + b"a" * 70_000 + b'"}', headers=headers)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


# Inputs that once gave 5xx (or, on SQLite, a 201 whose vector the store then rejected).
HOSTILE: list[tuple[str, str, bytes, str]] = [
    ("POST", "/v1/memories", b'{"text": "ok", "metadata": {"f": 1e400}}', "finite"),
    ("POST", "/v1/memories", b'{"text": "ok", "metadata": {"f": NaN}}', "finite"),
    ("POST", "/v1/memories", b'{"text": "ok", "metadata": {"f": -Infinity}}', "finite"),
    ("POST", "/v1/memories", b'{"text": "ok", "metadata": {"deep": [{"f": NaN}]}}', "finite"),
    ("POST", "/v1/memories", b'{"text": "nul \\u0000 inside"}', "NUL"),
    ("POST", "/v1/memories", b'{"text": "ok", "metadata": {"k": "nul \\u0000"}}', "NUL"),
    ("POST", "/v1/memories", b'{"text": "ok", "metadata": {"k\\u0000": 1}}', "NUL"),
    ("POST", "/v1/memories", b'{"text": "ok", "metadata": {"n": 99999999999999999999}}', "64-bit"),
    ("POST", "/v1/search", b'{"query": "q", "metadata": {"n": 9223372036854775808}}', "metadata"),
    ("POST", "/v1/search", b'{"query": "q", "score_threshold": false}', "score_threshold"),
    ("POST", "/v1/search", b'{"query": "q", "top_k": true}', "top_k"),
    ("POST", "/v1/search", b'{"query": "q", "score_threshold": NaN}', "score_threshold"),
]


def test_hostile_values_get_the_same_422_on_every_backend(api: Api) -> None:
    headers = {**api.key("acme"), "Content-Type": "application/json"}
    problems = []
    for method, path, body, mentions in HOSTILE:
        response = api.client.request(method, path, headers=headers, content=body)
        if response.status_code != 422 or mentions.lower() not in response.text.lower():
            problems.append(f"{body!r}: {response.status_code} {response.text[:200]}")
    assert not problems, "\n".join(problems)


def test_a_cursor_beyond_64_bits_is_a_422_not_a_500(api: Api) -> None:
    headers = api.key("acme")
    for seq in (str(2**63), "9" * 40, "\u0661\u0662"):  # too big; Arabic-Indic digits
        cursor = base64.urlsafe_b64encode(f"v1:{seq}".encode()).decode().rstrip("=")
        response = api.client.get("/v1/memories", params={"cursor": cursor}, headers=headers)
        assert response.status_code == 422, (seq, response.text)
        assert response.json()["error"]["code"] == "invalid_cursor"


def test_filter_keys_with_dots_and_colons_filter_instead_of_failing(api: Api) -> None:
    headers = api.key("acme")
    keys = [".", "..", ":", "owner.", "a.b", "x:y"]
    wanted = api.create(headers, "the red kite", metadata=dict.fromkeys(keys, "yes"))
    api.create(headers, "the red kite too", metadata={"a": {"b": "yes"}})  # nested, not "a.b"
    api.wait_indexed()
    for key in keys:
        response = api.client.post(
            "/v1/search", json={"query": "red kite", "metadata": {key: "yes"}}, headers=headers
        )
        assert response.status_code == 200, (key, response.text)
        assert [hit["id"] for hit in response.json()["results"]] == [wanted], key
    big = api.client.post("/v1/search", json={"query": "red kite", "metadata": {"n": 2**64}}, headers=headers)
    assert big.status_code == 422, big.text
