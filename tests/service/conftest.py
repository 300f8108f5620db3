"""Shared fixtures: the GitHub and Ollama fakes, settings pointing at them, app clients,
and the store: every test that uses ``make_settings`` (or ``client``) runs twice, on the
SQLite store and on the PostgreSQL store (a real server, tests/service/pg.py, one fresh
database per test), unless it is marked ``sqlite_only`` (it is about the data directory
or the SQLite file itself).

``RAGSTAR_TEST_STORES=sqlite`` (or ``postgres``) runs one store only, for a quick run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import os

from fakes import FakeGitHub, FakeOllama
from helpers import ADMIN_TOKEN
from pg import PostgresServer, start_server
from ragstar.api import create_app
from ragstar.config import Settings

STORES = ("sqlite", "postgres")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: the test is about the SQLite store's data directory or file")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run each test that takes ``store_kind`` once per store."""
    if "store_kind" not in metafunc.fixturenames:
        return
    wanted = [kind for kind in os.environ.get("RAGSTAR_TEST_STORES", ",".join(STORES)).split(",") if kind]
    unknown = set(wanted) - set(STORES)
    if unknown:
        raise pytest.UsageError(f"RAGSTAR_TEST_STORES: unknown store {sorted(unknown)}; valid: {', '.join(STORES)}")
    kinds = ["sqlite"] if metafunc.definition.get_closest_marker("sqlite_only") else wanted
    metafunc.parametrize("store_kind", [k for k in kinds if k in wanted] or ["sqlite"])


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """Debian's PostgreSQL, started once for the session."""
    server = start_server()
    yield server
    server.stop()


@pytest.fixture
def database_url(store_kind: str, request: pytest.FixtureRequest) -> Iterator[str | None]:
    """A fresh PostgreSQL database's URL for the postgres runs, ``None`` for SQLite."""
    if store_kind != "postgres":
        yield None
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = server.create_database()
    yield server.url(name)
    server.drop_database(name)

@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    server = FakeGitHub().start()
    yield server
    server.stop()


@pytest.fixture
def ollama() -> Iterator[FakeOllama]:
    server = FakeOllama().start()
    yield server
    if server.hold_generate is not None:
        server.hold_generate.set()
    server.stop()


@pytest.fixture
def make_settings(
    tmp_path: Path, github: FakeGitHub, ollama: FakeOllama, database_url: str | None
) -> Callable[..., Settings]:
    """Settings for the fakes with tiny backoffs, on this run's store; keyword arguments override."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": database_url,
            "db_path": tmp_path,
            "github_api_url": github.url,
            "ollama_base_url": ollama.url,
            "http_timeout_seconds": 5,
            "ollama_timeout_seconds": 5,
            "max_retries": 3,
            "retry_backoff_seconds": 0.01,
            "rate_limit_max_wait_seconds": 3,
            "admin_token": ADMIN_TOKEN,
        }
        values.update(overrides)
        return Settings.model_validate(values)

    return make


@pytest.fixture
def client(make_settings: Callable[..., Settings]) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings())) as test_client:
        yield test_client
