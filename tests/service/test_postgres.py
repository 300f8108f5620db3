"""The PostgreSQL store's own rules, on a real server (tests/service/pg.py): one migration
however many processes start together, jobs shared by several service processes (each run
exactly once; a killed process's job taken over after its lease), a stopping process's job
queued again, and errors that name the database but never its password.

The behaviour suite (test_api, test_build, test_query, ...) runs on this store too
(conftest.py); these are the tests only PostgreSQL's mode has.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient

from corpus import CORPUS
from fakes import FakeGitHub, FakeOllama, closed_port_url
from helpers import ADMIN_TOKEN, wait_for_job
from pg import APP_PASSWORD, PostgresServer
from ragstar.api import create_app
from ragstar.config import Settings
from ragstar.store_pg import SCHEMA_VERSION, PostgresStore

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture
def url(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh database of the session's server."""
    name = postgres_server.create_database()
    yield postgres_server.url(name)
    postgres_server.drop_database(name)


def settings_for(url: str, github: FakeGitHub, ollama: FakeOllama, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": url,
        "db_path": tmp_path,
        "github_api_url": github.url,
        "ollama_base_url": ollama.url,
        "retry_backoff_seconds": 0.01,
        "admin_token": ADMIN_TOKEN,
    }
    values.update(overrides)
    return Settings.model_validate(values)


class ServiceProcess:
    """``uvicorn ragstar.api:app`` on a unix socket, configured by environment variables."""

    def __init__(self, tmp_path: Path, name: str, env: dict[str, str]) -> None:
        self.socket = tmp_path / f"{name}.sock"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "ragstar.api:app", "--uds", str(self.socket)],
            env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(SRC), **env},
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.http = httpx.Client(transport=httpx.HTTPTransport(uds=str(self.socket)), base_url="http://ragstar", timeout=10)

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self.http.get("/ready").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert self.process.poll() is None, self.output()
            assert time.monotonic() < deadline, "uvicorn did not become ready"
            time.sleep(0.05)

    def output(self) -> str:
        if self.process.poll() is None:
            self.process.kill()
        out, _ = self.process.communicate(timeout=10)
        return out

    def stop(self) -> str:
        self.http.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.output()


def service_env(url: str, github: FakeGitHub, ollama: FakeOllama, lease: float = 30) -> dict[str, str]:
    return {
        "RAGSTAR_DATABASE_URL": url,
        "RAGSTAR_GITHUB_API_URL": github.url,
        "RAGSTAR_OLLAMA_BASE_URL": ollama.url,
        "RAGSTAR_RETRY_BACKOFF_SECONDS": "0.01",
        "RAGSTAR_JOB_LEASE_SECONDS": str(lease),
    }


def generated(ollama: FakeOllama) -> int:
    """Summaries the fake model wrote: one per repository indexed."""
    return len(ollama.paths("/api/generate"))


