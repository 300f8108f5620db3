"""Helpers for the service tests: waiting for jobs, a server process and its readiness."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

ADMIN_TOKEN = "test-admin-token-0123456789"


def wait_for_job(client: TestClient, job_id: str, timeout: float = 15.0) -> dict[str, Any]:
    """Poll ``GET /jobs/{id}`` until the job has finished; return its last report."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(f"/jobs/{job_id}")
        assert response.status_code == 200, response.text
        job = response.json()
        if job["status"] in ("succeeded", "partially_failed", "failed"):
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} did not finish in {timeout} s: {job}")
        time.sleep(0.02)


def build(client: TestClient, urls: list[str]) -> dict[str, Any]:
    """POST /build and wait for the job to finish."""
    response = client.post("/build", json={"repositories": urls})
    assert response.status_code == 202, response.text
    return wait_for_job(client, response.json()["job_id"])


def wait_until_ready(http: httpx.Client, process: subprocess.Popen[str], timeout: float = 20.0) -> None:
    """Poll ``GET /ready`` through ``http`` until it answers 200; fail with the server's output
    when ``process`` exits first, or after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if http.get("/ready").status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        assert time.monotonic() < deadline, f"the server did not become ready in {timeout} s"
        time.sleep(0.05)


@contextmanager
def ragstar_server(tmp_path: Path, config: str, data: Path | None = None) -> Iterator[tuple[subprocess.Popen[str], httpx.Client]]:
    """The image's server (``python -m ragstar``) on a unix socket in ``tmp_path``, with ``config``
    (YAML lines) as its ragstar.yaml and ``data`` (default: a new ``tmp_path/data``) as its data
    directory; yields the process and a client, once /ready answers 200. The process is killed
    afterwards if it is still running."""
    data = data or tmp_path / "data"
    data.mkdir(exist_ok=True)
    config_file = tmp_path / "ragstar.yaml"
    config_file.write_text(f"db_path: {data}\n{config}", encoding="utf-8")
    sock = tmp_path / "ragstar.sock"
    server = subprocess.Popen(
        [sys.executable, "-m", "ragstar", "--uds", str(sock)],
        env={"PATH": os.environ.get("PATH", ""), "RAGSTAR_CONFIG_PATH": str(config_file)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    http = httpx.Client(transport=httpx.HTTPTransport(uds=str(sock)), base_url="http://ragstar", timeout=10)
    try:
        wait_until_ready(http, server)
        yield server, http
    finally:
        http.close()
        if server.poll() is None:
            server.kill()
            server.wait()
