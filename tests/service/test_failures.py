"""Job failure paths: unknown repositories, server errors and retries, services down, rate limits."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from fakes import FakeGitHub, FakeOllama, Reply, closed_port_url, rate_limit_headers
from helpers import build
from ragstar.api import create_app
from ragstar.config import Settings

HTTPX = "https://github.com/encode/httpx"
REQUESTS = "https://github.com/psf/requests"

RATE_LIMITED = {
    "message": (
        "API rate limit exceeded for 127.0.0.1. (But here's the good news: Authenticated requests get "
        "a higher rate limit. Check out the documentation for more details.)"
    ),
    "documentation_url": "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting",
}


def items(job: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    return [(i["repository"], i["status"], i["error"]) for i in job["repositories"]]


def run(make_settings: Callable[..., Settings], urls: list[str], **overrides: Any) -> dict[str, Any]:
    with TestClient(create_app(make_settings(**overrides))) as client:
        return build(client, urls)


def test_unknown_repository_fails_that_repository_only(
    client: TestClient, github: FakeGitHub, ollama: FakeOllama
) -> None:
    job = build(client, ["https://github.com/nobody/nothing", HTTPX])
    assert job["status"] == "partially_failed"
    assert job["error"] == "1 of 2 repositories failed"
    assert job["progress"] == {"total": 2, "done": 2, "succeeded": 1, "failed": 1, "pending": 0}
    assert items(job) == [
        (
            "nobody/nothing",
            "failed",
            "GitHub: repository nobody/nothing not found (404) "
            "(no GitHub token is set, so only public repositories are visible)",
        ),
        ("encode/httpx", "succeeded", None),
    ]
    assert github.paths("/repos/nobody") == ["/repos/nobody/nothing"]  # a 404 is not retried
    assert len(ollama.requests) == 1
    assert client.get("/summaries/nobody/nothing").status_code == 404


def test_all_failed_is_failed(client: TestClient) -> None:
    job = build(client, ["https://github.com/nobody/nothing"])
    assert job["status"] == "failed"
    assert job["error"] == "1 of 1 repositories failed"


def test_github_500_then_success_after_retries(client: TestClient, github: FakeGitHub) -> None:
    github.script(
        "/repos/encode/httpx",
        Reply.json(500, {"message": "Server Error"}),
        Reply(502, b"<html>Bad Gateway</html>", {"Content-Type": "text/html"}),
    )
    job = build(client, [HTTPX])
    assert job["status"] == "succeeded"
    assert github.paths("/repos/encode/httpx") == ["/repos/encode/httpx"] * 3 + ["/repos/encode/httpx/readme"]


def test_github_500_until_retries_are_used_up(
    make_settings: Callable[..., Settings], github: FakeGitHub
) -> None:
    github.script("/repos/encode/httpx", *[Reply.json(500, {"message": "Server Error"})] * 3)
    job = run(make_settings, [HTTPX, REQUESTS], max_retries=2)
    assert job["status"] == "partially_failed"
    assert items(job) == [
        (
            "encode/httpx",
            "failed",
            "GitHub answered 500 to GET /repos/encode/httpx: Server Error (gave up after 3 attempts)",
        ),
        ("psf/requests", "succeeded", None),  # a server error is not fatal to the job
    ]
    assert github.paths("/repos/encode/httpx") == ["/repos/encode/httpx"] * 3


def test_backoff_grows_exponentially(make_settings: Callable[..., Settings], github: FakeGitHub) -> None:
    github.script("/repos/encode/httpx", *[Reply.json(503, {"message": "Unavailable"})] * 3)
    job = run(make_settings, [HTTPX], retry_backoff_seconds=0.1)
    assert job["status"] == "succeeded"
    times = [r.at for r in github.requests if r.path == "/repos/encode/httpx"]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    # 0.1 s, 0.2 s, 0.4 s (tenacity: multiplier * 2 ** (attempt - 1)), plus a little overhead.
    for gap, expected in zip(gaps, [0.1, 0.2, 0.4], strict=True):
        assert expected <= gap < expected + 0.15, gaps


def test_ollama_down_fails_the_job_with_a_clear_error(
    make_settings: Callable[..., Settings], github: FakeGitHub
) -> None:
    down = closed_port_url()
    job = run(make_settings, [HTTPX, REQUESTS], ollama_base_url=down, max_retries=2)
    assert job["status"] == "failed"
    assert job["error"] == "2 of 2 repositories failed"
    (_, status, error), (_, second_status, second_error) = items(job)
    assert status == "failed"
    assert error.startswith(f"Ollama at {down} is unreachable: ConnectError")
    assert error.endswith("(gave up after 3 attempts)")
    assert second_status == "failed"
    assert second_error == f"not attempted: {error}"
    # The job stopped trying: nothing was fetched for the second repository.
    assert github.paths("/repos/psf") == []


def test_github_down_fails_the_job(make_settings: Callable[..., Settings], ollama: FakeOllama) -> None:
    down = closed_port_url()
    job = run(make_settings, [HTTPX, REQUESTS], github_api_url=down, max_retries=1)
    (_, _, error), (_, _, second_error) = items(job)
    assert job["status"] == "failed"
    assert error.startswith(f"GitHub at {down} is unreachable: ConnectError")
    assert error.endswith("(gave up after 2 attempts)")
    assert second_error == f"not attempted: {error}"
    assert ollama.requests == []


def test_ollama_unknown_model(make_settings: Callable[..., Settings], ollama: FakeOllama) -> None:
    ollama.models = {"some-other-model"}
    job = run(make_settings, [HTTPX, REQUESTS])
    message = 'Ollama answered 404 to POST /api/generate (model llama3.2): model "llama3.2" not found, try pulling it first'
    assert items(job) == [
        ("encode/httpx", "failed", message),
        ("psf/requests", "failed", f"not attempted: {message}"),
    ]
    assert len(ollama.requests) == 1  # a 404 is not retried


def test_ollama_busy_then_success(client: TestClient, ollama: FakeOllama) -> None:
    ollama.script("/api/generate", Reply.json(503, {"error": "server busy, please try again.  maximum pending requests exceeded"}))
    job = build(client, [HTTPX])
    assert job["status"] == "succeeded"
    assert ollama.paths() == ["/api/generate", "/api/generate"]


def test_ollama_timeout(make_settings: Callable[..., Settings], ollama: FakeOllama) -> None:
    ollama.hold_generate = threading.Event()  # answers only when released
    started = time.monotonic()
    job = run(make_settings, [HTTPX], ollama_timeout_seconds=0.3, max_retries=1)
    assert time.monotonic() - started < 5
    ((_, status, error),) = items(job)
    assert status == "failed"
    assert error.startswith(f"Ollama: POST {ollama.url}/api/generate timed out (ReadTimeout")
    assert error.endswith("(gave up after 2 attempts)")


def test_bad_github_token_is_fatal(make_settings: Callable[..., Settings], github: FakeGitHub) -> None:
    github.script(
        "/repos/encode/httpx",
        Reply.json(401, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"}),
    )
    job = run(make_settings, [HTTPX, REQUESTS], github_token="ghp_revoked")
    message = "GitHub rejected the token (401: Bad credentials); check github_token"
    assert items(job) == [
        ("encode/httpx", "failed", message),
        ("psf/requests", "failed", f"not attempted: {message}"),
    ]


# -- rate limits --------------------------------------------------------------


def test_primary_rate_limit_waits_for_the_reset(client: TestClient, github: FakeGitHub) -> None:
    reset = int(time.time())  # already due: the client waits the one-second skew margin
    github.script("/repos/encode/httpx", Reply.json(403, RATE_LIMITED, rate_limit_headers(0, reset)))
    job = build(client, [HTTPX])
    assert job["status"] == "succeeded"
    first, second = (r.at for r in github.requests if r.path == "/repos/encode/httpx")
    assert 0.9 <= second - first < 2.5


def test_primary_rate_limit_resetting_too_late_fails_clearly(
    client: TestClient, github: FakeGitHub, ollama: FakeOllama
) -> None:
    github.script(
        "/repos/encode/httpx", Reply.json(403, RATE_LIMITED, rate_limit_headers(0, int(time.time()) + 3600))
    )
    started = time.monotonic()
    job = build(client, [HTTPX, REQUESTS])
    assert time.monotonic() - started < 2  # no waiting, no retrying
    (_, status, error), (_, _, second_error) = items(job)
    assert status == "failed"
    assert re.fullmatch(
        r"GitHub rate limit exceeded \(403: API rate limit exceeded for 127\.0\.0\.1\. .*\); "
        r"it resets in 360[01] s, longer than rate_limit_max_wait_seconds \(3 s\): "
        r"set github_token to get a higher limit, or retry later",
        error,
    ), error
    assert second_error == f"not attempted: {error}"
    assert github.paths() == ["/repos/encode/httpx"]
    assert ollama.requests == []


def test_429_retry_after_is_honoured(client: TestClient, github: FakeGitHub) -> None:
    github.script(
        "/repos/encode/httpx/readme",
        Reply.json(429, {"message": "Too Many Requests"}, {"Retry-After": "1"}),
    )
    job = build(client, [HTTPX])
    assert job["status"] == "succeeded"
    first, second = (r.at for r in github.requests if r.path == "/repos/encode/httpx/readme")
    assert 0.95 <= second - first < 2


def test_429_retry_after_too_long_fails(client: TestClient, github: FakeGitHub) -> None:
    github.script("/repos/encode/httpx", Reply.json(429, {"message": "Too Many Requests"}, {"Retry-After": "120"}))
    job = build(client, [HTTPX])
    ((_, _, error),) = items(job)
    assert error == (
        "GitHub rate limit exceeded (429: Too Many Requests); it resets in 120 s, longer than "
        "rate_limit_max_wait_seconds (3 s): set github_token to get a higher limit, or retry later"
    )


def test_secondary_rate_limit_without_headers_fails(
    make_settings: Callable[..., Settings], github: FakeGitHub
) -> None:
    github.script(
        "/repos/encode/httpx",
        Reply.json(403, {"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}),
    )
    job = run(make_settings, [HTTPX], github_token="ghp_test")
    ((_, _, error),) = items(job)
    assert error.startswith("GitHub rate limit exceeded (403: You have exceeded a secondary rate limit.")
    assert error.endswith("it resets in 60 s, longer than rate_limit_max_wait_seconds (3 s): retry later")


def test_rate_limit_retries_are_bounded(make_settings: Callable[..., Settings], github: FakeGitHub) -> None:
    github.script("/repos/encode/httpx", *[Reply.json(429, {"message": "Too Many Requests"}, {"Retry-After": "0"})] * 2)
    job = run(make_settings, [HTTPX], max_retries=1)
    ((_, _, error),) = items(job)
    assert error == "GitHub rate limit exceeded (429); waiting 0.0 s for the reset (gave up after 2 attempts)"


def test_forbidden_without_rate_limit_is_not_retried(client: TestClient, github: FakeGitHub) -> None:
    github.script(
        "/repos/encode/httpx",
        Reply.json(403, {"message": "Repository access blocked"}, rate_limit_headers(42)),
    )
    job = build(client, [HTTPX])
    ((_, _, error),) = items(job)
    assert error == "GitHub answered 403 to GET /repos/encode/httpx: Repository access blocked"
    assert github.paths("/repos/encode/httpx") == ["/repos/encode/httpx"]


def test_a_hung_ollama_holds_a_query_only_for_the_short_http_timeout(make_settings) -> None:  # type: ignore[no-untyped-def]
    """The query's embedding uses http_timeout_seconds, not the long timeout for summaries."""
    import socket
    import time

    from fastapi.testclient import TestClient

    from ragstar.api import create_app

    with socket.socket() as hung:  # accepts connections, never answers
        hung.bind(("127.0.0.1", 0))
        hung.listen()
        settings = make_settings(
            ollama_base_url=f"http://127.0.0.1:{hung.getsockname()[1]}",
            ollama_embedding_model="nomic-embed-text",
            http_timeout_seconds=0.5,
            ollama_timeout_seconds=30,
        )
        with TestClient(create_app(settings)) as client:
            started = time.monotonic()
            response = client.post("/query", json={"query": "python http client", "num_results": 3})
            elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert response.json()["mode"] == "keyword"
    assert elapsed < 5


