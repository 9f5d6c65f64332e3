"""The API's behaviour on both backends: create, get, list, delete, search, OpenAPI, request ids."""

from __future__ import annotations

import base64
import json
from datetime import datetime

from memory_api.db.models import Memory
from sqlalchemy import delete

from tests.app.conftest import Api


def test_created_memory_reads_back_with_its_fields(api: Api) -> None:
    headers = api.key("acme")
    response = api.client.post(
        "/v1/memories",
        json={"text": "Renew the TLS certificate", "metadata": {"team": "ops", "n": 1}, "tags": ["infra"]},
        headers=headers,
    )
    assert response.status_code == 201
    memory_id = response.json()["id"]
    assert response.headers["Location"] == f"/v1/memories/{memory_id}"
    got = api.client.get(f"/v1/memories/{memory_id}", headers=headers)
    assert got.status_code == 200
    body = got.json()
    assert body["text"] == "Renew the TLS certificate"
    assert body["metadata"] == {"team": "ops", "n": 1}
    assert body["tags"] == ["infra"]
    assert body["created_at"].endswith(("Z", "+00:00"))


def test_list_pages_through_every_memory_newest_first(api: Api) -> None:
    headers = api.key("acme")
    ids = [api.create(headers, f"note {i}", tags=["even" if i % 2 == 0 else "odd"]) for i in range(7)]
    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = api.client.get("/v1/memories", params=params, headers=headers).json()
        assert len(page["items"]) <= 3
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))
    even = api.client.get("/v1/memories", params={"tag": "even"}, headers=headers).json()
    assert [item["id"] for item in even["items"]] == [ids[6], ids[4], ids[2], ids[0]]


def test_deleted_memory_is_gone_from_get_list_and_search(api: Api) -> None:
    headers = api.key("acme")
    memory_id = api.create(headers, "the spare key is under the doormat")
    api.wait_indexed()
    assert api.client.post("/v1/search", json={"query": "spare key doormat"}, headers=headers).json()[
        "results"
    ]
    assert api.client.get(f"/v1/memories/{memory_id}", headers=headers).status_code == 200  # now cached
    deleted = api.client.delete(f"/v1/memories/{memory_id}", headers=headers)
    assert deleted.status_code == 204
    assert api.client.get(f"/v1/memories/{memory_id}", headers=headers).status_code == 404
    assert api.client.get("/v1/memories", headers=headers).json()["items"] == []
    api.wait_indexed()
    found = api.client.post("/v1/search", json={"query": "spare key doormat"}, headers=headers).json()
    assert found["results"] == []
    assert api.client.delete(f"/v1/memories/{memory_id}", headers=headers).status_code == 404


def test_search_ranks_the_closest_memory_first_and_applies_filters(api: Api) -> None:
    headers = api.key("acme")
    wifi = api.create(headers, "the office wifi password is written on the fridge", tags=["home"])
    api.create(headers, "dentist appointment on tuesday at three", tags=["health"])
    api.create(headers, "buy milk eggs and bread", tags=["home"], metadata={"list": "shopping"})
    api.wait_indexed()
    results = api.client.post(
        "/v1/search", json={"query": "what is the wifi password", "top_k": 3}, headers=headers
    ).json()["results"]
    assert results[0]["id"] == wifi
    assert results[0]["text"].startswith("the office wifi")
    assert [r["score"] for r in results] == sorted((r["score"] for r in results), reverse=True)

    def search(**body: object) -> list[dict[str, object]]:
        response = api.client.post(
            "/v1/search", json={"query": "wifi password milk", **body}, headers=headers
        )
        assert response.status_code == 200, response.text
        return list(response.json()["results"])

    assert {r["id"] for r in search(tags=["health"])} <= {r["id"] for r in results} - {wifi}
    assert all("home" in r["tags"] for r in search(tags=["home"]))
    assert [r["metadata"] for r in search(metadata={"list": "shopping"})] == [{"list": "shopping"}]
    assert len(search(top_k=1)) == 1
    assert all(r["score"] >= 0.3 for r in search(score_threshold=0.3))
    assert search(score_threshold=0.99) == []


def test_every_response_carries_a_request_id_and_echoes_a_valid_one(api: Api) -> None:
    response = api.client.get("/health/live", headers={"X-Request-ID": "trace-abc-12345"})
    assert response.headers["X-Request-ID"] == "trace-abc-12345"
    generated = api.client.get("/health/live", headers={"X-Request-ID": "bad id with spaces"})
    assert generated.headers["X-Request-ID"] != "bad id with spaces"
    assert len(generated.headers["X-Request-ID"]) == 32


