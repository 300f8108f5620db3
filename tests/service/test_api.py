"""Tests for ragstar.api: liveness, readiness and start-up behaviour."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import ragstar.api
from ragstar.api import create_app
from ragstar.config import Settings


def client_for(db_path: Path) -> TestClient:
    """Return a test client for an app whose data directory is ``db_path``."""
    return TestClient(create_app(Settings(db_path=db_path)))


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "ro"
    path.mkdir()
    path.chmod(0o555)
    yield path
    path.chmod(0o755)


def test_health(tmp_path: Path) -> None:
    with client_for(tmp_path / "absent") as client:
        response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_when_data_dir_is_writable(tmp_path: Path) -> None:
    with client_for(tmp_path) as client:
        response = client.get("/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "store": "ok"}
    # The probe file is removed; the store's files are all that is left.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ragstar.lock", "ragstar.sqlite3"]


def test_not_ready_when_data_dir_is_missing(tmp_path: Path) -> None:
    missing = tmp_path / "absent"
    with client_for(missing) as client:
        response = client.get("/ready")
    assert response.status_code == 503
    assert response.json() == {
        "status": "not ready",
        "reason": f"data directory {missing} does not exist",
    }


def test_not_ready_when_data_path_is_a_file(tmp_path: Path) -> None:
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with client_for(a_file) as client:
        response = client.get("/ready")
    assert response.status_code == 503
    assert response.json()["reason"] == f"data directory {a_file} is not a directory"


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores permission bits")
def test_not_ready_when_data_dir_is_read_only(read_only_dir: Path) -> None:
    with client_for(read_only_dir) as client:
        response = client.get("/ready")
    assert response.status_code == 503
    assert response.json() == {
        "status": "not ready",
        "reason": f"data directory {read_only_dir} is not writable: Permission denied",
    }


def test_not_ready_when_writes_fail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Simulate a read-only mount (EROFS), which also stops root."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(ragstar.api.tempfile, "mkstemp", refuse)
    with client_for(tmp_path) as client:
        response = client.get("/ready")
    assert response.status_code == 503
    assert response.json() == {
        "status": "not ready",
        "reason": f"data directory {tmp_path} is not writable: Read-only file system",
    }


def test_settings_available_to_handlers(tmp_path: Path) -> None:
    settings = Settings(db_path=tmp_path, ollama_model="m1")
    assert create_app(settings).state.settings is settings


def run_uvicorn(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Start ``uvicorn ragstar.api:app`` expecting it to exit before serving."""
    return subprocess.run(
        [sys.executable, "-m", "uvicorn", "ragstar.api:app", "--port", "0"],
        env={"PATH": os.environ.get("PATH", ""), **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_bad_config_stops_uvicorn_with_one_line(tmp_path: Path) -> None:
    result = run_uvicorn({"RAGSTAR_LOG_LEVEL": "loud"}, cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("ragstar: configuration error: log_level: ")
    assert lines[0].endswith("(from env RAGSTAR_LOG_LEVEL)")


def test_secret_in_config_file_stops_uvicorn(tmp_path: Path) -> None:
    config = tmp_path / "ragstar.yaml"
    config.write_text("github_token: ghp_oops\n", encoding="utf-8")
    result = run_uvicorn({"RAGSTAR_CONFIG_PATH": str(config)}, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"ragstar: configuration error: github_token: secrets are not accepted in config file "
        f"{config}; set RAGSTAR_GITHUB_TOKEN or RAGSTAR_GITHUB_TOKEN_FILE instead"
    )
    assert "ghp_oops" not in result.stderr + result.stdout


def test_module_app_loads_config_from_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "ragstar.yaml"
    config.write_text(f"db_path: {tmp_path}\nollama_model: from-file\n", encoding="utf-8")
    monkeypatch.setenv("RAGSTAR_CONFIG_PATH", str(config))
    monkeypatch.setenv("RAGSTAR_LOG_LEVEL", "warning")
    ragstar.api._default_app.cache_clear()
    try:
        settings = ragstar.api.app.state.settings
        assert ragstar.api.app is ragstar.api.app  # created once
    finally:
        ragstar.api._default_app.cache_clear()
    assert (settings.db_path, settings.ollama_model, settings.log_level) == (
        tmp_path,
        "from-file",
        "warning",
    )


def test_openapi_documents_the_api(tmp_path: Path) -> None:
    with client_for(tmp_path) as client:
        schema = client.get("/openapi.json").json()
    operations = {
        (method.upper(), path) for path, methods in schema["paths"].items() for method in methods
    }
    assert operations == {
        ("GET", "/health"),
        ("GET", "/ready"),
        ("POST", "/build"),
        ("GET", "/jobs"),
        ("GET", "/jobs/{job_id}"),
        ("POST", "/jobs/{job_id}/rerun"),
        ("POST", "/jobs/{job_id}/cancel"),
        ("POST", "/query"),
        ("GET", "/summaries"),
        ("GET", "/summaries/{owner}/{name}"),
        ("POST", "/clear"),
    }
    assert schema["paths"]["/clear"]["post"]["security"] == [{"HTTPBearer": []}]
    for path in ("/build", "/jobs/{job_id}/rerun", "/jobs/{job_id}/cancel"):
        assert schema["paths"][path]["post"]["security"] == [{"HTTPBearer": []}]
    query = schema["components"]["schemas"]["QueryRequest"]["properties"]["num_results"]
    assert (query["minimum"], query["maximum"], query["default"]) == (1, 50, 5)


def test_startup_log_hides_credentials_in_urls(make_settings, caplog) -> None:  # type: ignore[no-untyped-def]
    import logging

    from fastapi.testclient import TestClient

    from ragstar.api import create_app

    settings = make_settings(ollama_base_url="http://ragstar:hunter2@ollama.internal:11434")
    with caplog.at_level(logging.INFO, logger="ragstar"), TestClient(create_app(settings)):
        pass
    assert "ollama_base_url=http://***@ollama.internal:11434" in caplog.text
    assert "hunter2" not in caplog.text