def test_processes_starting_together_apply_each_migration_once(url: str) -> None:
    code = "import sys; from ragstar.store_pg import PostgresStore; PostgresStore.open(sys.argv[1]).close()"
    starts = [
        subprocess.Popen([sys.executable, "-c", code, url], env={"PYTHONPATH": str(SRC)}, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    errors = [p.communicate(timeout=60)[1] for p in starts]
    assert [p.returncode for p in starts] == [0, 0, 0], errors
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT version, count(*) FROM ragstar_migrations GROUP BY version ORDER BY version").fetchall()
        tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()}
    assert rows == [(v, 1) for v in range(1, SCHEMA_VERSION + 1)]
    assert {"jobs", "job_items", "repositories", "ragstar_migrations"} <= tables


def test_three_processes_share_the_jobs_and_run_each_exactly_once(
    url: str, github: FakeGitHub, ollama: FakeOllama, tmp_path: Path
) -> None:
    services = [ServiceProcess(tmp_path, f"ragstar-{i}", service_env(url, github, ollama)) for i in range(3)]
    try:
        for service in services:
            service.wait_ready()
        jobs = []
        for n in range(12):
            repos = [CORPUS[n % len(CORPUS)].url, CORPUS[(n + 1) % len(CORPUS)].url]
            response = services[n % 3].http.post("/build", json={"repositories": repos})
            assert response.status_code == 202, response.text
            jobs.append(response.json()["job_id"])
        reports = []
        for job_id in jobs:
            deadline = time.monotonic() + 60
            while (report := services[0].http.get(f"/jobs/{job_id}").json())["status"] not in ("succeeded", "failed", "partially_failed"):
                assert time.monotonic() < deadline, report
                time.sleep(0.05)
            reports.append(report)
    finally:
        outputs = [service.stop() for service in services]
    assert [r["status"] for r in reports] == ["succeeded"] * 12, outputs
    assert [r["attempts"] for r in reports] == [1] * 12
    owners = {r["owner"] for r in reports}
    assert all(owner and owner.count(":") == 2 for owner in owners)
    print(f"12 jobs of 2 repositories on 3 processes: owners {len(owners)}, summaries written {generated(ollama)}")
    assert generated(ollama) == 24  # each repository of each job summarised once: nothing done twice


def test_a_killed_process_job_is_taken_over_after_its_lease(
    url: str, github: FakeGitHub, ollama: FakeOllama, tmp_path: Path
) -> None:
    lease = 2.0
    first = ServiceProcess(tmp_path, "first", service_env(url, github, ollama, lease))
    second: ServiceProcess | None = None
    try:
        first.wait_ready()
        ollama.hold_generate = threading.Event()
        repos = [repo.url for repo in CORPUS[:3]]
        job_id = first.http.post("/build", json={"repositories": repos}).json()["job_id"]
        assert ollama.generate_started.wait(10)
        owner = first.http.get(f"/jobs/{job_id}").json()["owner"]
        assert owner.split(":")[1] == str(first.process.pid)
        first.process.kill()  # SIGKILL mid-job: no shutdown, the lease is left to expire
        first.process.wait(10)
        killed_at = time.monotonic()
        ollama.hold_generate.set()
        ollama.hold_generate = None
        second = ServiceProcess(tmp_path, "second", service_env(url, github, ollama, lease))
        second.wait_ready()
        deadline = time.monotonic() + 60
        while (report := second.http.get(f"/jobs/{job_id}").json())["status"] == "running" and report["owner"] == owner:
            assert time.monotonic() < deadline, report
            time.sleep(0.05)
        report = wait_for_job(second.http, job_id, timeout=60)  # type: ignore[arg-type]
        taken_over = time.monotonic() - killed_at
    finally:
        first.http.close()
        if second is not None:
            second.stop()
    assert report["status"] == "succeeded"
    assert report["attempts"] == 2
    assert report["owner"] != owner and report["owner"].split(":")[1] == str(second.process.pid)
    assert [r["status"] for r in report["repositories"]] == ["succeeded"] * 3
    print(f"taken over and finished {taken_over:.1f} s after SIGKILL (lease {lease} s)")
    # The killed process recorded nothing (its summary was in flight); the second did all three.
    assert generated(ollama) == 4


def test_a_stopping_process_puts_its_job_back_in_the_queue_with_its_progress(
    url: str, github: FakeGitHub, ollama: FakeOllama, tmp_path: Path
) -> None:
    settings = settings_for(url, github, ollama, tmp_path)
    with TestClient(create_app(settings)) as client:
        first = client.post("/build", json={"repositories": [CORPUS[0].url]}).json()["job_id"]
        assert wait_for_job(client, first)["status"] == "succeeded"
        ollama.hold_generate = threading.Event()
        ollama.generate_started.clear()  # set by the first job: wait for this job's summary
        job_id = client.post("/build", json={"repositories": [CORPUS[1].url, CORPUS[2].url]}).json()["job_id"]
        assert ollama.generate_started.wait(5)
        stopping = time.monotonic()
    # Promptly: the model holds its answer for 30 s; the shutdown does not wait for it.
    assert time.monotonic() - stopping < 10
    ollama.hold_generate.set()
    ollama.hold_generate = None
    store = PostgresStore.open(url)
    try:
        job = store.get_job(job_id)
    finally:
        store.close()
    assert job is not None and job.status == "queued" and job.attempts == 1
    assert [i.status for i in job.items] == ["pending", "pending"]
    with TestClient(create_app(settings)) as client:  # a replica (or this one, restarted) finishes it
        report = wait_for_job(client, job_id)
    assert report["status"] == "succeeded" and report["attempts"] == 2


def test_a_newer_schema_is_refused(url: str, github: FakeGitHub, ollama: FakeOllama, tmp_path: Path) -> None:
    PostgresStore.open(url).close()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO ragstar_migrations (version, applied_by) VALUES (%s, 'a newer release')", (SCHEMA_VERSION + 1,))
    with TestClient(create_app(settings_for(url, github, ollama, tmp_path))) as client:
        response = client.get("/ready")
    assert response.status_code == 503
    assert response.json()["reason"].endswith(
        f"database schema version {SCHEMA_VERSION + 1} is newer than this RAGstar knows ({SCHEMA_VERSION}); "
        "refusing to use it (was a newer release rolled back?)"
    )


@pytest.mark.parametrize("problem", ["unreachable", "wrong password"])
def test_an_unusable_database_is_not_ready_and_the_password_stays_secret(
    problem: str, postgres_server: PostgresServer, github: FakeGitHub, ollama: FakeOllama,
    tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    secret = "canary-Pa55word-7c1e"
    if problem == "unreachable":
        port = closed_port_url().rsplit(":", 1)[1]
        url, expected = f"postgresql://ragstar:{secret}@127.0.0.1:{port}/ragstar", f"PostgreSQL 127.0.0.1:{port}/ragstar: "
    else:
        url = f"postgresql://ragstar:{secret}@127.0.0.1:{postgres_server.port}/postgres"
        expected = f"PostgreSQL 127.0.0.1:{postgres_server.port}/postgres: "
    with TestClient(create_app(settings_for(url, github, ollama, tmp_path))) as client:
        response = client.get("/ready")
        build = client.post("/build", json={"repositories": [CORPUS[0].url]})
    assert response.status_code == 503
    reason = response.json()["reason"]
    assert reason.startswith(f"store unavailable: {expected}") and "\n" not in reason
    if problem == "wrong password":
        assert "password authentication failed" in reason
    assert build.status_code == 503
    for text in (reason, build.text, caplog.text):
        assert secret not in text and APP_PASSWORD not in text
