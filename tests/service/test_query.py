"""POST /query: BM25 ranking on the fixture corpus, and the hybrid ranking with embeddings."""

from __future__ import annotations

import socket
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from corpus import CORPUS
from fakes import FakeOllama, closed_port_url
from helpers import build
from ragstar.api import create_app
from ragstar.config import Settings
from ragstar import cpus
from ragstar.store import DB_FILENAME
from ragstar.store_pg import POOL_MAX_CONNECTIONS
from ragstar.stores import uses_postgres

EMBEDDING_MODEL = "nomic-embed-text"


@pytest.fixture
def indexed(client: TestClient) -> TestClient:
    """A client whose index holds the whole fixture corpus (keyword mode)."""
    assert build(client, [repo.url for repo in CORPUS])["status"] == "succeeded"
    return client


@pytest.fixture
def hybrid(make_settings: Callable[..., Settings]) -> Iterator[TestClient]:
    """A client with an embedding model whose index holds the whole fixture corpus."""
    with TestClient(create_app(make_settings(ollama_embedding_model=EMBEDDING_MODEL))) as client:
        assert build(client, [repo.url for repo in CORPUS])["status"] == "succeeded"
        yield client


def ask(client: TestClient, query: str, num_results: int = 10) -> dict[str, Any]:
    response = client.post("/query", json={"query": query, "num_results": num_results})
    assert response.status_code == 200, response.text
    return response.json()


def names(result: dict[str, Any]) -> list[str]:
    return [hit["name"] for hit in result["results"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("fuzzy finder for the command line", ["junegunn/fzf", "BurntSushi/ripgrep", "encode/httpx"]),
        ("search files for a regex pattern", ["BurntSushi/ripgrep", "junegunn/fzf", "facebookresearch/faiss"]),
        ("similarity search over dense vectors", ["facebookresearch/faiss", "BurntSushi/ripgrep"]),
        ("grep", ["BurntSushi/ripgrep"]),
        ("GREP!", ["BurntSushi/ripgrep"]),
    ],
)
def test_keyword_ranking_order(indexed: TestClient, query: str, expected: list[str]) -> None:
    result = ask(indexed, query)
    assert result["mode"] == "keyword"
    assert result["notice"] is None
    assert names(result) == expected


def test_keyword_ranking_top_hits_and_scores(indexed: TestClient) -> None:
    result = ask(indexed, "python http client")
    assert names(result)[:2] == ["encode/httpx", "psf/requests"]
    top, second = result["results"][:2]
    assert top["score"] == top["keyword_score"] == 1.0
    assert 0 < second["score"] < 1
    assert top["semantic_score"] is None
    assert top == {
        "name": "encode/httpx",
        "url": "https://github.com/encode/httpx",
        "description": "A next generation HTTP client for Python. 🦋",
        "topics": ["asyncio", "http", "python", "trio"],
        "summary": CORPUS[0].summary,
        "score": 1.0,
        "keyword_score": 1.0,
        "semantic_score": None,
    }
    scores = [hit["score"] for hit in result["results"]]
    assert scores == sorted(scores, reverse=True)

    question = ask(indexed, "Which Python web framework builds APIs?")
    assert names(question)[:3] == ["tiangolo/fastapi", "pallets/flask", "encode/httpx"]


def test_num_results_limits_the_answer(indexed: TestClient) -> None:
    assert names(ask(indexed, "python http client", num_results=1)) == ["encode/httpx"]
    assert len(ask(indexed, "python")["results"]) == 5  # the default


def test_fts_syntax_in_the_query_is_plain_text(indexed: TestClient) -> None:
    for query in ['"grep', "NEAR(grep regex)", "grep AND", "name:ripgrep", "regex*", "-grep", "^grep"]:
        assert names(ask(indexed, query))[0] == "BurntSushi/ripgrep", query


def test_no_match_and_no_words(indexed: TestClient) -> None:
    assert ask(indexed, "kubernetes operator")["results"] == []
    assert ask(indexed, "things that look alike")["results"] == []
    assert ask(indexed, "?!…")["results"] == []


