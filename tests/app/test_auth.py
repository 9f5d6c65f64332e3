"""Unauthenticated requests stay cheap: unknown keys are cached (bounded), an address sending many
unknown keys is slowed down, and oversized keys are refused without being hashed or looked up."""

from __future__ import annotations

from typing import Any

from memory_api.state import AUTH_CACHE_SIZE
from sqlalchemy import event

from tests.app.conftest import SettingsFactory, start_api


def _count_key_lookups(engine: Any) -> list[str]:
    seen: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "api_keys" in statement:
            seen.append(statement)

    return seen


def test_a_repeated_unknown_key_costs_one_database_lookup(make_settings: SettingsFactory) -> None:
    for api in start_api(make_settings(auth_failures_per_minute=1000)):
        lookups = _count_key_lookups(api.state.engine)
        for _ in range(20):
            response = api.client.get("/v1/memories", headers={"X-API-Key": "mem_not-a-real-key"})
            assert response.status_code == 401
            assert response.json()["error"]["code"] == "unauthenticated"
        assert len(lookups) == 1
        # Bounded: many distinct bogus keys never grow the cache past its size.
        for i in range(AUTH_CACHE_SIZE + 50):
            api.state.unknown_keys[f"{i:064x}"] = True
        assert len(api.state.unknown_keys) == AUTH_CACHE_SIZE


def test_an_address_sending_unknown_keys_is_refused_but_cached_valid_keys_are_served(
    make_settings: SettingsFactory,
) -> None:
    for api in start_api(make_settings(auth_failures_per_minute=5)):
        good = api.key("acme")
        assert api.client.get("/v1/memories", headers=good).status_code == 200  # now cached
        statuses = [
            api.client.get("/v1/memories", headers={"X-API-Key": f"mem_guess{i}"}).status_code
            for i in range(7)
        ]
        assert statuses == [401] * 5 + [429] * 2
        refused = api.client.get("/v1/memories", headers={"X-API-Key": "mem_guess-again"})
        assert refused.json()["error"]["code"] == "too_many_failed_authentications"
        assert refused.headers["Retry-After"] == "60"
        assert api.client.get("/v1/memories", headers=good).status_code == 200


def test_an_oversized_key_is_refused_without_a_lookup(make_settings: SettingsFactory) -> None:
    for api in start_api(make_settings()):
        lookups = _count_key_lookups(api.state.engine)
        response = api.client.get("/v1/memories", headers={"X-API-Key": "k" * 100_000})
        assert response.status_code == 401
        assert not lookups
