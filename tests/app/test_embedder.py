"""The built-in embedder is deterministic, normalised and ranks shared words above unrelated text."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
from memory_api.services.embedder import HashingEmbedder, create_embedder


def test_vectors_are_unit_length_with_the_configured_size() -> None:
    embedder = HashingEmbedder(256)
    vectors = np.array(embedder.embed(["hello world", "", "!!!", "a much longer sentence " * 50]))
    assert vectors.shape == (4, 256)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_the_same_text_gives_the_same_vector_in_another_process() -> None:
    code = (
        "from memory_api.services.embedder import HashingEmbedder; "
        "print(HashingEmbedder().embed(['ferry'])[0][:8])"
    )
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert other.strip() == str(HashingEmbedder().embed(["ferry"])[0][:8])


def test_related_text_scores_higher_than_unrelated_text() -> None:
    embedder = create_embedder("hashing", 384)
    query, related, unrelated = map(
        np.array,
        embedder.embed(
            ["where is the wifi password", "the wifi password is on the fridge", "buy milk and eggs"]
        ),
    )
    assert float(query @ related) > float(query @ unrelated) + 0.2
