"""The hybrid ranking over the embedding matrix (ragstar.vectors) against the Python one it
replaced (ragstar.ranking.similarities, hybrid and top): a seeded, generated corpus of vectors and
keyword scores; the same repositories in the same order, scores equal to float32 precision."""

from __future__ import annotations

import math
import os
import random
import subprocess
import sys

import numpy as np
import pytest

from ragstar import ranking
from ragstar.store import pack_vector, unpack_vector
from ragstar.vectors import EmbeddingCache, EmbeddingMatrix, query_vector, rank_hybrid

SEED = 17
REPOSITORIES = 400
DIMENSIONS = 64
QUERIES = 200


def unit(rng: random.Random, n: int) -> list[float]:
    v = [rng.gauss(0, 1) for _ in range(n)]
    norm = math.sqrt(sum(x * x for x in v))
    return [x / norm for x in v]


def test_rank_hybrid_agrees_with_the_python_ranking_on_a_seeded_corpus() -> None:
    rng = random.Random(SEED)
    blobs = {rowid: pack_vector(unit(rng, DIMENSIONS)) for rowid in range(1, REPOSITORIES + 1)}
    # Some repositories have no vector (keyword-only), as when a build ran without the model.
    for rowid in rng.sample(sorted(blobs), 40):
        del blobs[rowid]
    matrix = EmbeddingMatrix.from_rows(blobs.items())
    vectors = {rowid: unpack_vector(blob) for rowid, blob in blobs.items()}
    identical = 0
    for _ in range(QUERIES):
        query = unit(rng, DIMENSIONS)
        keyword = ranking.normalise({rowid: rng.random() for rowid in rng.sample(range(1, REPOSITORIES + 1), rng.randint(0, 60))})
        n = rng.choice([1, 5, 10, 50])
        expected_scores = ranking.hybrid(keyword, ranking.similarities(query, vectors))
        expected = ranking.top(expected_scores, n)
        got = rank_hybrid(matrix, query, keyword, n)
        assert len(got.ids) == len(expected)
        for mine, theirs in zip(got.ids, expected, strict=True):
            # The same repository, or one whose score ties it to float32 precision.
            assert abs(got.scores[mine] - expected_scores[theirs]) < 1e-5
        identical += got.ids == expected
        for rowid in got.ids:
            assert (rowid in blobs) == (rowid in got.semantic)
    print(f"{QUERIES} queries over {len(blobs)} vectors of {DIMENSIONS} dimensions: {identical} identical orders, the rest ties within 1e-5")
    assert identical >= QUERIES * 0.95


def test_a_vector_of_another_length_is_left_out_and_keyword_only_ranking_still_works() -> None:
    matrix = EmbeddingMatrix.from_rows([(1, pack_vector([1.0, 0.0])), (2, pack_vector([0.0, 1.0])), (3, pack_vector([1.0, 0.0, 0.0]))])
    assert (matrix.dimensions, list(matrix.ids)) == (2, [1, 2])
    assert rank_hybrid(matrix, [1.0, 0.0], {}, 5).ids == [1]
    assert rank_hybrid(matrix, [1.0, 0.0, 0.0], {3: 1.0}, 5).ids == [3]  # wrong length: keyword only
    assert rank_hybrid(EmbeddingMatrix.from_rows([]), [1.0], {7: 1.0, 8: 0.5}, 5).scores == {7: 0.5, 8: 0.25}


class CountingStore:
    def __init__(self) -> None:
        self.rows = [(1, pack_vector([1.0, 0.0]))]
        self.loads = 0

    def embedding_fingerprint(self, model: str) -> tuple[object, ...]:
        return (len(self.rows), sum(r for r, _ in self.rows))

    def embedding_rows(self, model: str) -> list[tuple[int, bytes]]:
        self.loads += 1
        return list(self.rows)


def test_the_cache_reloads_only_when_the_store_changes() -> None:
    store = CountingStore()
    cache = EmbeddingCache()
    first = cache.get(store, "m")
    assert cache.get(store, "m") is first and store.loads == 1
    store.rows.append((2, pack_vector([0.0, 1.0])))
    assert list(cache.get(store, "m").ids) == [1, 2] and store.loads == 2


def test_query_vector_is_ranking_unit_in_float32_and_refuses_what_it_refuses() -> None:
    rng = random.Random(SEED + 1)
    for _ in range(QUERIES):
        raw = [rng.gauss(0, 3) for _ in range(rng.choice([1, 2, 64, 768]))]
        got = query_vector(raw)
        assert got.dtype == np.float32 and got.shape == (len(raw),)
        assert np.allclose(got, np.asarray(ranking.unit(raw), dtype=np.float32), rtol=0, atol=1e-7)
    for bad in ([], [0.0, 0.0], [1.0, math.inf], [math.nan, 1.0]):
        with pytest.raises(ValueError, match="cannot normalise"):
            ranking.unit(bad)
        with pytest.raises(ValueError, match="cannot normalise"):
            query_vector(bad)


def _threads_after_import(extra: dict[str, str]) -> int:
    """Threads of a fresh interpreter once ragstar.vectors (and numpy's OpenBLAS) has loaded."""
    env = {k: v for k, v in os.environ.items() if k not in {"OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"}}
    code = "import os, ragstar.vectors; print(len(os.listdir('/proc/self/task')))"
    out = subprocess.run([sys.executable, "-c", code], env={**env, **extra}, capture_output=True, text=True, check=True, timeout=60)
    return int(out.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux") or (os.cpu_count() or 1) < 2, reason="needs Linux's /proc and at least 2 CPUs to tell one BLAS thread from several")
def test_numpy_runs_one_blas_thread_unless_the_operator_says_otherwise() -> None:
    # Without the setting, OpenBLAS starts one thread per CPU at import (2 on a 2-core machine).
    assert _threads_after_import({}) == 1
    assert _threads_after_import({"OPENBLAS_NUM_THREADS": "2"}) == 2
    assert _threads_after_import({"OMP_NUM_THREADS": "2"}) == 2  # OpenBLAS reads it too
