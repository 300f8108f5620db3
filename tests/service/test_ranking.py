"""Unit tests of the ranking math and of the small text helpers."""

from __future__ import annotations

import math
import time
from email.utils import formatdate

import httpx
import pytest

from ragstar import ranking
from ragstar.indexer import clean_readme, tidy_summary
from ragstar.schemas import parse_repo_url
from ragstar.store import RepoRef, pack_vector, unpack_vector
from ragstar.upstream import retry_after_seconds


def test_match_expression_quotes_words_and_drops_stopwords() -> None:
    assert ranking.match_expression("Which library should I use for HTTP in Python?") == '"http" OR "python"'
    assert ranking.match_expression('grep AND "x" NEAR(y) col:z*') == '"grep" OR "x" OR "near" OR "y" OR "col" OR "z"'
    assert ranking.match_expression("Grep grep GREP") == '"grep"'
    assert ranking.match_expression("the") == '"the"'  # only stopwords: keep them
    assert ranking.match_expression("?! …") is None
    assert ranking.match_expression("naïve Straße") == '"naïve" OR "straße"'


def test_match_expression_caps_the_number_of_terms() -> None:
    expression = ranking.match_expression(" ".join(f"w{i}" for i in range(100)))
    assert expression is not None
    assert expression.count(" OR ") == ranking.MAX_QUERY_TERMS - 1


def test_normalise_scales_to_the_best() -> None:
    assert ranking.normalise({1: 4.0, 2: 2.0, 3: 1.0}) == {1: 1.0, 2: 0.5, 3: 0.25}
    assert ranking.normalise({}) == {}
    assert ranking.normalise({1: 0.0}) == {1: 0.0}


def test_similarities_are_cosines() -> None:
    stored = {1: ranking.unit([1, 0]), 2: ranking.unit([0, 1]), 3: ranking.unit([3, 4]), 4: [1.0, 0.0, 0.0]}
    result = ranking.similarities([4, 3], stored)
    # cos([4, 3], [3, 4]) = 24 / 25; a vector of another length is left out.
    assert result == pytest.approx({1: 0.8, 2: 0.6, 3: 24 / 25})
    assert ranking.similarities([-1, 0], {1: [1.0, 0.0]}) == pytest.approx({1: -1.0})
    with pytest.raises(ValueError):
        ranking.similarities([0, 0], stored)


def test_unit_vector() -> None:
    assert ranking.unit([3, 4]) == pytest.approx([0.6, 0.8])
    for bad in ([], [0.0, 0.0], [math.inf, 1.0]):
        with pytest.raises(ValueError):
            ranking.unit(bad)


def test_hybrid_is_the_average_of_keyword_and_positive_cosine() -> None:
    keyword = {1: 1.0, 2: 0.5}
    semantic = {1: 0.2, 2: 0.9, 3: 0.6, 4: -0.7}
    scores = ranking.hybrid(keyword, semantic)
    assert scores == pytest.approx({1: 0.6, 2: 0.7, 3: 0.3, 4: 0.0})
    assert ranking.top(scores, 10) == [2, 1, 3]  # a zero score is no match
    assert ranking.top(scores, 2) == [2, 1]


def test_top_breaks_ties_by_id() -> None:
    assert ranking.top({5: 0.5, 3: 0.5, 9: 0.7}, 3) == [9, 3, 5]


def test_vectors_round_trip_as_float32() -> None:
    vector = [0.1, -0.25, 1e-3, 0.0]
    blob = pack_vector(vector)
    assert len(blob) == 16
    assert unpack_vector(blob) == pytest.approx(vector, rel=1e-6)


@pytest.mark.parametrize(
    ("url", "owner", "name"),
    [
        ("https://github.com/encode/httpx", "encode", "httpx"),
        ("https://github.com/encode/httpx/", "encode", "httpx"),
        ("https://github.com/encode/httpx.git", "encode", "httpx"),
        ("https://github.com/encode/httpx.git/", "encode", "httpx"),
        ("https://github.com/user/my.dotted.repo", "user", "my.dotted.repo"),
        ("https://github.com/a-b/c_d", "a-b", "c_d"),
    ],
)
def test_parse_repo_url(url: str, owner: str, name: str) -> None:
    assert parse_repo_url(url) == RepoRef(owner, name, url)


def test_retry_after_forms() -> None:
    assert retry_after_seconds(httpx.Headers({"Retry-After": "7"})) == 7.0
    assert retry_after_seconds(httpx.Headers({"Retry-After": "-3"})) == 0.0
    assert retry_after_seconds(httpx.Headers({})) is None
    assert retry_after_seconds(httpx.Headers({"Retry-After": "soon"})) is None
    later = retry_after_seconds(httpx.Headers({"Retry-After": formatdate(time.time() + 30, usegmt=True)}))
    assert later is not None and 28 <= later <= 30


def test_clean_readme() -> None:
    readme = (
        "<!-- badges -->\n<p align=\"center\"><img src=\"logo.png\"></p>\n"
        "[![CI](https://ci/badge.svg)](https://ci)\n# Title\n\n\n\nSome *text*.   \n![diagram](d.png)\n"
    )
    assert clean_readme(readme, 1000) == "# Title\n\nSome *text*."
    assert clean_readme("x" * 50, 10) == "x" * 10


def test_tidy_summary() -> None:
    assert tidy_summary("  A  summary\nover lines.\n", 100) == "A summary over lines."
    assert tidy_summary("one two three four five", 14) == "one two three…"
    assert tidy_summary("abcdefghijklmnop", 8) == "abcdefg…"
