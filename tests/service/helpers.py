"""Helpers for the service tests: waiting for jobs."""

from __future__ import annotations

import time
from typing import Any

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
