"""Shared fixtures: the GitHub and Ollama fakes, settings pointing at them, app clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from fakes import FakeGitHub, FakeOllama
from helpers import ADMIN_TOKEN
from ragstar.api import create_app
from ragstar.config import Settings

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
def make_settings(tmp_path: Path, github: FakeGitHub, ollama: FakeOllama) -> Callable[..., Settings]:
    """Settings for the fakes with tiny backoffs; keyword arguments override."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
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
