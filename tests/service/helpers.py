"""Helpers for the service tests: waiting for jobs, and for a server process to be ready."""

from __future__ import annotations

import time
import subprocess
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
