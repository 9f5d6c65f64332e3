"""Qdrant access: the collection (created on start if missing), upserts, deletes and tenant-filtered search.

A Qdrant server in the cluster, Qdrant's local on-disk mode under ``DATA_DIR`` otherwise; the same
calls serve both. Local mode is not thread-safe, so calls are serialised by a lock. Every search is
filtered on the tenant id, and the payload index on it makes that filter cheap on the server.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from qdrant_client import QdrantClient, models

from memory_api.core import metrics
from memory_api.core.config import Settings

T = TypeVar("T")


class VectorStoreError(Exception):
    """Qdrant is unreachable or refused the operation."""


@dataclass(frozen=True)
class VectorPoint:
    memory_id: str
    vector: list[float]
    payload: dict[str, Any]


class VectorStore:
    def __init__(self, client: QdrantClient, collection: str, *, local: bool) -> None:
        self.client, self.collection, self.local = client, collection, local
        self._lock = threading.Lock()
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
            return cls(client, settings.qdrant_collection, local=False)
        path: Path = settings.qdrant_local_path()
        path.mkdir(parents=True, exist_ok=True)
        return cls(QdrantClient(path=str(path)), settings.qdrant_collection, local=True)

    @contextmanager
    def _operation(self, name: str) -> Iterator[None]:
        metrics.VECTOR_STORE_OPERATIONS.labels(name).inc()
        try:
            with self._lock:
                yield
        except Exception as error:
            metrics.VECTOR_STORE_ERRORS.labels(name).inc()
            raise VectorStoreError(f"{name} failed: {type(error).__name__}: {error}") from error

    def _call(self, name: str, function: Callable[[], T]) -> T:
        with self._operation(name):
            return function()

    def ensure_collection(self, dimension: int) -> None:
        """Create the collection and its payload indexes if missing; refuse a vector-size mismatch."""
        with self._operation("ensure_collection"):
            if self.client.collection_exists(self.collection):
                info = self.client.get_collection(self.collection)
                vectors = info.config.params.vectors
                size = vectors.size if isinstance(vectors, models.VectorParams) else None
                if size != dimension:
                    raise ValueError(
                        f"collection '{self.collection}' has vector size {size}, the embedder makes "
                        f"{dimension}; run `memory-api reindex` or set MEMORY_API_QDRANT_COLLECTION"
                    )
            else:
                self._create(dimension)
        self.collection_ready = True

    def _create(self, dimension: int) -> None:
        self.client.create_collection(
            self.collection,
            vectors_config=models.VectorParams(size=dimension, distance=models.Distance.COSINE),
        )
        if not self.local:  # local mode ignores payload indexes (and warns)
            self.client.create_payload_index(
                self.collection,
                "tenant_id",
                models.KeywordIndexParams(type=models.KeywordIndexType.KEYWORD, is_tenant=True),
            )
            self.client.create_payload_index(self.collection, "tags", models.PayloadSchemaType.KEYWORD)

    def recreate_collection(self, dimension: int) -> None:
        with self._operation("ensure_collection"):
            if self.client.collection_exists(self.collection):
                self.client.delete_collection(self.collection)
            self._create(dimension)
        self.collection_ready = True

    def upsert(self, points: list[VectorPoint]) -> None:
        if not points:
            return
        structs = [models.PointStruct(id=p.memory_id, vector=p.vector, payload=p.payload) for p in points]
        self._call("upsert", lambda: self.client.upsert(self.collection, structs, wait=True))

    def delete(self, memory_ids: list[str]) -> None:
        if not memory_ids:
            return
        selector = models.PointIdsList(points=list(memory_ids))
        self._call("delete", lambda: self.client.delete(self.collection, selector, wait=True))

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
        conditions: list[models.Condition] = [
            models.FieldCondition(key="tenant_id", match=models.MatchValue(value=tenant_id))
        ]
        conditions += [models.FieldCondition(key="tags", match=models.MatchValue(value=t)) for t in tags]
        conditions += [
            models.FieldCondition(key=f"metadata.{k}", match=models.MatchValue(value=v))
            for k, v in metadata.items()
        ]
        response = self._call(
            "search",
            lambda: self.client.query_points(
                self.collection,
                query=vector,
                query_filter=models.Filter(must=conditions),
                limit=top_k,
                score_threshold=score_threshold,
                with_payload=False,
            ),
        )
        return [(str(point.id), float(point.score)) for point in response.points]

    def ping(self) -> None:
        self._call("ping", lambda: self.client.get_collection(self.collection))

    def close(self) -> None:
        self.client.close()
