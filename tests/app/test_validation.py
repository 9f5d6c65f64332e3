"""Bad input gets a 4xx in one JSON error shape with the request id; never a 500."""

from __future__ import annotations

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
