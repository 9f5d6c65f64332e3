"""The embedded vector store (Qdrant Edge in the process): tenant filter, durability, clear refusals."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from memory_api.core.config import Settings
from memory_api.services.vector_store import VectorPoint, VectorStore

DIMENSION = 8


def unit(index: int) -> list[float]:
    return [1.0 if i == index else 0.0 for i in range(DIMENSION)]


def point(tenant: str, index: int, tags: list[str] | None = None) -> VectorPoint:
    return VectorPoint(
        str(uuid.uuid4()), unit(index), {"tenant_id": tenant, "tags": tags or [], "metadata": {}}
    )


def open_store(data_dir: Path) -> VectorStore:
    store = VectorStore.from_settings(Settings(_env_file=None, data_dir=data_dir))  # type: ignore[call-arg]
    store.ensure_collection(DIMENSION)
    return store


def search(store: VectorStore, tenant: str, index: int, tags: list[str] | None = None) -> list[str]:
    hits = store.search(
        tenant_id=tenant, vector=unit(index), top_k=5, tags=tags or [], metadata={}, score_threshold=None
    )
    return [memory_id for memory_id, _ in hits]


def test_search_never_returns_another_tenants_point_even_the_exact_match(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    theirs, mine = point("other", 0), point("mine", 1)
    store.upsert([theirs, mine])
    assert search(store, "mine", 0) == [mine.memory_id]
    assert search(store, "nobody", 0) == []
    store.close()


def test_tag_filter_and_delete(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    tagged, plain = point("t", 0, ["work"]), point("t", 0)
    store.upsert([tagged, plain])
    assert search(store, "t", 0, ["work"]) == [tagged.memory_id]
    store.delete([tagged.memory_id])
    assert search(store, "t", 0) == [plain.memory_id]
    store.close()


def test_points_survive_a_restart(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    stored = point("t", 3)
    store.upsert([stored])
    store.close()
    reopened = open_store(tmp_path)
    assert search(reopened, "t", 3) == [stored.memory_id]
    reopened.close()


def test_another_vector_size_is_refused_with_the_fix(tmp_path: Path) -> None:
    open_store(tmp_path).close()
    store = VectorStore.from_settings(Settings(_env_file=None, data_dir=tmp_path))  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="memory-api reindex"):
        store.ensure_collection(DIMENSION * 2)
    store.recreate_collection(DIMENSION * 2)  # what reindex does
    assert (
        store.search(
            tenant_id="t", vector=[1.0] * DIMENSION * 2, top_k=1, tags=[], metadata={}, score_threshold=None
        )
        == []
    )
    store.close()


def test_a_second_process_on_the_same_store_is_refused_by_name(tmp_path: Path) -> None:
    first = open_store(tmp_path)
    second = VectorStore.from_settings(Settings(_env_file=None, data_dir=tmp_path))  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="another memory-api process"):
        second.ensure_collection(DIMENSION)
    first.close()
    second.ensure_collection(DIMENSION)  # free once the first one closed
    second.close()


def test_search_threads_are_a_setting_one_by_default_and_results_do_not_depend_on_them(
    tmp_path: Path,
) -> None:
    # One thread costs a third of the CPU a search took with one per CPU (each search hands its
    # segments to the pool and waits for them), at the corpus sizes the embedded store serves.
    assert Settings(_env_file=None).qdrant_edge_search_threads == 1  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="qdrant_edge_search_threads"):
        Settings(_env_file=None, qdrant_edge_search_threads=0)  # type: ignore[call-arg]
    points = [point("t1", i % DIMENSION) for i in range(4 * DIMENSION)]  # four exact matches each
    answers = []
    for threads in (1, 4):
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None, data_dir=tmp_path / str(threads), qdrant_edge_search_threads=threads
        )
        store = VectorStore.from_settings(settings)
        store.ensure_collection(DIMENSION)
        store.upsert(points)
        answers.append({index: set(search(store, "t1", index)[:4]) for index in range(DIMENSION)})
        store.close()
    expected = {i: {p.memory_id for p in points[i::DIMENSION]} for i in range(DIMENSION)}
    assert answers == [expected, expected]
