"""Reads by id stay index lookups however many memories a tenant has (embedded SQLite).

SQLite's planner, left alone, answers ``tenant_id = ? AND id IN (...)`` from the (tenant_id, seq)
index, reading every memory of the tenant; migration 0002's (tenant_id, id) index prevents that.
"""

from __future__ import annotations

from pathlib import Path

from memory_api.core.config import Settings
from memory_api.services.memories import SELECT_BY_IDS
from sqlalchemy import text

from tests.app.conftest import start_api


def test_a_tenant_scoped_read_by_id_uses_the_tenant_and_id_index(tmp_path: Path) -> None:
    for api in start_api(Settings(_env_file=None, data_dir=tmp_path)):  # type: ignore[call-arg]
        headers = api.key("acme")
        ids = [api.create(headers, f"note {n}") for n in range(3)]
        query = SELECT_BY_IDS.params(tenant_id="acme", memory_ids=ids).compile(
            api.state.engine, compile_kwargs={"literal_binds": True}
        )
        with api.state.engine.connect() as connection:
            assert len(connection.execute(text(str(query))).all()) == 3
            plan = " ".join(str(row[-1]) for row in connection.execute(text(f"EXPLAIN QUERY PLAN {query}")))
        assert "ix_memories_tenant_id_id" in plan, plan
