"""Moving an index between the modes: ``python -m ragstar.copy_index`` (docs/database.md).

The whole fixture corpus is indexed with embeddings in SQLite, copied to PostgreSQL and back to a
new SQLite directory. Every copy answers the same queries with the same hits and the same
summaries. A second copy into a database that already holds repositories is refused and writes
nothing, and a SQLite target in use by a service is refused. The database password never
appears in the output.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from corpus import CORPUS
from helpers import build
from pg import PostgresServer
from ragstar.api import create_app
from ragstar.config import Settings
from ragstar.store import Store

pytestmark = pytest.mark.sqlite_only

EMBEDDING_MODEL = "nomic-embed-text"
QUERIES = ("http client for python", "command line parsing", "async web framework", "testing", "data frames")


def copy(source: str, target: str, url_file: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ragstar.copy_index", "--from", source, "--to", target],
        env={"PATH": os.environ.get("PATH", ""), "RAGSTAR_DATABASE_URL_FILE": str(url_file)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def answers(settings: Settings, scores: bool = True) -> dict[str, Any]:
    """What a service on ``settings`` answers: each query's hits (with their scores: the two stores'
    BM25 agree on the order, not on every digit, tests/service/test_stores.py), and every summary."""
    with TestClient(create_app(settings)) as client:
        result: dict[str, Any] = {}
        for query in QUERIES:
            response = client.post("/query", json={"query": query, "num_results": 5})
            assert response.status_code == 200, response.text
            body = response.json()
            result[query] = (body["mode"], [(hit["name"], round(hit["score"], 6) if scores else None) for hit in body["results"]])
        summaries = client.get("/summaries", params={"limit": 100}).json()
        result["summaries"] = sorted((s["name"], s["summary"], s["indexed_at"]) for s in summaries["summaries"])
        return result


def test_sqlite_to_postgres_and_back_answers_the_same(
    tmp_path: Path, make_settings: Callable[..., Settings], postgres_server: PostgresServer
) -> None:
    sqlite_dir = tmp_path / "sqlite"
    sqlite_dir.mkdir()
    source = make_settings(db_path=sqlite_dir, ollama_embedding_model=EMBEDDING_MODEL)
    with TestClient(create_app(source)) as client:
        assert build(client, [repo.url for repo in CORPUS])["status"] == "succeeded"
    before = answers(source)
    assert before[QUERIES[0]][0] == "hybrid" and before[QUERIES[0]][1]

    database = postgres_server.create_database()
    url = postgres_server.url(database)
    url_file = tmp_path / "database_url"
    url_file.write_text(url, encoding="utf-8")
    password = url.split(":")[2].split("@")[0]
    try:
        there = copy(f"sqlite:{sqlite_dir}", "postgres", url_file)
        assert there.returncode == 0, there.stderr
        assert there.stdout.startswith(f"copied {len(CORPUS)} repositories ({len(CORPUS)} with an embedding) from SQLite {sqlite_dir}/ragstar.sqlite3 to PostgreSQL ")
        assert password not in there.stdout + there.stderr
        assert answers(make_settings(database_url=url, ollama_embedding_model=EMBEDDING_MODEL), scores=False) == answers(source, scores=False)

        # Again into the same database: refused, nothing written, one line without the password.
        again = copy(f"sqlite:{sqlite_dir}", "postgres", url_file)
        assert again.returncode == 1
        assert again.stderr.startswith(f"ragstar.copy_index: PostgreSQL ") and again.stderr.rstrip().endswith(f"already holds {len(CORPUS)} repositories")
        assert again.stderr.count("\n") == 1 and password not in again.stderr

        back_dir = tmp_path / "back" / "new"  # created by the copy
        back = copy("postgres", f"sqlite:{back_dir}", url_file)
        assert back.returncode == 0, back.stderr
        assert answers(make_settings(db_path=back_dir, ollama_embedding_model=EMBEDDING_MODEL)) == before
    finally:
        postgres_server.drop_database(database)


def test_a_sqlite_target_in_use_and_bad_usage_are_refused(tmp_path: Path, make_settings: Callable[..., Settings]) -> None:
    live, empty = tmp_path / "live", tmp_path / "empty"
    live.mkdir()
    empty.mkdir()
    Store.open(empty).close()
    url_file = tmp_path / "database_url"
    url_file.write_text("postgresql://u:p@127.0.0.1:1/db", encoding="utf-8")
    with TestClient(create_app(make_settings(db_path=live))):
        in_use = copy(f"sqlite:{empty}", f"sqlite:{live}", url_file)
    assert in_use.returncode == 1
    assert in_use.stderr == f"ragstar.copy_index: data directory {live} is in use by another RAGstar process ({live}/ragstar.lock is locked)\n"
    missing = copy(f"sqlite:{tmp_path / 'nowhere'}", f"sqlite:{live}", url_file)
    assert missing.returncode == 1
    assert missing.stderr == f"ragstar.copy_index: no SQLite index at {tmp_path / 'nowhere'}/ragstar.sqlite3\n"
    usage = copy("mysql:x", "postgres", url_file)
    assert usage.returncode == 2
    assert "'mysql:x': expected sqlite:DIR or postgres" in usage.stderr
