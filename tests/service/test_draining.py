"""Draining on SIGTERM: the image's server (``python -m ragstar``), on a unix socket.

On the first stop signal /ready answers 503 at once while everything else is still served and
new connections are accepted, for ``drain_seconds``; then the server stops accepting, waits at
most ``shutdown_timeout_seconds`` for requests in flight (a client trickling its body included),
lets the repository being indexed finish in what is left, and exits, all inside the budget.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from ragstar.store import RepoRef, Store
from fakes import FakeGitHub, FakeOllama
from helpers import ragstar_server

pytestmark = pytest.mark.sqlite_only

HTTPX = RepoRef("encode", "httpx", "https://github.com/encode/httpx")
DRAIN = 2.0
SHUTDOWN_TIMEOUT = 3.0


@contextmanager
def draining_server(tmp_path: Path, github: FakeGitHub, ollama: FakeOllama) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    config = (
        f"github_api_url: {github.url}\nollama_base_url: {ollama.url}\n"
        f"drain_seconds: {DRAIN}\nshutdown_timeout_seconds: {SHUTDOWN_TIMEOUT}\nretry_backoff_seconds: 0.01\n"
    )
    with ragstar_server(tmp_path, config) as (server, http):
        http.close()  # each test opens the connections it means to
        yield server, tmp_path / "ragstar.sock"


def client(sock: Path) -> httpx.Client:
    # A new connection per request: what a kube-proxy'd client after the drain would open.
    return httpx.Client(transport=httpx.HTTPTransport(uds=str(sock)), base_url="http://ragstar", timeout=5, headers={"Connection": "close"})


def test_sigterm_fails_ready_at_once_serves_during_the_drain_then_exits_inside_the_budget(
    tmp_path: Path, github: FakeGitHub, ollama: FakeOllama
) -> None:
    with draining_server(tmp_path, github, ollama) as (server, sock):
        keepalive = httpx.Client(transport=httpx.HTTPTransport(uds=str(sock)), base_url="http://ragstar", timeout=5)
        assert "connection" not in keepalive.get("/health").headers
        with client(sock) as http:
            stopping = time.monotonic()
            server.send_signal(signal.SIGTERM)
            # /ready turns 503 at once; everything else is still served, on new connections.
            ready = http.get("/ready")
            first_503 = time.monotonic() - stopping
            assert ready.status_code == 503
            assert ready.json() == {"status": "not ready", "reason": "draining: the server is shutting down"}
            assert first_503 < 0.5
            # A client on a keep-alive connection is told to open a new one (routed elsewhere).
            assert keepalive.get("/health").headers["connection"] == "close"
            keepalive.close()
            served = 0
            while time.monotonic() - stopping < DRAIN - 0.5:
                assert http.get("/health").status_code == 200
                assert http.post("/query", json={"query": "http client"}).status_code == 200
                served += 2
                time.sleep(0.1)
            assert served >= 10
        output, _ = server.communicate(timeout=DRAIN + SHUTDOWN_TIMEOUT + 10)
        stopped = time.monotonic() - stopping
    # Drained for DRAIN seconds, nothing in flight afterwards: the exit follows the drain.
    assert DRAIN <= stopped < DRAIN + 2, output
    assert server.returncode in (0, -signal.SIGTERM), output
    assert f"draining for {DRAIN:.1f} s" in output
    assert "Application shutdown complete." in output


def test_a_client_trickling_its_body_does_not_hold_the_exit_past_the_budget(
    tmp_path: Path, github: FakeGitHub, ollama: FakeOllama
) -> None:
    """Issue 17, defect 4: one slow client kept the process alive 55 s after SIGTERM."""
    with draining_server(tmp_path, github, ollama) as (server, sock):
        slow = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        slow.connect(str(sock))
        slow.sendall(b"POST /query HTTP/1.1\r\nHost: ragstar\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n{")
        stop_trickle = threading.Event()

        def trickle() -> None:
            while not stop_trickle.wait(0.2):
                try:
                    slow.sendall(b" ")
                except OSError:
                    return

        threading.Thread(target=trickle, daemon=True).start()
        try:
            time.sleep(0.3)
            stopping = time.monotonic()
            server.send_signal(signal.SIGTERM)
            output, _ = server.communicate(timeout=DRAIN + SHUTDOWN_TIMEOUT + 15)
            stopped = time.monotonic() - stopping
        finally:
            stop_trickle.set()
            slow.close()
    # Drain, then at most the shutdown timeout for the request in flight, then the exit.
    assert DRAIN + SHUTDOWN_TIMEOUT - 1 <= stopped < DRAIN + SHUTDOWN_TIMEOUT + 2, output
    assert server.returncode in (0, -signal.SIGTERM), output


def test_the_repository_being_indexed_may_finish_in_what_is_left_of_the_budget(
    tmp_path: Path, github: FakeGitHub, ollama: FakeOllama
) -> None:
    ollama.hold_generate = threading.Event()
    with draining_server(tmp_path, github, ollama) as (server, sock):
        with client(sock) as http:
            job_id = http.post("/build", json={"repositories": [HTTPX.url]}).json()["job_id"]
            assert ollama.generate_started.wait(10)
            stopping = time.monotonic()
            server.send_signal(signal.SIGTERM)
            # Ollama answers 1 s after the drain: inside the shutdown budget, so the step completes.
            threading.Timer(DRAIN + 1.0, ollama.hold_generate.set).start()
        output, _ = server.communicate(timeout=DRAIN + SHUTDOWN_TIMEOUT + 10)
        stopped = time.monotonic() - stopping
    assert stopped < DRAIN + SHUTDOWN_TIMEOUT + 2, output
    store = Store.open(tmp_path / "data")
    try:
        job = store.get_job(job_id)
        indexed = store.get_repository(HTTPX.owner, HTTPX.name)
    finally:
        store.close()
    assert indexed is not None, output
    assert job is not None and job.items[0].status == "succeeded", output
