"""Poison rows in the outbox: a memory the vector store refuses is retried a bounded number of times,
then parked, while every other write keeps being indexed; operators see it and can retry it."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from memory_api.cli import main
from memory_api.db.models import Memory, VectorOutbox
from memory_api.schemas import MemoryCreate
from memory_api.services.vector_store import VectorPoint
from prometheus_client import REGISTRY
from sqlalchemy import select, update

from tests.app.conftest import Api, SettingsFactory, start_api


def _searchable(api: Api, headers: dict[str, str], memory_id: str, query: str) -> bool:
    response = api.client.post("/v1/search", json={"query": query, "top_k": 50}, headers=headers)
    assert response.status_code == 200, response.text
    return memory_id in {hit["id"] for hit in response.json()["results"]}


def _plant_poison(api: Api, monkeypatch: pytest.MonkeyPatch) -> str:
    """A stored memory the vector store refuses to index.

    On SQLite: metadata with NaN, as rows written before validation refused it (Qdrant Edge rejects
    the payload). PostgreSQL cannot store NaN in JSON, so there the store refuses a marked memory.
    """
    if api.state.engine.dialect.name == "sqlite":
        body = MemoryCreate.model_construct(text="poison pill", metadata={"f": float("nan")}, tags=[])
        return str(api.state.memories._insert("evil", body)["id"])
    backend = api.state.vector_store.backend
    real_upsert = backend.upsert

    def refusing_upsert(points: list[VectorPoint]) -> None:
        if any(p.payload["metadata"].get("poison") for p in points):
            raise ValueError("Bad request: payload rejected")
        real_upsert(points)

    monkeypatch.setattr(backend, "upsert", refusing_upsert)
    body = MemoryCreate(text="poison pill", metadata={"poison": True})
    return str(api.state.memories._insert("evil", body)["id"])


def _cli(monkeypatch: pytest.MonkeyPatch, api: Api, capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    settings = api.state.settings
    monkeypatch.setenv("MEMORY_API_DATA_DIR", str(settings.data_dir))
    if settings.database_url is not None:
        monkeypatch.setenv("MEMORY_API_DATABASE_URL", settings.database_url.get_secret_value())
    capsys.readouterr()
    code = main(["outbox", *args])
    out = capsys.readouterr().out
    return code, [json.loads(line) for line in out.splitlines() if line.strip()]


def test_a_refused_memory_is_parked_and_does_not_stop_indexing_for_other_tenants(
    make_settings: SettingsFactory, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for api in start_api(make_settings(outbox_max_attempts=3)):
        good = api.key("good")
        poison_id = _plant_poison(api, monkeypatch)
        api.state.relay.wake()
        written = api.create(good, "the quiet harbour at dawn")
        deadline = time.monotonic() + 5
        while not _searchable(api, good, written, "quiet harbour"):
            assert time.monotonic() < deadline, "another tenant's write was not indexed within 5 s"
            time.sleep(0.1)

        deadline = time.monotonic() + 15
        while api.state.relay.counts().parked == 0:
            assert time.monotonic() < deadline, "the refused row was never parked"
            time.sleep(0.1)
        with api.state.sessions() as session:
            row = session.scalars(select(VectorOutbox).where(VectorOutbox.memory_id == poison_id)).one()
        assert row.attempts == 3
        assert row.last_error
        # Still indexing for everyone after the row is parked.
        later = api.create(good, "a lantern by the window")
        api.wait_indexed()
        assert _searchable(api, good, later, "lantern window")

        ready = api.client.get("/health/ready")
        assert ready.status_code == 200
        assert ready.json()["status"] == "degraded"
        assert "outbox" in ready.json()["failed"]
        assert ready.json()["checks"]["outbox"]["parked"] == 1
        assert REGISTRY.get_sample_value("vector_outbox_parked") == 1.0

        code, listed = _cli(monkeypatch, api, capsys, "list", "--parked")
        assert code == 0
        assert [(r["memory_id"], r["attempts"], r["parked"]) for r in listed] == [(poison_id, 3, True)]
        assert "poison pill" not in json.dumps(listed)  # no memory text in the listing

        # The operator fixes the cause, then retries: the row is indexed and readiness clears.
        monkeypatch.undo()
        with api.state.sessions.begin() as session:
            session.execute(update(Memory).where(Memory.id == poison_id).values(metadata_json={"f": 1}))
        code, result = _cli(monkeypatch, api, capsys, "retry", "--all")
        assert (code, result) == (0, [{"retried": 1}])
        api.state.relay.wake()
        api.wait_indexed()
        evil = api.key("evil")
        assert _searchable(api, evil, poison_id, "poison pill")
        assert api.client.get("/health/ready").json()["status"] == "ready"
        assert api.state.relay.counts().parked == 0
