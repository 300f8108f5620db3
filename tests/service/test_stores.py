"""Differential: the PostgreSQL store ranks keyword queries as the SQLite store does.

SQLite FTS5's ``bm25()`` is the reference (the SQLite store is the default and its
rankings are what the query tests expect). A seeded generator writes repositories from
the words of the fixture corpus (names, descriptions, topics, summaries and READMEs of
varying lengths) and queries of one to four of those words; both stores index the same
repositories and answer the same queries, and the test prints how many queries ran and
how many got the same results in the same order.

The generated words are ASCII: FTS5's ``remove_diacritics 2`` folds accents, which the
PostgreSQL store does not (no ``unaccent``), so "naïve" and "naive" are one word only there.
History: with PostgreSQL's ``english`` configuration (Porter2 stemmer, stopwords, URLs as one
token) 274 of 300 queries agreed on the first result; with the Porter stemmer, no stopwords
and FTS5's word splitting, all 300 do.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from corpus import CORPUS
from pg import PostgresServer
from ragstar.ranking import query_terms
from ragstar.store import IndexedRepository, RepoRef, Store
from ragstar.store_pg import PostgresStore

SEED = 20261202
REPOSITORIES = 80
QUERIES = 300
TOP = 5

VOCABULARY = sorted(
    {
        word
        for repo in CORPUS
        for word in re.findall(r"[a-z]{3,}", " ".join([repo.description, " ".join(repo.topics), repo.summary, repo.readme]).lower())
    }
)


def generated_repositories(rng: random.Random) -> list[IndexedRepository]:
    def text(low: int, high: int) -> str:
        return " ".join(rng.choice(VOCABULARY) for _ in range(rng.randint(low, high)))

    return [
        IndexedRepository(
            owner=f"owner{n % 13}",
            name=f"{rng.choice(VOCABULARY)}-{n}",
            url=f"https://github.com/owner{n % 13}/repo-{n}",
            description=text(3, 15),
            topics=tuple(sorted({rng.choice(VOCABULARY) for _ in range(rng.randint(0, 5))})),
            stars=n,
            readme=text(0, 400),
            summary=text(10, 60),
            summary_model="llama3.2",
        )
        for n in range(REPOSITORIES)
    ]


def ranked_names(store: Store | PostgresStore, query: str) -> list[str]:
    scores = store.keyword_scores(query_terms(query), TOP * 4)
    by_id = store.repositories_by_id(list(scores))
    order = sorted(scores, key=lambda key: (-scores[key], key))[:TOP]
    return [by_id[key].full_name for key in order]


@pytest.fixture
def stores(tmp_path: Path, postgres_server: PostgresServer) -> Iterator[tuple[Store, PostgresStore]]:
    name = postgres_server.create_database()
    sqlite, postgres = Store.open(tmp_path), PostgresStore.open(postgres_server.url(name))
    yield sqlite, postgres
    sqlite.close()
    postgres.close()
    postgres_server.drop_database(name)


def test_keyword_rankings_agree_between_the_stores(stores: tuple[Store, PostgresStore]) -> None:
    sqlite, postgres = stores
    repositories = generated_repositories(random.Random(SEED))
    refs = [RepoRef(repo.owner, repo.name, repo.url) for repo in repositories]
    for store in stores:  # the service's own path: a job, claimed, each repository recorded
        job = store.create_job(refs)
        claimed = store.claim_next_job("differential", 30)
        assert claimed is not None and claimed.id == job.id
        for position, repo in enumerate(repositories):
            store.record_item(job.id, position, owner="differential", repository=repo)
    rng = random.Random(SEED + 1)
    queries = [" ".join(rng.choice(VOCABULARY) for _ in range(rng.randint(1, 4))) for _ in range(QUERIES)]
    same_order = same_top1 = 0
    differing: list[str] = []
    for query in queries:
        a, b = ranked_names(sqlite, query), ranked_names(postgres, query)
        same_order += a == b
        same_top1 += a[:1] == b[:1]
        if a != b and len(differing) < 5:
            differing.append(f"  {query!r}: sqlite {a} postgres {b}")
    print(
        f"\n{QUERIES} queries (seed {SEED}) on {REPOSITORIES} generated repositories: "
        f"{same_order} agreed on the top {TOP} in order, {same_top1} on the first result"
    )
    print("\n".join(differing))
    assert same_order == QUERIES
