"""Bad input: invalid URLs, bad queries, out-of-range numbers, oversized bodies."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from ragstar.api import MAX_BODY_BYTES
from ragstar.schemas import parse_repo_url


@pytest.mark.parametrize(
    "url",
    [
        "http://github.com/encode/httpx",  # not https
        "https://gitlab.com/encode/httpx",
        "https://github.com/encode",
        "https://github.com/encode/httpx/tree/master",
        "https://github.com/encode/httpx?tab=readme",
        "https://github.com/encode/httpx#readme",
        "https://github.com/-encode/httpx",
        "https://github.com/encode/..",
        "https://github.com/encode/ht tpx",
        "github.com/encode/httpx",
        "encode/httpx",
        " https://github.com/encode/httpx",
        "",
    ],
)
def test_invalid_url_is_422_naming_the_entry(client: TestClient, url: str) -> None:
    response = client.post(
        "/build", json={"repositories": ["https://github.com/encode/httpx", url]}
    )
    assert response.status_code == 422
    errors = response.json()["detail"]
    assert len(errors) == 1
    assert errors[0]["loc"] == ["body", "repositories", 1]
    assert errors[0]["input"] == url
    assert errors[0]["msg"] == (
        f"Value error, {url!r} is not a GitHub repository URL; expected https://github.com/OWNER/NAME"
    )


def test_every_bad_entry_is_named(client: TestClient) -> None:
    response = client.post(
        "/build",
        json={"repositories": ["https://github.com/a/b", "nope", 7, "https://github.com/c/d", "x/y"]},
    )
    assert response.status_code == 422
    assert [(e["loc"][-1], e["input"]) for e in response.json()["detail"]] == [(1, "nope"), (2, 7), (4, "x/y")]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"repositories": []},
        {"repositories": "https://github.com/encode/httpx"},
        {"repositories": ["https://github.com/a/b"], "extra": 1},
        {"repositories": [f"https://github.com/o/r{i}" for i in range(101)]},
    ],
)
def test_bad_build_bodies_are_422(client: TestClient, body: dict[str, object]) -> None:
    assert client.post("/build", json=body).status_code == 422


def test_build_needs_json(client: TestClient) -> None:
    response = client.post("/build", content=b"not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert client.get("/jobs").json()["jobs"] == []  # nothing was queued by any bad request


@pytest.mark.parametrize("query", ["", " ", "\t\n  "])
def test_empty_query_is_422(client: TestClient, query: str) -> None:
    response = client.post("/query", json={"query": query})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "query"]


@pytest.mark.parametrize("num_results", [0, -1, 51, 1000, "5", 2.5, True, None])
def test_num_results_out_of_range_is_422(client: TestClient, num_results: object) -> None:
    response = client.post("/query", json={"query": "http", "num_results": num_results})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "num_results"]


@pytest.mark.parametrize("num_results", [1, 50])
def test_num_results_bounds_are_accepted(client: TestClient, num_results: int) -> None:
    response = client.post("/query", json={"query": "http", "num_results": num_results})
    assert response.status_code == 200
    assert response.json() == {"query": "http", "mode": "keyword", "notice": None, "results": []}


def test_missing_query_and_unknown_fields_are_422(client: TestClient) -> None:
    assert client.post("/query", json={"num_results": 3}).status_code == 422
    assert client.post("/query", json={"query": "http", "num_result": 3}).status_code == 422
    assert client.post("/query", json={"query": "x" * 1001}).status_code == 422


def test_oversized_body_is_413(client: TestClient) -> None:
    urls = [f"https://github.com/owner/repository-{i:05d}" for i in range(2000)]
    body = json.dumps({"repositories": urls}).encode()
    assert len(body) > MAX_BODY_BYTES
    response = client.post("/build", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json() == {"detail": f"request body larger than {MAX_BODY_BYTES} bytes"}

    query = client.post("/query", json={"query": "a" * (MAX_BODY_BYTES + 1)})
    assert query.status_code == 413


def test_oversized_chunked_body_is_413(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"query": "'
        for _ in range(100):
            yield b"a" * 1024
        yield b'"}'

    response = client.post("/query", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413


def test_small_chunked_body_is_accepted(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"query": '
        yield b'"http"}'

    response = client.post("/query", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 200
    assert response.json()["query"] == "http"


def test_body_at_the_limit_is_not_413(client: TestClient) -> None:
    prefix, suffix = b'{"query": "', b'"}'
    body = prefix + b"a" * (MAX_BODY_BYTES - len(prefix) - len(suffix)) + suffix
    assert len(body) == MAX_BODY_BYTES
    response = client.post("/query", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422  # too long a query, but the body itself was read


@pytest.mark.parametrize("url", ["https://GitHub.com/encode/httpx", "https://www.github.com/encode/httpx", "HTTPS://GITHUB.COM/encode/httpx/"])
def test_host_case_and_www_are_accepted(url: str) -> None:
    ref = parse_repo_url(url)
    assert (ref.owner, ref.name) == ("encode", "httpx")
