"""Tenants never see each other's memories, and keys are stored only as hashes."""

from __future__ import annotations

from memory_api.db.models import ApiKey
from memory_api.services.keys import create_key, revoke_key
from sqlalchemy import select

from tests.app.conftest import Api


def test_a_tenant_cannot_read_list_search_or_delete_another_tenants_memory(api: Api) -> None:
    alice, bob = api.key("alice"), api.key("bob")
    secret = api.create(alice, "alice's bank PIN is 4321", tags=["private"], metadata={"owner": "alice"})
    api.wait_indexed()

    assert api.client.get(f"/v1/memories/{secret}", headers=bob).status_code == 404
    assert api.client.delete(f"/v1/memories/{secret}", headers=bob).status_code == 404
    assert api.client.get("/v1/memories", headers=bob).json()["items"] == []
    assert api.client.get("/v1/memories", params={"tag": "private"}, headers=bob).json()["items"] == []
    for body in ({"query": "bank PIN"}, {"query": "bank PIN", "tags": ["private"]}, {"query": "alice"}):
        assert api.client.post("/v1/search", json=body, headers=bob).json()["results"] == []
    assert (
        api.client.post(
            "/v1/search", json={"metadata": {"owner": "alice"}, "query": "PIN"}, headers=bob
        ).json()["results"]
        == []
    )
    # Alice still has it, untouched by Bob's delete attempt.
    assert (
        api.client.get(f"/v1/memories/{secret}", headers=alice).json()["text"] == "alice's bank PIN is 4321"
    )


def test_a_cached_memory_is_not_served_to_another_tenant(api: Api) -> None:
    alice, bob = api.key("alice"), api.key("bob")
    memory_id = api.create(alice, "cached for alice")
    assert api.client.get(f"/v1/memories/{memory_id}", headers=alice).status_code == 200
    assert api.client.get(f"/v1/memories/{memory_id}", headers=bob).status_code == 404


def test_missing_unknown_and_revoked_keys_are_refused(api: Api) -> None:
    for headers in ({}, {"X-API-Key": "mem_not-a-real-key"}):
        response = api.client.get("/v1/memories", headers=headers)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthenticated"
    with api.state.sessions() as session:
        issued = create_key(session, "carol")
        assert revoke_key(session, issued.key_id)
    assert api.client.get("/v1/memories", headers={"X-API-Key": issued.secret}).status_code == 401


def test_keys_are_stored_hashed_never_in_clear(api: Api) -> None:
    headers = api.key("dave")
    with api.state.sessions() as session:
        stored = session.scalars(select(ApiKey).where(ApiKey.tenant_id == "dave")).one()
    assert headers["X-API-Key"] not in stored.key_hash
    assert len(stored.key_hash) == 64