def test_openapi_documents_every_route_with_the_api_key_and_error_shape(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    paths = spec["paths"]
    assert set(paths["/v1/memories"]) == {"get", "post"}
    assert set(paths["/v1/memories/{memory_id}"]) == {"get", "delete"}
    assert "post" in paths["/v1/search"]
    assert spec["components"]["securitySchemes"]["APIKeyHeader"]["name"] == "X-API-Key"
    error_schema = paths["/v1/search"]["post"]["responses"]["429"]["content"]["application/json"]["schema"]
    assert error_schema["$ref"].endswith("/ErrorResponse")
    assert "/metrics" not in paths


def test_metrics_expose_the_contract_names_with_route_templates(api: Api) -> None:
    headers = api.key("acme")
    memory_id = api.create(headers, "metrics check")
    api.client.get(f"/v1/memories/{memory_id}", headers=headers)
    api.client.get("/no/such/path/12345")
    text = api.client.get("/metrics").text
    for name in (
        "http_requests_total",
        "http_request_duration_seconds_bucket",
        "memory_operations_total",
        "embedding_generation_duration_seconds_bucket",
        "vector_store_operations_total",
        "vector_store_operation_errors_total",
        "database_connection_errors_total",
        "database_connections_active",
        "database_connections_max",
        "rate_limit_exceeded_total",
        "cache_hits_total",
        "cache_misses_total",
        "process_resident_memory_bytes",
    ):
        assert f"\n{name}" in text, name
    assert 'endpoint="/v1/memories/{memory_id}",method="GET",status_code="200"' in text
    assert memory_id not in text
    assert "/no/such/path" not in text
    assert 'endpoint="unmatched"' in text
    assert 'http_request_duration_seconds_bucket{endpoint="/v1/memories",le="0.05",method="POST"}' in text


def test_a_cached_search_sees_new_memories_once_indexed_and_drops_deleted_ones_at_once(api: Api) -> None:
    headers = api.key("acme")
    first = api.create(headers, "grandma's apple pie recipe uses cinnamon")
    api.wait_indexed()

    def search() -> list[str]:
        body = {"query": "apple pie recipe", "top_k": 5}
        return [r["id"] for r in api.client.post("/v1/search", json=body, headers=headers).json()["results"]]

    assert search() == [first]
    assert search() == [first]  # served from the search cache
    second = api.create(headers, "apple pie recipe without cinnamon")
    api.wait_indexed()
    assert set(search()) == {first, second}
    assert api.client.delete(f"/v1/memories/{first}", headers=headers).status_code == 204
    assert search() == [second]  # no wait: the delete invalidated the cached results


def test_search_reads_hits_from_the_cache_or_the_database_and_skips_deleted_rows(api: Api) -> None:
    headers = api.key("acme")
    kept = api.create(headers, "harbour ferry timetable", tags=["travel"], metadata={"port": "Oslo"})
    gone = api.create(headers, "harbour ferry tickets")
    api.wait_indexed()
    # kept's cached document was evicted (or Redis flushed); gone left the database while its vector
    # is still in Qdrant (the relay has not caught up).
    for memory_id in (kept, gone):
        api.client.portal.call(api.state.cache.delete, f"mem:acme:{memory_id}")  # type: ignore[union-attr]
    with api.state.sessions.begin() as session:
        session.execute(delete(Memory).where(Memory.id == gone))
    results = api.client.post("/v1/search", json={"query": "harbour ferry"}, headers=headers).json()[
        "results"
    ]
    assert [result["id"] for result in results] == [kept]
    assert results[0]["text"] == "harbour ferry timetable"
    assert (results[0]["tags"], results[0]["metadata"]) == (["travel"], {"port": "Oslo"})
    assert 0 < results[0]["score"] <= 1
    assert api.client.get(f"/v1/memories/{kept}", headers=headers).json() == {
        key: value for key, value in results[0].items() if key != "score"
    }


def test_cursors_reveal_nothing_about_other_tenants_and_survive_a_deleted_anchor(api: Api) -> None:
    mine, theirs = api.key("acme"), api.key("other")
    ids = [api.create(mine, "first")]
    for i in range(15):  # another tenant's writes between ours
        api.create(theirs, f"their {i}")
    ids += [api.create(mine, text) for text in ("second", "third", "fourth")]
    page = api.client.get("/v1/memories", params={"limit": 2}, headers=mine).json()
    last = page["items"][-1]
    raw = base64.urlsafe_b64decode(page["next_cursor"] + "=" * (-len(page["next_cursor"]) % 4))
    # Only what the caller saw: the version, the last item's id and its created_at.
    decoded = json.loads(raw)
    assert set(decoded) == {"v", "id", "after"}
    assert (decoded["v"], decoded["id"]) == (2, last["id"])
    seen_at = datetime.fromisoformat(last["created_at"].replace("Z", "+00:00"))
    assert datetime.fromisoformat(decoded["after"]) == seen_at

    api.client.delete(f"/v1/memories/{last['id']}", headers=mine)  # the cursor's anchor goes away
    rest = api.client.get(
        "/v1/memories", params={"limit": 10, "cursor": page["next_cursor"]}, headers=mine
    ).json()
    assert [item["id"] for item in rest["items"]] == ids[:2][::-1]
