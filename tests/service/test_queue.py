"""Issue 17, defect 6: the build queue was unbounded (ten seconds of POST /build queued 3,347 jobs),
unauthenticated and could not be cancelled. Now: ``max_queued_jobs`` and ``max_queued_repositories``
answer 429 with Retry-After past them, an optional ``build_token`` protects the endpoints that queue
or cancel work, and ``POST /jobs/{id}/cancel`` cancels a queued or running job. On both stores.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from fakes import FakeGitHub, GatedGitHub
from helpers import ADMIN_TOKEN, wait_for_job
from ragstar.api import QUEUE_FULL_RETRY_AFTER_SECONDS, create_app
from ragstar.config import Settings

BUILD_TOKEN = "test-build-token-9876543210"
HTTPX = "https://github.com/encode/httpx"
REQUESTS = "https://github.com/psf/requests"
SLOW = GatedGitHub.URL


@pytest.fixture
def gated() -> Iterator[GatedGitHub]:
    server = GatedGitHub().start()
    yield server
    server.gate.set()
    server.stop()


def app_client(make_settings: Callable[..., Settings], github: FakeGitHub, **overrides: Any) -> TestClient:
    return TestClient(create_app(make_settings(github_api_url=github.url, **overrides)))


def wait_status(client: TestClient, job_id: str, status: str, timeout: float = 10) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while (job := client.get(f"/jobs/{job_id}").json())["status"] != status:
        assert time.monotonic() < deadline, job
        time.sleep(0.02)
    return job


def test_a_full_queue_answers_429_with_retry_after(make_settings: Callable[..., Settings], gated: GatedGitHub) -> None:
    with app_client(make_settings, gated, max_queued_jobs=2, max_queued_repositories=3) as client:
        running = client.post("/build", json={"repositories": [SLOW]}).json()["job_id"]
        wait_status(client, running, "running")
        queued = [client.post("/build", json={"repositories": [url]}) for url in (HTTPX, REQUESTS)]
        assert [r.status_code for r in queued] == [202, 202]
        # Two jobs queued: a third is refused, with the documented JSON body and Retry-After.
        refused = client.post("/build", json={"repositories": [HTTPX]})
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == str(QUEUE_FULL_RETRY_AFTER_SECONDS)
        assert refused.json() == {
            "detail": "the build queue is full (2 jobs and 2 repositories queued; limits: max_queued_jobs 2, "
            "max_queued_repositories 3); retry later"
        }
        # Cancelling a queued job frees its place; a request that would pass the repository bound is refused.
        assert client.post(f"/jobs/{queued[0].json()['job_id']}/cancel").status_code == 200
        too_many = client.post("/build", json={"repositories": [HTTPX, "https://github.com/a/b", "https://github.com/c/d"]})
        assert too_many.status_code == 429
        assert "(1 jobs and 1 repositories queued" in too_many.json()["detail"]
        assert client.post("/build", json={"repositories": [HTTPX, "https://github.com/a/b"]}).status_code == 202
        gated.gate.set()


def test_cancel_a_queued_job_and_a_running_one(make_settings: Callable[..., Settings], gated: GatedGitHub) -> None:
    with app_client(make_settings, gated) as client:
        running = client.post("/build", json={"repositories": [SLOW, REQUESTS]}).json()["job_id"]
        wait_status(client, running, "running")
        queued = client.post("/build", json={"repositories": [HTTPX]}).json()["job_id"]

        cancelled = client.post(f"/jobs/{queued}/cancel")
        assert cancelled.status_code == 200
        body = cancelled.json()
        assert (body["status"], body["error"]) == ("failed", "cancelled")
        assert [(i["repository"], i["status"], i["error"]) for i in body["repositories"]] == [("encode/httpx", "failed", "not attempted: cancelled")]

        # The running job: cancelled at once in the store; the runner finds out at its next write
        # (the repository it is indexing finishes, and is not recorded) and moves on.
        assert client.post(f"/jobs/{running}/cancel").json()["error"] == "cancelled"
        gated.gate.set()
        after = client.post("/build", json={"repositories": [HTTPX]}).json()["job_id"]
        assert wait_for_job(client, after)["status"] == "succeeded"
        job = client.get(f"/jobs/{running}").json()
        assert (job["status"], job["error"]) == ("failed", "cancelled")
        assert [(i["repository"], i["status"], i["error"]) for i in job["repositories"]] == [
            ("encode/httpx-slow", "failed", "not attempted: cancelled"),
            ("psf/requests", "failed", "not attempted: cancelled"),
        ]
        assert client.get("/summaries/psf/requests").status_code == 404

        # Finished jobs cannot be cancelled; unknown ones are 404; a cancelled job can be rerun.
        assert client.post(f"/jobs/{after}/cancel").status_code == 409
        assert client.post("/jobs/0123456789abcdef0123456789abcdef/cancel").status_code == 404
        rerun = client.post(f"/jobs/{running}/rerun")
        assert rerun.status_code == 202
        assert wait_for_job(client, rerun.json()["job_id"])["status"] == "succeeded"


def test_the_build_token_protects_what_queues_or_cancels_work(make_settings: Callable[..., Settings], github: FakeGitHub) -> None:
    with app_client(make_settings, github, build_token=BUILD_TOKEN) as client:
        body = {"repositories": [HTTPX]}
        for headers in ({}, {"Authorization": "Bearer wrong"}):
            refused = client.post("/build", json=body, headers=headers)
            assert refused.status_code == 401
            assert refused.json() == {"detail": "missing or wrong build token"}
            assert refused.headers["www-authenticate"] == "Bearer"
        job = client.post("/build", json=body, headers={"Authorization": f"Bearer {BUILD_TOKEN}"})
        assert job.status_code == 202
        job_id = job.json()["job_id"]
        # The admin token is accepted too; reading jobs needs no token.
        assert client.post("/build", json=body, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).status_code == 202
        assert wait_for_job(client, job_id)["status"] == "succeeded"
        assert client.post(f"/jobs/{job_id}/rerun").status_code == 401
        assert client.post(f"/jobs/{job_id}/cancel").status_code == 401
        assert client.post(f"/jobs/{job_id}/rerun", headers={"Authorization": f"Bearer {BUILD_TOKEN}"}).status_code == 202


def test_without_a_build_token_building_stays_open(client: TestClient) -> None:
    assert client.post("/build", json={"repositories": [HTTPX]}).status_code == 202
