"""Query ranking: the words a keyword search looks for, and the hybrid score.

Keyword ranking is the store's: SQLite FTS5's BM25 (:meth:`ragstar.store.Store.keyword_scores`)
or PostgreSQL's ``ts_rank`` with the same column weights (:mod:`ragstar.store_pg`).
Its raw scores have no fixed scale, so they are divided by the best score of
the query: the top keyword hit gets 1.0 and the others their share of it.

With an embedding model configured, each repository also gets the cosine
similarity between its stored unit vector and the query's (negative values
count as 0). The hybrid score is the plain average of the two::

    score = KEYWORD_WEIGHT * keyword + (1 - KEYWORD_WEIGHT) * max(cosine, 0)

A repository the keyword search did not find has keyword 0, so semantic
matches without shared words still rank.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

KEYWORD_WEIGHT = 0.5

# Words that carry no meaning for finding a repository. Dropped from the query
# unless nothing else is left.
STOPWORDS = frozenset(
    """
    a about an and any are as at be best can could do does for from good how i in is it
    its library me my need of on or package project repo repos repositories repository
    should some something that the there this to tool use used using want what which
    with would you
    """.split()
)

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_QUERY_TERMS = 32


def query_terms(query: str) -> list[str]:
    """The words of free text that a keyword search looks for: lower-cased, each once, in
    order, stopwords dropped unless nothing else is left, at most ``MAX_QUERY_TERMS``.
    Empty when the text has no word. Both stores search for any of them (OR)."""
    words = list(dict.fromkeys(word.lower() for word in _WORD.findall(query)))
    meaningful = [word for word in words if word not in STOPWORDS]
    return (meaningful or words)[:MAX_QUERY_TERMS]


def fts5_expression(terms: Sequence[str]) -> str | None:
    """An FTS5 ``MATCH`` expression for ``terms``: each quoted, joined by OR.

    Quoting every word makes FTS5 syntax in the text (``AND``, ``NEAR``, ``*``,
    ``"``, column filters) plain words. Returns ``None`` for no terms.
    """
    return " OR ".join(f'"{term}"' for term in terms) or None


def match_expression(query: str) -> str | None:
    """Turn free text into an FTS5 ``MATCH`` expression (:func:`query_terms`, :func:`fts5_expression`)."""
    return fts5_expression(query_terms(query))


def normalise(scores: Mapping[int, float]) -> dict[int, float]:
    """Scale positive relevance scores so that the best is 1.0 (empty stays empty)."""
    best = max(scores.values(), default=0.0)
    if best <= 0:
        return {key: 0.0 for key in scores}
    return {key: max(value, 0.0) / best for key, value in scores.items()}


def unit(vector: Sequence[float]) -> list[float]:
    """Return ``vector`` scaled to length 1.

    Raises:
        ValueError: the vector is empty, all zeros, or not finite.
    """
    norm = math.sqrt(math.fsum(x * x for x in vector))
    if not vector or norm == 0 or not math.isfinite(norm):
        raise ValueError("cannot normalise an empty, zero or non-finite vector")
    return [x / norm for x in vector]


def similarities(query: Sequence[float], vectors: Mapping[int, Sequence[float]]) -> dict[int, float]:
    """Cosine similarity of ``query`` to each stored vector.

    Stored vectors are unit vectors (see :func:`unit`), so the cosine is the dot
    product with the unit query vector. Vectors of another length (another
    model) are left out.

    Raises:
        ValueError: the query vector cannot be normalised.
    """
    q = unit(query)
    return {
        key: math.fsum(a * b for a, b in zip(q, vector, strict=True))
        for key, vector in vectors.items()
        if len(vector) == len(q)
    }


def hybrid(keyword: Mapping[int, float], semantic: Mapping[int, float]) -> dict[int, float]:
    """Combine normalised keyword scores (0..1) and cosine similarities into one score per id."""
    result: dict[int, float] = {}
    for key in keyword.keys() | semantic.keys():
        similarity = max(semantic.get(key, 0.0), 0.0)
        result[key] = KEYWORD_WEIGHT * keyword.get(key, 0.0) + (1 - KEYWORD_WEIGHT) * similarity
    return result


def top(scores: Mapping[int, float], n: int) -> list[int]:
    """The ``n`` best ids with a positive score; equal scores by id (the one indexed first wins)."""
    positive = [key for key, value in scores.items() if value > 0]
    return sorted(positive, key=lambda key: (-scores[key], key))[:n]
