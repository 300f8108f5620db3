"""Storage: data survives restarts (both stores), and the SQLite store's own rules: interrupted
jobs are marked failed and can be rerun, SIGTERM, one process per data directory, the file's
schema version. The PostgreSQL store's counterparts are in test_postgres.py."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from corpus import CORPUS
from fakes import FakeGitHub, FakeOllama
from helpers import build, wait_for_job, wait_until_ready
from ragstar.api import create_app
from ragstar.config import Settings
from ragstar.store import DB_FILENAME, SCHEMA_VERSION, IndexedRepository, RepoRef, Store

HTTPX = RepoRef("encode", "httpx", "https://github.com/encode/httpx")
REQUESTS = RepoRef("psf", "requests", "https://github.com/psf/requests")


def test_index_and_jobs_survive_a_restart(make_settings: Callable[..., Settings], tmp_path: Path, store_kind: str) -> None:
    settings = make_settings()
    with TestClient(create_app(settings)) as client:
        job = build(client, [repo.url for repo in CORPUS])
        query = client.post("/query", json={"query": "search files for a regex pattern"}).json()
        summaries = client.get("/summaries").json()
    assert query["results"]  # something to compare

    with TestClient(create_app(settings)) as client:  # a new process on the same data directory
        assert client.get("/ready").json() == {"status": "ready", "store": "ok"}
        assert client.post("/query", json={"query": "search files for a regex pattern"}).json() == query
        assert client.get("/summaries").json() == summaries
        assert client.get(f"/jobs/{job['id']}").json() == job
    assert (tmp_path / DB_FILENAME).is_file() == (store_kind == "sqlite")


@pytest.mark.sqlite_only
def test_job_left_running_is_marked_interrupted_and_can_be_rerun(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    # A process that died mid-job: one repository done, one still pending.
    store = Store.open(tmp_path)
    job = store.create_job([HTTPX, REQUESTS])
    assert store.claim_next_job("dead-process") is not None
    repo = IndexedRepository("encode", "httpx", HTTPX.url, "d", ("http",), 1, "", "s", "llama3.2")
    store.record_item(job.id, 0, owner="dead-process", repository=repo)
    store.close()  # no interrupt_running_jobs: the process was killed

    with TestClient(create_app(make_settings())) as client:
        report = client.get(f"/jobs/{job.id}").json()
        assert report["status"] == "failed"
        assert report["error"] == (
            "interrupted: the service stopped while this job was running; "
            f"rerun it with POST /jobs/{job.id}/rerun"
        )
        assert [(i["repository"], i["status"], i["error"]) for i in report["repositories"]] == [
            ("encode/httpx", "succeeded", None),
            ("psf/requests", "failed", "interrupted"),
        ]
        assert report["finished_at"] is not None

        rerun = client.post(f"/jobs/{job.id}/rerun")
        assert rerun.status_code == 202
        assert rerun.json()["repositories"] == ["encode/httpx", "psf/requests"]
        new = wait_for_job(client, rerun.json()["job_id"])
        assert new["status"] == "succeeded"
        assert new["rerun_of"] == job.id
        assert client.get("/summaries").json()["total"] == 2


@pytest.mark.sqlite_only
def test_queued_job_runs_after_a_restart(make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    job = store.create_job([REQUESTS])
    store.close()
    with TestClient(create_app(make_settings())) as client:
        assert wait_for_job(client, job.id)["status"] == "succeeded"


def test_unfinished_job_cannot_be_rerun(client: TestClient, ollama: FakeOllama) -> None:
    ollama.hold_generate = threading.Event()
    job_id = client.post("/build", json={"repositories": [HTTPX.url]}).json()["job_id"]
    assert ollama.generate_started.wait(5)
    response = client.post(f"/jobs/{job_id}/rerun")
    assert response.status_code == 409
    assert response.json() == {"detail": f"job {job_id} is running; only a finished job can be rerun"}
    running = client.get(f"/jobs/{job_id}").json()
    assert running["status"] == "running"
    assert running["progress"] == {"total": 1, "done": 0, "succeeded": 0, "failed": 0, "pending": 1}
    ollama.hold_generate.set()
    assert wait_for_job(client, job_id)["status"] == "succeeded"


@pytest.mark.sqlite_only
def test_shutdown_stops_the_running_job_promptly(
    make_settings: Callable[..., Settings], ollama: FakeOllama, tmp_path: Path
) -> None:
    ollama.hold_generate = threading.Event()  # the model "thinks" for 30 s
    with TestClient(create_app(make_settings(ollama_timeout_seconds=60))) as client:
        job_id = client.post("/build", json={"repositories": [HTTPX.url, REQUESTS.url]}).json()["job_id"]
        assert ollama.generate_started.wait(5)
        stopping = time.monotonic()
    assert time.monotonic() - stopping < 2
    store = Store.open(tmp_path)
    try:
        job = store.get_job(job_id)
    finally:
        store.close()
    assert job is not None
    assert job.status == "failed"
    assert job.error == (
        f"interrupted: the service shut down while this job was running; rerun it with POST /jobs/{job_id}/rerun"
    )
    assert [(i.status, i.error) for i in job.items] == [("failed", "interrupted")] * 2


def test_sigterm_during_a_job(tmp_path: Path, github: FakeGitHub, ollama: FakeOllama) -> None:
    """The real server: uvicorn on a unix socket, SIGTERM while Ollama is answering."""
    data = tmp_path / "data"
    data.mkdir()
    config = tmp_path / "ragstar.yaml"
    config.write_text(
        f"db_path: {data}\ngithub_api_url: {github.url}\nollama_base_url: {ollama.url}\n"
        "ollama_timeout_seconds: 60\nretry_backoff_seconds: 0.01\n",
        encoding="utf-8",
    )
    socket_path = tmp_path / "ragstar.sock"
    ollama.hold_generate = threading.Event()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "ragstar.api:app", "--uds", str(socket_path)],
        env={"PATH": os.environ.get("PATH", ""), "RAGSTAR_CONFIG_PATH": str(config)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        with httpx.Client(transport=httpx.HTTPTransport(uds=str(socket_path)), base_url="http://ragstar") as http:
            wait_until_ready(http, server)
            response = http.post("/build", json={"repositories": [HTTPX.url, REQUESTS.url]})
            assert response.status_code == 202
            job_id = response.json()["job_id"]
            assert ollama.generate_started.wait(10)
        stopping = time.monotonic()
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=15)
        assert time.monotonic() - stopping < 5
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    # A clean shutdown; recent uvicorn re-raises the signal after it, so the status may be -SIGTERM.
    assert server.returncode in (0, -signal.SIGTERM), output
    assert "Application shutdown complete." in output
    assert f"job {job_id}: interrupted by shutdown" in output

    store = Store.open(data)
    try:
        job = store.get_job(job_id)
    finally:
        store.close()
    assert job is not None and job.status == "failed"
    assert job.error is not None and job.error.startswith("interrupted: the service shut down")


@pytest.mark.sqlite_only
def test_second_process_on_the_same_directory_waits(make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    holder = Store.open(tmp_path)
    try:
        with TestClient(create_app(make_settings())) as client:
            reason = (
                f"store unavailable: data directory {tmp_path} is in use by another RAGstar process "
                f"({tmp_path / 'ragstar.lock'} is locked)"
            )
            assert client.get("/ready").json() == {"status": "not ready", "reason": reason}
            response = client.post("/build", json={"repositories": [HTTPX.url]})
            assert response.status_code == 503
            assert response.json() == {"detail": reason}
            assert client.get("/health").status_code == 200
            holder.close()
            assert client.get("/ready").status_code == 200  # opened on demand once free
            assert build(client, [HTTPX.url])["status"] == "succeeded"
    finally:
        holder.close()


@pytest.mark.sqlite_only
def test_newer_schema_is_refused(make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / DB_FILENAME) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with TestClient(create_app(make_settings())) as client:
        response = client.get("/ready")
    assert response.status_code == 503
    assert response.json()["reason"] == (
        f"store unavailable: database schema version {SCHEMA_VERSION + 1} is newer than this RAGstar "
        f"knows ({SCHEMA_VERSION}); refusing to use it (was a newer release rolled back?)"
    )


@pytest.mark.sqlite_only
def test_not_a_database(make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    (tmp_path / DB_FILENAME).write_bytes(b"this is not an SQLite file" * 100)
    with TestClient(create_app(make_settings())) as client:
        response = client.get("/ready")
    assert response.status_code == 503
    assert response.json()["reason"] == (
        f"store unavailable: {tmp_path / DB_FILENAME}: file is not a database"
    )


def test_fresh_store_is_migrated_and_in_wal_mode(tmp_path: Path) -> None:
    Store.open(tmp_path).close()
    store = Store.open(tmp_path)  # a second open finds nothing to migrate
    store.close()
    with sqlite3.connect(tmp_path / DB_FILENAME) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"jobs", "job_items", "repositories", "repositories_fts"} <= tables


def test_read_connections_are_reused_see_every_commit_and_close_with_the_store(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    with store._read() as first:
        pass
    with store._read() as again:
        assert again is first  # the idle connection, not a new one
    before = store.repository_count()
    store.import_repositories([(IndexedRepository("encode", "httpx", "https://github.com/encode/httpx", "d", (), 1, "", "s", "llama3.2"), "2026-12-02T00:00:00.000Z")])
    assert store.repository_count() == before + 1  # a reused connection sees the commit
    with store._read(fresh=True) as fresh:
        assert fresh is not first
    # A read that fails does not hand its connection on.
    with pytest.raises(sqlite3.OperationalError), store._read() as broken:
        broken.execute("SELECT no_such_column FROM repositories")
    with store._read() as after:
        assert after is not broken
    store.close()
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        after.execute("SELECT 1")  # closed with the store


@pytest.mark.sqlite_only
def test_missing_data_directory(make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    missing = tmp_path / "absent"
    with TestClient(create_app(make_settings(db_path=missing))) as client:
        response = client.post("/query", json={"query": "http"})
        assert response.status_code == 503
        assert response.json() == {"detail": f"store unavailable: data directory {missing} does not exist"}
        missing.mkdir()
        assert client.get("/ready").json() == {"status": "ready", "store": "ok"}
        assert client.post("/query", json={"query": "http"}).status_code == 200


@pytest.mark.sqlite_only
@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores permission bits")
def test_read_only_data_directory(make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    tmp_path.chmod(0o555)
    try:
        with TestClient(create_app(make_settings())) as client:
            assert client.get("/ready").status_code == 503
    finally:
        tmp_path.chmod(0o755)
