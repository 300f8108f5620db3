"""POST /build end to end against the fakes, the job report, and the summaries endpoints."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from corpus import BY_NAME, CORPUS
from fakes import FakeGitHub, FakeOllama
from helpers import build, wait_for_job
from ragstar.api import create_app
from ragstar.config import Settings


def test_build_indexes_repositories_end_to_end(
    client: TestClient, github: FakeGitHub, ollama: FakeOllama
) -> None:
    response = client.post(
        "/build",
        json={"repositories": ["https://github.com/encode/httpx", "https://github.com/psf/requests.git"]},
    )
    assert response.status_code == 202
    accepted = response.json()
    job_id = accepted["job_id"]
    assert accepted == {
        "job_id": job_id,
        "status": "queued",
        "status_url": f"/jobs/{job_id}",
        "repositories": ["encode/httpx", "psf/requests"],
    }
    assert response.headers["location"] == f"/jobs/{job_id}"

    job = wait_for_job(client, job_id)
    assert job["status"] == "succeeded"
    assert job["error"] is None
    assert job["progress"] == {"total": 2, "done": 2, "succeeded": 2, "failed": 0, "pending": 0}
    assert job["repositories"] == [
        {"url": "https://github.com/encode/httpx", "repository": "encode/httpx", "status": "succeeded", "error": None},
        {"url": "https://github.com/psf/requests.git", "repository": "psf/requests", "status": "succeeded", "error": None},
    ]
    assert job["created_at"] <= job["started_at"] <= job["finished_at"]

    # What went over the wire: repository and README per repository, one generate each.
    assert github.paths() == [
        "/repos/encode/httpx",
        "/repos/encode/httpx/readme",
        "/repos/psf/requests",
        "/repos/psf/requests/readme",
    ]
    readme_request = github.requests[1]
    assert readme_request.headers["accept"] == "application/vnd.github.raw+json"
    assert readme_request.headers["x-github-api-version"] == "2022-11-28"
    assert readme_request.headers["user-agent"].startswith("ragstar/")
    assert "authorization" not in readme_request.headers  # no token configured
    assert ollama.paths() == ["/api/generate", "/api/generate"]
    generate = ollama.requests[0].json()
    assert generate["model"] == "llama3.2"
    assert generate["stream"] is False
    prompt = generate["prompt"]
    assert "Repository: encode/httpx\n" in prompt
    assert "Description: A next generation HTTP client for Python. 🦋\n" in prompt
    assert "Topics: asyncio, http, python, trio\n" in prompt
    assert "HTTPX is a fully featured HTTP client library for Python 3." in prompt
    assert "badge.svg" not in prompt and "<img" not in prompt  # README cleaned

    summary = client.get("/summaries/encode/httpx")
    assert summary.status_code == 200
    body = summary.json()
    assert body["indexed_at"].endswith("Z")
    del body["indexed_at"]
    assert body == {
        "name": "encode/httpx",
        "owner": "encode",
        "repository": "httpx",
        "url": "https://github.com/encode/httpx",
        "description": "A next generation HTTP client for Python. 🦋",
        "topics": ["asyncio", "http", "python", "trio"],
        "stars": 13500,
        "summary": BY_NAME["encode/httpx"].summary,  # the model's answer, whitespace trimmed
        "summary_model": "llama3.2",
        "embedding_model": None,
    }


def test_summaries_list_pages_and_lookup_is_case_insensitive(client: TestClient) -> None:
    job = build(client, [repo.url for repo in CORPUS])
    assert job["status"] == "succeeded"

    everything = client.get("/summaries").json()
    assert everything["total"] == len(CORPUS)
    names = [s["name"] for s in everything["summaries"]]
    assert names == sorted((repo.full_name for repo in CORPUS), key=str.lower)

    page = client.get("/summaries", params={"limit": 2, "offset": 2}).json()
    assert page["total"] == len(CORPUS)
    assert [s["name"] for s in page["summaries"]] == names[2:4]

    assert client.get("/summaries/burntsushi/RIPGREP").json()["name"] == "BurntSushi/ripgrep"
    missing = client.get("/summaries/encode/nope")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "repository encode/nope is not indexed"}
    assert client.get("/summaries", params={"limit": 0}).status_code == 422


def test_duplicates_are_indexed_once(client: TestClient, github: FakeGitHub) -> None:
    response = client.post(
        "/build",
        json={
            "repositories": [
                "https://github.com/encode/httpx",
                "https://github.com/Encode/HTTPX/",
                "https://github.com/encode/httpx.git",
            ]
        },
    )
    assert response.json()["repositories"] == ["encode/httpx"]
    job = wait_for_job(client, response.json()["job_id"])
    assert job["progress"]["total"] == 1
    assert github.paths() == ["/repos/encode/httpx", "/repos/encode/httpx/readme"]


def test_rebuild_refreshes_a_repository(client: TestClient, github: FakeGitHub) -> None:
    build(client, ["https://github.com/encode/httpx"])
    old = BY_NAME["encode/httpx"]
    github.repos["encode/httpx"] = type(old)(
        old.full_name, "A new description", ("http",), 14000, old.readme, old.summary
    )
    build(client, ["https://github.com/encode/httpx"])
    summaries = client.get("/summaries").json()
    assert summaries["total"] == 1
    assert summaries["summaries"][0]["description"] == "A new description"
    assert summaries["summaries"][0]["stars"] == 14000
    # The full-text index follows the update: the old description no longer matches.
    hits = client.post("/query", json={"query": "next generation"}).json()["results"]
    assert hits == []
    hits = client.post("/query", json={"query": "new description"}).json()["results"]
    assert [h["name"] for h in hits] == ["encode/httpx"]


def test_readme_in_json_base64_form(client: TestClient, github: FakeGitHub, ollama: FakeOllama) -> None:
    github.readme_as_json = True
    job = build(client, ["https://github.com/pallets/flask"])
    assert job["status"] == "succeeded"
    assert "Flask is a lightweight WSGI web application framework." in ollama.requests[0].json()["prompt"]


def test_missing_readme_is_not_an_error(client: TestClient, github: FakeGitHub, ollama: FakeOllama) -> None:
    github.script("/repos/psf/requests/readme", github.answer_not_found())
    job = build(client, ["https://github.com/psf/requests"])
    assert job["status"] == "succeeded"
    assert "README (may be cut short):\n(none)\n" in ollama.requests[0].json()["prompt"]


def test_readme_not_fetched_when_readme_max_chars_is_zero(
    make_settings: Callable[..., Settings], github: FakeGitHub
) -> None:
    with TestClient(create_app(make_settings(readme_max_chars=0))) as client:
        assert build(client, ["https://github.com/psf/requests"])["status"] == "succeeded"
    assert github.paths() == ["/repos/psf/requests"]


def test_tokens_are_sent_as_bearer(
    make_settings: Callable[..., Settings], github: FakeGitHub, ollama: FakeOllama
) -> None:
    settings = make_settings(github_token="ghp_test", ollama_api_key="ollama-key")
    with TestClient(create_app(settings)) as client:
        build(client, ["https://github.com/psf/requests"])
    assert {r.headers["authorization"] for r in github.requests} == {"Bearer ghp_test"}
    assert {r.headers["authorization"] for r in ollama.requests} == {"Bearer ollama-key"}


def test_long_summary_is_cut_at_a_word(
    make_settings: Callable[..., Settings], ollama: FakeOllama
) -> None:
    with TestClient(create_app(make_settings(summary_max_chars=60))) as client:
        build(client, ["https://github.com/BurntSushi/ripgrep"])
        summary = client.get("/summaries/BurntSushi/ripgrep").json()["summary"]
    assert summary == "ripgrep is a fast line-oriented command-line search tool…"
    assert len(summary) <= 60
    assert ollama.requests[0].json()["options"]["num_predict"] == 64


def test_embeddings_stored_when_configured(
    make_settings: Callable[..., Settings], ollama: FakeOllama
) -> None:
    settings = make_settings(ollama_embedding_model="nomic-embed-text")
    with TestClient(create_app(settings)) as client:
        assert build(client, ["https://github.com/junegunn/fzf"])["status"] == "succeeded"
        assert client.get("/summaries/junegunn/fzf").json()["embedding_model"] == "nomic-embed-text"
    assert ollama.paths() == ["/api/generate", "/api/embed"]
    embed = ollama.requests[1].json()
    assert embed["model"] == "nomic-embed-text"
    assert embed["input"].startswith("junegunn/fzf\n:cherry_blossom: A command-line fuzzy finder\n")


def test_jobs_list_and_unknown_job(client: TestClient) -> None:
    first = build(client, ["https://github.com/psf/requests"])
    second = build(client, ["https://github.com/encode/httpx", "https://github.com/nobody/nothing"])
    jobs = client.get("/jobs").json()["jobs"]
    assert [j["id"] for j in jobs] == [second["id"], first["id"]]
    assert jobs[0]["status"] == "partially_failed"
    assert jobs[0]["progress"] == {"total": 2, "done": 2, "succeeded": 1, "failed": 1, "pending": 0}
    assert "repositories" not in jobs[0]
    assert [j["id"] for j in client.get("/jobs", params={"limit": 1}).json()["jobs"]] == [second["id"]]

    unknown = client.get("/jobs/0123")
    assert unknown.status_code == 404
    assert unknown.json() == {"detail": "no job 0123"}
    assert client.post("/jobs/0123/rerun").status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/encode/httpx",
        "https://github.com/encode/httpx/",
        "https://github.com/encode/httpx.git",
        "https://github.com/a/b.c_d-e",
        "https://github.com/my-org/.github",
    ],
)
def test_valid_urls_are_accepted(client: TestClient, url: str) -> None:
    assert client.post("/build", json={"repositories": [url]}).status_code == 202
