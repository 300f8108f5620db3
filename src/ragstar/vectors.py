"""The stored embeddings as one float32 matrix, and the hybrid ranking over it.

Before, every hybrid query read every stored vector into Python lists and summed products in a
Python loop: at 3,000 repositories x 768 dimensions, 3-4 queries a second and 2.7 GB of memory at
32 concurrent queries. Now each store's vectors for a model are read once into a contiguous float32
matrix (3,000 x 768: 9.2 MB), kept while the index does not change (:meth:`EmbeddingCache.get`
asks the store for a cheap fingerprint on each query), and a query is one matrix-vector product in
numpy, outside the GIL.

The ranking is :func:`ragstar.ranking.hybrid` followed by :func:`ragstar.ranking.top` (same
formula, ties by id), computed in float32: scores agree to about 1e-7, so only repositories whose
scores tie to that precision can swap places; tests/service/test_vectors.py checks that on a seeded
corpus. The query vector must be a unit vector, like the stored ones.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

# Before numpy loads its OpenBLAS: one BLAS thread. OpenBLAS otherwise starts a thread per CPU the
# node has (a pod's CPU limit does not hide them) and shares them between callers: with 6 queries
# ranking at once, a 3,000 x 768 product's p99 was 128 ms and 1,128 went through a second; with
# one thread each, p99 8.2 ms (the GIL's switch interval) and 11,528 a second (`npm run --silent
# bench:service -- --parts`, docs/performance.md). Concurrent queries run side by side on the
# search threads instead. An operator's own setting is kept: OPENBLAS_NUM_THREADS, or
# OMP_NUM_THREADS, which OpenBLAS reads when the first is unset.
if "OPENBLAS_NUM_THREADS" not in os.environ and "OMP_NUM_THREADS" not in os.environ:
    os.environ["OPENBLAS_NUM_THREADS"] = "1"

import numpy as np  # noqa: E402 - after the thread setting above
import numpy.typing as npt  # noqa: E402

from ragstar.ranking import KEYWORD_WEIGHT, unit  # noqa: E402

#: A unit query vector, float32, shape (dimensions,) (:func:`query_vector`).
QueryVector = npt.NDArray[np.float32]


@dataclass(frozen=True)
class EmbeddingMatrix:
    """The unit vectors of one embedding model: row ``i`` is repository ``ids[i]``.

    ``ids``: int64, shape (n,); ``matrix``: float32, shape (n, dimensions); vectors of another
    length than the most common one are left out (a model's vectors all have one length).
    """

    ids: npt.NDArray[np.int64]
    matrix: npt.NDArray[np.float32]
    #: Row of each id.
    position: Mapping[int, int]

    @property
    def dimensions(self) -> int:
        return int(self.matrix.shape[1]) if self.matrix.ndim == 2 else 0

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[int, bytes]]) -> EmbeddingMatrix:
        """Build from ``(id, blob)`` rows, each blob little-endian float32 (``ragstar.store.pack_vector``)."""
        by_length: dict[int, list[tuple[int, bytes]]] = {}
        for rowid, blob in rows:
            by_length.setdefault(len(blob), []).append((int(rowid), bytes(blob)))
        if not by_length:
            return cls(np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32), {})
        length, chosen = max(by_length.items(), key=lambda item: len(item[1]))
        dtype = np.dtype("<f4")
        matrix = np.frombuffer(b"".join(blob for _, blob in chosen), dtype=dtype).reshape(len(chosen), length // 4)
        if sys.byteorder == "big":
            matrix = matrix.astype(np.float32)
        ids = np.fromiter((rowid for rowid, _ in chosen), dtype=np.int64, count=len(chosen))
        position = {rowid: i for i, (rowid, _) in enumerate(chosen)}
        return cls(ids, np.ascontiguousarray(matrix, dtype=np.float32), position)


class VectorSource(Protocol):
    """What :class:`EmbeddingCache` needs of a store (both stores have it)."""

    def embedding_fingerprint(self, model: str) -> tuple[object, ...]: ...
    def embedding_rows(self, model: str) -> list[tuple[int, bytes]]: ...


class EmbeddingCache:
    """One :class:`EmbeddingMatrix` per model, reloaded when the store's fingerprint of that
    model's vectors changes (SQLite: its count of repository writes; PostgreSQL: a count, an id sum
    and a hash sum over the rows, so other replicas' writes show). Thread-safe; a reload happens once
    for concurrent queries."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._matrices: dict[str, tuple[tuple[object, ...], EmbeddingMatrix]] = {}

    def get(self, store: VectorSource, model: str) -> EmbeddingMatrix:
        """The matrix of ``model``'s vectors, read again only when the store changed.

        Raises:
            StoreUnavailable: the store cannot be read.
        """
        fingerprint = store.embedding_fingerprint(model)
        cached = self._matrices.get(model)
        if cached is not None and cached[0] == fingerprint:
            return cached[1]
        with self._lock:
            cached = self._matrices.get(model)
            if cached is not None and cached[0] == fingerprint:
                return cached[1]
            matrix = EmbeddingMatrix.from_rows(store.embedding_rows(model))
            self._matrices[model] = (fingerprint, matrix)
            return matrix


def query_vector(values: Sequence[float]) -> QueryVector:
    """``values`` scaled to length 1 by :func:`ragstar.ranking.unit` (the one home of that rule,
    which the stored vectors follow too), as float32, shape (len(values),).

    Raises:
        ValueError: the vector is empty, all zeros, or not finite.
    """
    return np.asarray(unit(values), dtype=np.float32)


@dataclass(frozen=True)
class Ranked:
    """The best ids in order, with their hybrid scores and cosine similarities (0..1)."""

    ids: list[int]
    scores: dict[int, float]
    semantic: dict[int, float]


def rank_hybrid(vectors: EmbeddingMatrix, query: QueryVector | Sequence[float], keyword: Mapping[int, float], n: int) -> Ranked:
    """The ``n`` best repositories by ``KEYWORD_WEIGHT * keyword + (1 - KEYWORD_WEIGHT) * max(cosine, 0)``
    (:func:`ragstar.ranking.hybrid`), positive scores only, equal scores by id (:func:`ragstar.ranking.top`).

    ``query`` is the unit query vector (:func:`query_vector` or :func:`ragstar.ranking.unit`: a
    zero or non-finite vector is refused there); a repository without a vector of its length has cosine 0. ``keyword``:
    normalised keyword scores (0..1) by id. ``n``: how many ids at most.
    """
    q = np.asarray(query, dtype=np.float32)
    scores: dict[int, float] = {}
    semantic: dict[int, float] = {}
    usable = vectors.dimensions == len(query) and len(vectors.ids) > 0
    if usable:
        # float32 throughout: a float64 product would copy the whole matrix on every query.
        cosine = vectors.matrix @ q
        dense = (1 - KEYWORD_WEIGHT) * np.maximum(cosine, 0.0)
        for key, value in keyword.items():
            i = vectors.position.get(key)
            if i is not None:
                dense[i] += KEYWORD_WEIGHT * value
        # Every row that can reach the n-th best score: those at or above it, ties included.
        count = min(n, len(dense))
        threshold = np.partition(dense, len(dense) - count)[len(dense) - count]
        for i in np.nonzero(dense >= threshold)[0]:
            rowid = int(vectors.ids[i])
            scores[rowid] = float(dense[i])
            semantic[rowid] = float(cosine[i])
    for key, value in keyword.items():
        if not usable or key not in vectors.position:
            scores[key] = KEYWORD_WEIGHT * value  # no vector: cosine counts as 0
    best = sorted((key for key, value in scores.items() if value > 0), key=lambda key: (-scores[key], key))[:n]
    return Ranked(best, {key: scores[key] for key in best}, {key: semantic[key] for key in best if key in semantic})
