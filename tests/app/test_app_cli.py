"""The admin CLI: create, list and revoke keys; rebuild the vector index from the database."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from memory_api.cli import main
from memory_api.core.config import Settings
from memory_api.main import create_app


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MEMORY_API_DATA_DIR", str(tmp_path))
    return tmp_path


def test_keys_create_list_revoke(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keys", "create", "--tenant", "t1", "--name", "ci"]) == 0
    created = json.loads(capsys.readouterr().out)
    assert created["api_key"].startswith("mem_")
    assert created["tenant_id"] == "t1"
    with TestClient(create_app(Settings(data_dir=data_dir))) as client:
        assert client.get("/v1/memories", headers={"X-API-Key": created["api_key"]}).status_code == 200

    assert main(["keys", "list", "--tenant", "t1"]) == 0
    listed = capsys.readouterr().out
    assert created["key_id"] in listed
    assert created["api_key"] not in listed

    assert main(["keys", "revoke", created["key_id"]]) == 0
    assert main(["keys", "revoke", created["key_id"]]) == 1
    assert "no active key" in capsys.readouterr().err
    with TestClient(create_app(Settings(data_dir=data_dir))) as client:
        assert client.get("/v1/memories", headers={"X-API-Key": created["api_key"]}).status_code == 401


def test_an_invalid_tenant_is_refused_with_the_rule(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["keys", "create", "--tenant", "Bad Tenant!"]) == 2
    assert "lowercase letters" in capsys.readouterr().err


def test_reindex_rebuilds_a_lost_collection_from_the_database(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(data_dir=data_dir, outbox_poll_seconds=0.1)
    assert main(["keys", "create", "--tenant", "t1"]) == 0
    headers = {"X-API-Key": json.loads(capsys.readouterr().out)["api_key"]}
    with TestClient(create_app(settings)) as client:
        ids = [
            client.post(
                "/v1/memories", json={"text": f"harbour ferry timetable {i}"}, headers=headers
            ).json()["id"]
            for i in range(3)
        ]
    shutil.rmtree(settings.qdrant_local_path())  # the vector store is lost
    assert main(["reindex"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["reindexed"] == 3  # after the app logs
    with TestClient(create_app(settings)) as client:
        results = client.post("/v1/search", json={"query": "ferry timetable"}, headers=headers).json()[
            "results"
        ]
    assert sorted(r["id"] for r in results) == sorted(ids)