class OutageGitHub(FakeGitHub):
    """GitHub during an outage: 500 for every repository whose name starts with ``down-``."""

    def answer(self, request):  # type: ignore[no-untyped-def]
        if "/down-" in request.path:
            return Reply.json(500, {"message": "Server Error"})
        return super().answer(request)


def test_an_outage_opens_the_circuit_breaker_after_five_repositories_in_a_row(
    make_settings: Callable[..., Settings],
) -> None:
    """Issue 17, defect 7: each repository used up its retries, so a GitHub outage kept a
    100-repository job busy for about 12 minutes. Five in a row now stop the job."""
    from ragstar.jobs import CIRCUIT_BREAKER_FAILURES

    assert CIRCUIT_BREAKER_FAILURES == 5
    github = OutageGitHub().start()
    try:
        urls = [f"https://github.com/acme/down-{i}" for i in range(20)]
        started = time.monotonic()
        job = run(make_settings, urls, github_api_url=github.url, max_retries=2)
        elapsed = time.monotonic() - started
    finally:
        github.stop()
    got = items(job)
    assert [status for _, status, _ in got] == ["failed"] * 20
    for name, _, error in got[:5]:
        assert error == f"GitHub answered 500 to GET /repos/acme/{name.split('/')[1]}: Server Error (gave up after 3 attempts)"
    last = got[4][2]
    for _, _, error in got[5:]:
        assert error == (
            "not attempted: stopped after 5 repositories in a row failed on an upstream outage "
            f"(circuit breaker); the last: {last}"
        )
    # Three attempts for each of the first five repositories, none for the others.
    assert len(github.paths("/repos/acme/")) == 5 * 3
    assert job["status"] == "failed"
    assert elapsed < 30


def test_a_success_or_a_definite_answer_closes_the_circuit_again(
    make_settings: Callable[..., Settings],
) -> None:
    github = OutageGitHub().start()
    try:
        # 4 outages, one success, 4 outages, a 404 (GitHub answered), 4 outages: never 5 in a row.
        urls = [f"https://github.com/acme/down-{i}" for i in range(4)] + [HTTPX]
        urls += [f"https://github.com/acme/down-{i}" for i in range(4, 8)] + ["https://github.com/nobody/nothing"]
        urls += [f"https://github.com/acme/down-{i}" for i in range(8, 12)]
        job = run(make_settings, urls, github_api_url=github.url, max_retries=0)
    finally:
        github.stop()
    got = items(job)
    assert not any(error and error.startswith("not attempted") for _, _, error in got)
    assert [status for _, status, _ in got].count("succeeded") == 1
    assert len(github.paths("/repos/acme/")) == 12