def test_query_on_an_empty_index(client: TestClient) -> None:
    assert ask(client, "http")["results"] == []


def test_searches_run_on_the_search_threads_one_per_cpu_with_sqlite(
    make_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    # As if the cgroup allowed 3 CPUs (tests/service/test_cpus.py asks the kernel itself).
    monkeypatch.setattr(cpus, "available_cpus", lambda: 3)
    settings = make_settings(ollama_embedding_model=EMBEDDING_MODEL)
    with TestClient(create_app(settings)) as client:
        service = client.app.state.service  # type: ignore[attr-defined]
        # PostgreSQL: a search waits on the network, so one thread per pooled connection.
        expected = POOL_MAX_CONNECTIONS if uses_postgres(settings) else 3
        assert service.search_threads == expected
        assert service._search_pool._max_workers == expected
        assert build(client, [repo.url for repo in CORPUS])["status"] == "succeeded"
        ran_on: set[str] = set()
        rank = service._rank

        def spy(*args: Any) -> Any:
            ran_on.add(threading.current_thread().name)
            return rank(*args)

        service._rank = spy
        for question in ("python web framework", "fuzzy finder", "things that look alike", "http client"):
            assert ask(client, question)["mode"] == "hybrid"
        assert ran_on and all(name.startswith("ragstar-search") for name in ran_on), ran_on


@pytest.mark.sqlite_only
def test_a_store_that_cannot_open_fails_the_query_before_any_embedding(make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    # An Ollama that accepts connections and never answers: were it asked first, the query would
    # wait out http_timeout_seconds (5 s here) before the store's 503.
    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(16)
    try:
        settings = make_settings(
            database_url=None,
            db_path=tmp_path / "missing",
            ollama_embedding_model=EMBEDDING_MODEL,
            ollama_base_url=f"http://127.0.0.1:{hung.getsockname()[1]}",
        )
        with TestClient(create_app(settings)) as client:
            started = time.monotonic()
            response = client.post("/query", json={"query": "python web framework"})
            took = time.monotonic() - started
        assert response.status_code == 503, response.text
        assert "does not exist" in response.json()["detail"]
        assert took < 1.0, f"the query waited {took:.1f} s"
        hung.setblocking(False)
        with pytest.raises(BlockingIOError):
            hung.accept()  # nobody connected to Ollama
    finally:
        hung.close()


@pytest.mark.sqlite_only
def test_a_damaged_stored_embedding_falls_back_to_keywords_with_a_notice(hybrid: TestClient, tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / DB_FILENAME) as conn:
        # Every vector 6 bytes, not a whole number of float32 (a vector of another length than
        # most is left out instead: test_vectors).
        conn.execute("UPDATE repositories SET embedding = x'000102030405'")
    service = hybrid.app.state.service  # type: ignore[attr-defined]
    service._store._repository_writes += 1  # a write of this process's own would count it
    result = ask(hybrid, "python web framework")
    assert result["mode"] == "keyword"
    assert result["notice"].startswith("keyword ranking only: the stored embeddings could not be read: ")
    assert result["results"]


class FailedImports:
    """A finder at the end of ``sys.meta_path``: asked only for a module that no other finder
    found, that is, an import about to fail (after a search of every ``sys.path`` entry)."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        self.names.append(name)


def test_a_hybrid_query_tries_no_import_that_fails(hybrid: TestClient) -> None:
    # httpcore imports sniffio on every lock it takes; without it each import failed after a
    # search of sys.path, about 0.8 ms of CPU per embedding call (pyproject.toml, encode/httpcore#1103).
    ask(hybrid, "warm up", num_results=1)
    failed = FailedImports()
    sys.meta_path.append(failed)
    try:
        for question in ("python web framework", "fuzzy finder", "things that look alike"):
            assert ask(hybrid, question)["mode"] == "hybrid"
    finally:
        sys.meta_path.remove(failed)
    assert failed.names == []


def test_hybrid_ranking_finds_meaning_without_shared_words(hybrid: TestClient) -> None:
    # No repository text has these words (keyword ranking: test_no_match_and_no_words).
    result = ask(hybrid, "things that look alike", num_results=1)
    assert result["mode"] == "hybrid"
    assert result["notice"] is None
    (hit,) = result["results"]
    assert hit["name"] == "facebookresearch/faiss"
    assert hit["keyword_score"] == 0.0
    assert hit["semantic_score"] > 0.9
    assert hit["score"] == pytest.approx(0.5 * hit["semantic_score"])


def test_hybrid_ranking_order(hybrid: TestClient) -> None:
    result = ask(hybrid, "Which Python web framework builds APIs?", num_results=4)
    assert names(result) == ["tiangolo/fastapi", "pallets/flask", "encode/httpx", "psf/requests"]
    for hit in result["results"]:
        assert hit["score"] == pytest.approx(0.5 * hit["keyword_score"] + 0.5 * max(hit["semantic_score"], 0))
    # requests shares only "python" (in most documents, so worth nearly nothing to BM25)
    # with the question, but its embedding is close: it ranks above the unrelated rest.
    assert result["results"][3]["keyword_score"] < 0.001
    assert result["results"][3]["semantic_score"] > 0.8

    fuzzy = ask(hybrid, "fuzzy finder for the command line", num_results=2)
    assert names(fuzzy) == ["junegunn/fzf", "BurntSushi/ripgrep"]


def test_hybrid_falls_back_to_keywords_when_ollama_is_down(
    make_settings: Callable[..., Settings], ollama: FakeOllama
) -> None:
    settings = make_settings(ollama_embedding_model=EMBEDDING_MODEL)
    with TestClient(create_app(settings)) as client:
        build(client, [repo.url for repo in CORPUS])
    down = closed_port_url()
    with TestClient(create_app(make_settings(ollama_embedding_model=EMBEDDING_MODEL, ollama_base_url=down))) as client:
        result = ask(client, "search files for a regex pattern")
    assert result["mode"] == "keyword"
    assert result["notice"].startswith(
        f"keyword ranking only: the query could not be embedded: Ollama at {down} is unreachable"
    )
    assert result["notice"].endswith("(gave up after 1 attempt)")  # no retries while a client waits
    assert names(result) == ["BurntSushi/ripgrep", "junegunn/fzf", "facebookresearch/faiss"]


def test_hybrid_without_stored_embeddings_says_so(make_settings: Callable[..., Settings]) -> None:
    with TestClient(create_app(make_settings())) as client:  # indexed without embeddings
        build(client, [repo.url for repo in CORPUS])
    with TestClient(create_app(make_settings(ollama_embedding_model=EMBEDDING_MODEL))) as client:
        result = ask(client, "regex")
    assert result["mode"] == "hybrid"
    assert result["notice"] == (
        f"no stored repository has an embedding from {EMBEDDING_MODEL} of this size; "
        "rebuild the index to rank by similarity"
    )
    assert names(result) == ["BurntSushi/ripgrep"]


def test_hybrid_scores_are_cosines_of_the_unit_query_vector(hybrid: TestClient) -> None:
    """The fake model's vectors are not unit vectors (a query's norm is about 2.8): the service
    normalises the query as it does the stored vectors, so a semantic score stays a cosine."""
    hits = hybrid.post("/query", json={"query": "fuzzy finder for the command line", "num_results": 10}).json()["results"]
    assert hits and all(-1.0 <= hit["semantic_score"] <= 1.0 + 1e-6 for hit in hits if hit["semantic_score"] is not None)
    assert max(hit["semantic_score"] for hit in hits) > 0.5


def test_hybrid_sees_a_repository_indexed_after_the_first_query(make_settings: Callable[..., Settings]) -> None:
    """The embedding matrix is cached; indexing (or clearing) must show in the next query."""
    with TestClient(create_app(make_settings(ollama_embedding_model=EMBEDDING_MODEL))) as client:
        build(client, ["https://github.com/encode/httpx"])
        assert "BurntSushi/ripgrep" not in names(ask(client, "regular expression search tool"))
        build(client, ["https://github.com/BurntSushi/ripgrep"])
        after = ask(client, "regular expression search tool")
        assert names(after)[0] == "BurntSushi/ripgrep"
        assert after["results"][0]["semantic_score"] is not None
