"""Offline: how long rebuilding Qdrant's data in the DR region takes, by reindex vs by snapshot restore.

Both paths use the memory API's own code on Qdrant's engine (qdrant-edge, the same segment storage and
HNSW index as the server):
- reindex: what `memory-api reindex` does per memory (outbox.vector_points + QdrantEdge.upsert, batches
  of 256): embed with the stack's embedder (hashing, 384 dimensions) and upsert with the payload indexes.
  Reading the rows from Aurora is not included (a keyset scan of 256 rows per query).
- restore: the shard's files as a tar (a Qdrant snapshot is a tar of the shard), unpacked into a new
  directory and loaded, then one search; the download from S3 is not included (size is printed).

    uv run --no-sync python benchmarks/dr_qdrant_rebuild.py --points 50000
"""

from __future__ import annotations

import argparse
import json
import shutil
import tarfile
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from memory_api.services.embedder import HashingEmbedder
from memory_api.services.vector_store import QdrantEdge, VectorPoint

BATCH = 256  # outbox.reindex's page size
WORDS = [
    "memory",
    "agent",
    "user",
    "prefers",
    "dark",
    "mode",
    "meeting",
    "notes",
    "project",
    "deadline",
    "vector",
    "search",
    "recall",
]


def texts(count: int) -> list[str]:
    return [" ".join(WORDS[(i + j) % len(WORDS)] for j in range(30)) + f" #{i}" for i in range(count)]


def reindex(path: Path, count: int, dimension: int) -> float:
    embedder = HashingEmbedder(dimension)
    store = QdrantEdge(path)
    started = time.perf_counter()
    store.recreate_collection(dimension)
    corpus = texts(count)
    now = datetime.now(UTC).isoformat()
    for start in range(0, count, BATCH):
        batch = corpus[start : start + BATCH]
        vectors = embedder.embed(batch)
        store.upsert(
            [
                VectorPoint(
                    memory_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"m{start + i}")),
                    vector=vector,
                    payload={
                        "tenant_id": f"t{(start + i) % 50}",
                        "tags": [],
                        "metadata": {},
                        "created_at": now,
                    },
                )
                for i, vector in enumerate(vectors)
            ]
        )
    store.close()
    return time.perf_counter() - started


def restore(source: Path, work: Path, dimension: int) -> tuple[float, int]:
    snapshot = work / "shard.snapshot.tar"
    with tarfile.open(snapshot, "w") as archive:
        archive.add(source, arcname=".")
    size = snapshot.stat().st_size
    target = work / "restored"
    started = time.perf_counter()
    with tarfile.open(snapshot) as archive:
        archive.extractall(target, filter="data")
    store = QdrantEdge(target)
    store.ensure_collection(dimension)
    store.search([1.0] * dimension, [("tenant_id", "t1")], 5, None)
    store.close()
    return time.perf_counter() - started, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=50_000)
    parser.add_argument("--dimension", type=int, default=384)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dr-qdrant-"))
    try:
        reindex_seconds = reindex(work / "collection", args.points, args.dimension)
        restore_seconds, size = restore(work / "collection", work, args.dimension)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(
        json.dumps(
            {
                "points": args.points,
                "dimension": args.dimension,
                "reindexSeconds": round(reindex_seconds, 2),
                "reindexPointsPerSecond": round(args.points / reindex_seconds),
                "restoreSeconds": round(restore_seconds, 2),
                "restorePointsPerSecond": round(args.points / restore_seconds),
                "snapshotMiB": round(size / 2**20, 1),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
