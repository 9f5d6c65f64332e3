"""Qdrant access: the collection (created on start if missing), upserts, deletes and tenant-filtered search.

Two backends serve the same calls: a Qdrant server in the cluster (``qdrant-client``), and Qdrant Edge,
the Qdrant engine embedded in the process, storing one shard under ``DATA_DIR`` otherwise. Edge has
the server's payload indexes, so the tenant filter stays cheap in both; qdrant-client's own local
mode evaluates filters in Python, point by point (~30 µs each), which made embedded search scale with
the corpus. Every search is filtered on the tenant id.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

import qdrant_edge as edge
from qdrant_client import QdrantClient, models

from memory_api.core import metrics
from memory_api.core.config import Settings

T = TypeVar("T")
Match = tuple[str, str | int | bool]  # payload key, value it must equal


class VectorStoreError(Exception):
    """Qdrant is unreachable or refused the operation."""


@dataclass(frozen=True)
class VectorPoint:
    memory_id: str
    vector: list[float]
    payload: dict[str, Any]


class QdrantBackend(Protocol):
    blocking: bool  # calls wait on the network: run them in the thread pool

    def ensure_collection(self, dimension: int) -> None:
        """Create the collection if missing; ``ValueError`` if it exists with another vector size."""

    def recreate_collection(self, dimension: int) -> None: ...
    def upsert(self, points: list[VectorPoint]) -> None: ...
    def delete(self, memory_ids: list[str]) -> None: ...
    def search(
        self, vector: list[float], must: list[Match], top_k: int, score_threshold: float | None
    ) -> list[tuple[str, float]]: ...
    def ping(self) -> None: ...
    def close(self) -> None: ...


class VectorStore:
    """Metrics and error mapping around a backend; builds the tenant, tag and metadata filter."""

    def __init__(self, backend: QdrantBackend) -> None:
        self.backend = backend
        self.blocking = backend.blocking
        self.collection_ready = False

    @classmethod
    def from_settings(cls, settings: Settings) -> VectorStore:
        if settings.qdrant_url:
            api_key = settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None
            client = QdrantClient(
                url=settings.qdrant_url,
                api_key=api_key,
                timeout=settings.qdrant_timeout_seconds,
                check_compatibility=False,
            )
            return cls(QdrantServer(client, settings.qdrant_collection))
        return cls(
            QdrantEdge(
                settings.qdrant_local_path() / settings.qdrant_collection,
                search_threads=settings.qdrant_edge_search_threads,
            )
        )

    @contextmanager
    def _operation(self, name: str) -> Iterator[None]:
        metrics.VECTOR_STORE_OPERATIONS.labels(name).inc()
        try:
            yield
        except ValueError:
            raise  # a configuration problem, reported as it is
        except Exception as error:
            metrics.VECTOR_STORE_ERRORS.labels(name).inc()
            raise VectorStoreError(f"{name} failed: {type(error).__name__}: {error}") from error

    def _call(self, name: str, function: Callable[[], T]) -> T:
        with self._operation(name):
            return function()

    def ensure_collection(self, dimension: int) -> None:
        self._call("ensure_collection", lambda: self.backend.ensure_collection(dimension))
        self.collection_ready = True

    def recreate_collection(self, dimension: int) -> None:
        self._call("ensure_collection", lambda: self.backend.recreate_collection(dimension))
        self.collection_ready = True

    def upsert(self, points: list[VectorPoint]) -> None:
        if points:
            self._call("upsert", lambda: self.backend.upsert(points))

    def delete(self, memory_ids: list[str]) -> None:
        if memory_ids:
            self._call("delete", lambda: self.backend.delete(memory_ids))

    def search(
        self,
        *,
        tenant_id: str,
        vector: list[float],
        top_k: int,
        tags: list[str],
        metadata: dict[str, str | int | bool],
        score_threshold: float | None,
    ) -> list[tuple[str, float]]:
        must: list[Match] = [("tenant_id", tenant_id)]
        must += [("tags", tag) for tag in tags]
        # Quoted, so keys with '.', ':' or '-' name one top-level key, not a nested path.
        must += [(f'metadata."{key}"', value) for key, value in metadata.items()]
        return self._call("search", lambda: self.backend.search(vector, must, top_k, score_threshold))

    def ping(self) -> None:
        self._call("ping", self.backend.ping)

    def close(self) -> None:
        self.backend.close()


class QdrantServer:
    """A Qdrant server (the cluster's StatefulSet); the client is thread-safe, so calls run in parallel."""

    blocking = True

    def __init__(self, client: QdrantClient, collection: str) -> None:
        self.client, self.collection = client, collection

    def ensure_collection(self, dimension: int) -> None:
        if not self.client.collection_exists(self.collection):
            self._create(dimension)
            return
        vectors = self.client.get_collection(self.collection).config.params.vectors
        size = vectors.size if isinstance(vectors, models.VectorParams) else None
        if size != dimension:
            raise ValueError(_size_mismatch(self.collection, size, dimension))

    def recreate_collection(self, dimension: int) -> None:
        if self.client.collection_exists(self.collection):
            self.client.delete_collection(self.collection)
        self._create(dimension)

    def _create(self, dimension: int) -> None:
        self.client.create_collection(
            self.collection,
            vectors_config=models.VectorParams(size=dimension, distance=models.Distance.COSINE),
        )
        self.client.create_payload_index(
            self.collection,
            "tenant_id",
            models.KeywordIndexParams(type=models.KeywordIndexType.KEYWORD, is_tenant=True),
        )
        self.client.create_payload_index(self.collection, "tags", models.PayloadSchemaType.KEYWORD)

    def upsert(self, points: list[VectorPoint]) -> None:
        structs = [models.PointStruct(id=p.memory_id, vector=p.vector, payload=p.payload) for p in points]
        self.client.upsert(self.collection, structs, wait=True)

    def delete(self, memory_ids: list[str]) -> None:
        self.client.delete(self.collection, models.PointIdsList(points=list(memory_ids)), wait=True)

    def search(
        self, vector: list[float], must: list[Match], top_k: int, score_threshold: float | None
    ) -> list[tuple[str, float]]:
        conditions: list[models.Condition] = [
            models.FieldCondition(key=key, match=models.MatchValue(value=value)) for key, value in must
        ]
        response = self.client.query_points(
            self.collection,
            query=vector,
            query_filter=models.Filter(must=conditions),
            limit=top_k,
            score_threshold=score_threshold,
            with_payload=False,
        )
        return [(str(point.id), float(point.score)) for point in response.points]

    def ping(self) -> None:
        self.client.get_collection(self.collection)

    def close(self) -> None:
        self.client.close()


class QdrantEdge:
    """Qdrant Edge: one shard directory per collection, used by one process at a time (a file lock)."""

    CONFIG_FILE = "edge_config.json"
    blocking = False  # in-process CPU work (~0.1 ms a search at 1,000 memories), no I/O to wait on

    def __init__(self, path: Path, *, search_threads: int | None = None) -> None:
        self.path = path
        # None: one per CPU. Each search hands its segments to this pool and waits: more threads cost
        # CPU in wake-ups, which only pays off on corpora far larger than a developer's.
        self.search_threads = search_threads
        self._lock = threading.Lock()  # the shard is opened, replaced and closed under this lock
        self._shard: edge.EdgeShard | None = None
        self._lock_file: int | None = None

    def _config(self, dimension: int) -> edge.EdgeConfig:
        return edge.EdgeConfig(
            vectors={"": edge.EdgeVectorParams(size=dimension, distance=edge.Distance.Cosine)},
            max_search_threads=self.search_threads,
        )

    def _claim_directory(self) -> None:
        if self._lock_file is not None:
            return
        self.path.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.path.parent / f".{self.path.name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            raise ValueError(
                f"another memory-api process is using the embedded vector store at {self.path}; "
                "stop it first (the API server and `memory-api reindex` cannot share it)"
            ) from None
        self._lock_file = descriptor

    def _open(self, dimension: int) -> edge.EdgeShard:
        self._claim_directory()
        if not (self.path / self.CONFIG_FILE).exists():
            return self._create(dimension)
        try:
            return edge.EdgeShard.load(str(self.path), self._config(dimension))
        except Exception as error:
            if "incompatible" in str(error).lower():
                raise ValueError(_size_mismatch(self.path.name, None, dimension)) from error
            raise

    def _create(self, dimension: int) -> edge.EdgeShard:
        shard = edge.EdgeShard.create(str(self.path), self._config(dimension))
        keyword = edge.PayloadSchemaType.Keyword
        shard.update(
            edge.UpdateOperation.create_field_index("tenant_id", edge.KeywordIndexParams(is_tenant=True))
        )
        shard.update(edge.UpdateOperation.create_field_index("tags", keyword))
        return shard

    def _ready(self) -> edge.EdgeShard:
        if self._shard is None:
            raise RuntimeError("the collection is not open yet")
        return self._shard

    def ensure_collection(self, dimension: int) -> None:
        with self._lock:
            if self._shard is None:
                self._shard = self._open(dimension)

    def recreate_collection(self, dimension: int) -> None:
        with self._lock:
            self._claim_directory()
            if self._shard is not None:
                self._shard.close()
                self._shard = None
            for child in (self.CONFIG_FILE, "segments", "wal"):
                _remove(self.path / child)
            self._shard = self._create(dimension)

    def upsert(self, points: list[VectorPoint]) -> None:
        edge_points = [edge.Point(p.memory_id, {"": p.vector}, p.payload) for p in points]
        with self._lock:
            self._ready().update(edge.UpdateOperation.upsert_points(edge_points))

    def delete(self, memory_ids: list[str]) -> None:
        with self._lock:
            self._ready().update(edge.UpdateOperation.delete_points(list(memory_ids)))

    def search(
        self, vector: list[float], must: list[Match], top_k: int, score_threshold: float | None
    ) -> list[tuple[str, float]]:
        request = edge.QueryRequest(
            limit=top_k,
            query=edge.Query.Nearest(vector),
            filter=edge.Filter(
                must=[edge.FieldCondition(key=key, match=edge.MatchValue(value)) for key, value in must]
            ),
            score_threshold=score_threshold,
            with_payload=False,
        )
        with self._lock:
            points = self._ready().query(request)
        return [(str(point.id), float(point.score)) for point in points]

    def ping(self) -> None:
        with self._lock:
            self._ready().info()

    def close(self) -> None:
        with self._lock:
            if self._shard is not None:
                self._shard.flush()
                self._shard.close()
                self._shard = None
            if self._lock_file is not None:
                os.close(self._lock_file)
                self._lock_file = None


def _size_mismatch(collection: str, size: int | None, dimension: int) -> str:
    found = f"vector size {size}" if size is not None else "another vector size"
    return (
        f"collection '{collection}' has {found}, the embedder makes {dimension}; "
        "run `memory-api reindex` or set MEMORY_API_QDRANT_COLLECTION"
    )


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()
