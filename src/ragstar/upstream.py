"""Clients of the services RAGstar calls: the GitHub REST API and Ollama.

Every call has a timeout and bounded retries with exponential backoff
(``tenacity``): a connection error, a timeout, a 5xx answer or a rate limit is
retried up to ``max_retries`` times; anything else fails at once. A rate limit
is waited out only when its reset (``Retry-After``, or GitHub's
``x-ratelimit-reset``) is at most ``rate_limit_max_wait_seconds`` away;
otherwise the call fails with an error that says when the limit resets.

Failures are :class:`UpstreamError`, whose message is meant for people (it
ends up in the job report). ``fatal`` marks errors that would repeat for every
other repository of the job (service unreachable, bad credentials, unknown
model, rate limit), so the job stops trying instead of waiting out the same
failure again and again.
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import json
import logging
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from ragstar import __version__
from ragstar.config import Settings

logger = logging.getLogger("ragstar.upstream")

T = TypeVar("T")

USER_AGENT = f"ragstar/{__version__}"
GITHUB_API_VERSION = "2022-11-28"
MAX_BACKOFF_SECONDS = 60.0
# GitHub's advice for a secondary rate limit without Retry-After: wait at least a minute.
SECONDARY_RATE_LIMIT_WAIT = 60.0
# Bodies larger than this are refused rather than held in memory.
MAX_RESPONSE_BYTES = 4 * 1024 * 1024


class UpstreamError(Exception):
    """A call to GitHub or Ollama failed for good; ``str(error)`` explains it to a person.

    ``fatal``: every other repository would fail the same way (stop the job). ``exhausted``: the
    service kept failing in a way worth retrying (5xx, timeouts, dropped connections) until the
    retries were used up, which is what an outage looks like; the job runner's circuit breaker
    counts these (:mod:`ragstar.jobs`).
    """

    def __init__(self, message: str, *, fatal: bool = False, exhausted: bool = False) -> None:
        super().__init__(message)
        self.fatal = fatal
        self.exhausted = exhausted


class RetryableError(Exception):
    """A failure worth another try, possibly after ``retry_after`` seconds."""

    def __init__(self, message: str, *, retry_after: float | None = None, fatal: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.fatal = fatal


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry."""

    max_retries: int
    backoff_seconds: float
    rate_limit_max_wait_seconds: float

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(
            max_retries=settings.max_retries,
            backoff_seconds=settings.retry_backoff_seconds,
            rate_limit_max_wait_seconds=settings.rate_limit_max_wait_seconds,
        )

    def without_retries(self) -> RetryPolicy:
        return RetryPolicy(0, self.backoff_seconds, self.rate_limit_max_wait_seconds)


async def with_retries(policy: RetryPolicy, what: str, call: Callable[[], Awaitable[T]]) -> T:
    """Run ``call`` until it succeeds, fails for good, or the retries are used up.

    Raises:
        UpstreamError: on a non-retryable failure, or the last retryable one
            when the retries are used up (the message then says how many attempts).
    """
    exponential = wait_exponential(multiplier=policy.backoff_seconds, max=MAX_BACKOFF_SECONDS)

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome is not None else None
        if isinstance(error, RetryableError) and error.retry_after is not None:
            return error.retry_after
        return float(exponential(state))

    def log_retry(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome is not None else None
        delay = state.next_action.sleep if state.next_action is not None else 0.0
        logger.warning(
            "%s: %s; retry %d of %d in %.2f s",
            what,
            error,
            state.attempt_number,
            policy.max_retries,
            delay,
        )

    attempts = policy.max_retries + 1
    try:
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(attempts),
            wait=wait,
            retry=retry_if_exception_type(RetryableError),
            before_sleep=log_retry,
            reraise=True,
        ):
            with attempt:
                return await call()
    except RetryableError as exc:
        tries = "1 attempt" if attempts == 1 else f"{attempts} attempts"
        raise UpstreamError(f"{exc} (gave up after {tries})", fatal=exc.fatal, exhausted=True) from None
    raise AssertionError("unreachable")  # pragma: no cover - AsyncRetrying returns or raises


@dataclass(frozen=True)
class Answer:
    """An HTTP response with its whole (bounded) body."""

    status: int
    headers: httpx.Headers
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    @property
    def content_type(self) -> str:
        value: str = self.headers.get("content-type", "")
        return value.split(";")[0].strip().lower()


async def send(
    client: httpx.AsyncClient,
    service: str,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    json_body: Any = None,
    timeout: httpx.Timeout | None = None,
) -> Answer:
    """Send one request and read its body, turning transport failures into retryable errors.

    ``timeout`` overrides the client's for this request (seconds, as ``httpx.Timeout``).
    """
    extra: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
    try:
        async with client.stream(method, url, headers=headers, json=json_body, **extra) as response:
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_RESPONSE_BYTES:
                    raise UpstreamError(
                        f"{service}: the response from {url} is larger than {MAX_RESPONSE_BYTES} bytes"
                    )
            return Answer(response.status_code, response.headers, bytes(body))
    except httpx.ConnectTimeout:
        raise RetryableError(
            f"{service} at {_origin(url)} is unreachable: connection timed out", fatal=True
        ) from None
    except httpx.TimeoutException as exc:
        raise RetryableError(f"{service}: {method} {url} timed out ({_describe(exc)})") from None
    except httpx.ConnectError as exc:
        raise RetryableError(
            f"{service} at {_origin(url)} is unreachable: {_describe(exc)}", fatal=True
        ) from None
    except httpx.TransportError as exc:
        raise RetryableError(f"{service}: {method} {url} failed: {_describe(exc)}") from None


def _describe(exc: Exception) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _origin(url: str) -> str:
    parsed = httpx.URL(url)
    return f"{parsed.scheme}://{parsed.netloc.decode('ascii')}"


def retry_after_seconds(headers: httpx.Headers) -> float | None:
    """The ``Retry-After`` header in seconds (delta-seconds or HTTP date), or ``None``."""
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def _message(answer: Answer, key: str) -> str:
    """The error message in a JSON body (GitHub: ``message``, Ollama: ``error``), else the text."""
    try:
        data = answer.json()
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get(key), str):
        return str(data[key])
    return answer.text().strip()[:200]


# -- GitHub -------------------------------------------------------------------


@dataclass(frozen=True)
class GitHubRepository:
    owner: str
    name: str
    url: str
    description: str
    topics: tuple[str, ...]
    stars: int


class GitHub:
    """The parts of the GitHub REST API RAGstar reads."""

    def __init__(self, settings: Settings, client: httpx.AsyncClient, policy: RetryPolicy) -> None:
        self._settings = settings
        self._client = client
        self._policy = policy
        self._base = settings.github_api_url.rstrip("/")

    def _headers(self, accept: str) -> dict[str, str]:
        headers = {"Accept": accept, "X-GitHub-Api-Version": GITHUB_API_VERSION}
        token = self._settings.github_token
        if token is not None:
            headers["Authorization"] = f"Bearer {token.get_secret_value()}"
        return headers

    async def repository(self, owner: str, name: str) -> GitHubRepository:
        """``GET /repos/{owner}/{repo}``: name, description, topics and stars.

        Raises:
            UpstreamError: not found, rate-limited, unreachable, or an unexpected answer.
        """
        path = f"/repos/{owner}/{name}"
        answer = await self._get(path, "application/vnd.github+json")
        if answer.status == 404:
            hint = (
                ""
                if self._settings.github_token
                else " (no GitHub token is set, so only public repositories are visible)"
            )
            raise UpstreamError(f"GitHub: repository {owner}/{name} not found (404){hint}")
        self._raise_for_status(answer, path)
        try:
            data = answer.json()
            full_name = str(data["full_name"])
            real_owner, _, real_name = full_name.partition("/")
            topics = tuple(str(topic) for topic in data.get("topics") or ())
            return GitHubRepository(
                owner=real_owner,
                name=real_name,
                url=str(data.get("html_url") or f"https://github.com/{full_name}"),
                description=str(data.get("description") or ""),
                topics=topics,
                stars=int(data.get("stargazers_count") or 0),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise UpstreamError(f"GitHub: unexpected answer to GET {path}: {_describe(exc)}") from None

    async def readme(self, owner: str, name: str) -> str:
        """``GET /repos/{owner}/{repo}/readme`` as text; ``""`` when the repository has none.

        Asks for the raw media type; a JSON answer with base64 ``content`` is decoded too.
        """
        path = f"/repos/{owner}/{name}/readme"
        answer = await self._get(path, "application/vnd.github.raw+json")
        if answer.status == 404:
            return ""
        self._raise_for_status(answer, path)
        if answer.content_type.endswith("json"):
            try:
                data = answer.json()
                if isinstance(data, dict) and "content" in data:
                    if data.get("encoding", "base64") != "base64":
                        raise ValueError(f"unknown encoding {data.get('encoding')!r}")
                    raw = base64.b64decode(str(data["content"]))
                    return raw.decode("utf-8", errors="replace")
            except (ValueError, binascii.Error) as exc:
                raise UpstreamError(f"GitHub: unexpected answer to GET {path}: {_describe(exc)}") from None
        return answer.text()

    async def _get(self, path: str, accept: str) -> Answer:
        url = self._base + path

        async def attempt() -> Answer:
            answer = await send(self._client, "GitHub", "GET", url, headers=self._headers(accept))
            self._check_transient(answer, path)
            return answer

        return await with_retries(self._policy, f"GitHub GET {path}", attempt)

    def _check_transient(self, answer: Answer, path: str) -> None:
        """Raise for rate limits and server errors; leave other answers to the caller."""
        status = answer.status
        if status in (403, 429):
            self._check_rate_limit(answer)
        if status >= 500 or status == 408:
            raise RetryableError(f"GitHub answered {status} to GET {path}: {_message(answer, 'message')}")

    def _check_rate_limit(self, answer: Answer) -> None:
        headers = answer.headers
        message = _message(answer, "message")
        remaining = headers.get("x-ratelimit-remaining")
        retry_after = retry_after_seconds(headers)
        limited = (
            answer.status == 429
            or remaining == "0"
            or retry_after is not None
            or "rate limit" in message.lower()
        )
        if not limited:
            return
        reset = headers.get("x-ratelimit-reset")
        if retry_after is not None:
            wait = retry_after
        elif remaining == "0" and reset is not None and reset.strip().isdigit():
            # One extra second for clock skew: retrying a little late beats wasting a retry.
            wait = max(int(reset) - time.time(), 0.0) + 1.0
        else:
            wait = SECONDARY_RATE_LIMIT_WAIT
        bound = self._policy.rate_limit_max_wait_seconds
        if wait > bound:
            hint = (
                "set github_token to get a higher limit, or retry later"
                if self._settings.github_token is None
                else "retry later"
            )
            raise UpstreamError(
                f"GitHub rate limit exceeded ({answer.status}: {message}); it resets in "
                f"{math.ceil(wait)} s, longer than rate_limit_max_wait_seconds ({bound:g} s): {hint}",
                fatal=True,
            )
        raise RetryableError(
            f"GitHub rate limit exceeded ({answer.status}); waiting {wait:.1f} s for the reset",
            retry_after=wait,
            fatal=True,
        )

    def _raise_for_status(self, answer: Answer, path: str) -> None:
        if 200 <= answer.status < 300:
            return
        message = _message(answer, "message")
        if answer.status == 401:
            raise UpstreamError(
                f"GitHub rejected the token (401: {message}); check github_token", fatal=True
            )
        raise UpstreamError(f"GitHub answered {answer.status} to GET {path}: {message}")


# -- Ollama -------------------------------------------------------------------


class Ollama:
    """Ollama's generate and embed endpoints, non-streaming."""

    def __init__(self, settings: Settings, client: httpx.AsyncClient, policy: RetryPolicy) -> None:
        self._settings = settings
        self._client = client
        self._policy = policy
        self._base = settings.ollama_base_url.rstrip("/")

    async def generate(self, prompt: str, *, max_tokens: int) -> str:
        """``POST /api/generate`` with ``stream: false``; the generated text.

        Raises:
            UpstreamError: unreachable, unknown model, an error answer, or an empty text.
        """
        model = self._settings.ollama_model
        body = {
            "model": model,
            "prompt": prompt,
            "stream": False,
            "options": {"num_predict": max_tokens, "temperature": 0.2},
        }
        data = await self._post("/api/generate", body, self._policy)
        text = data.get("response") if isinstance(data, dict) else None
        if not isinstance(text, str):
            raise UpstreamError("Ollama: unexpected answer to POST /api/generate: no 'response' text")
        if not text.strip():
            raise UpstreamError(f"Ollama: model {model} returned an empty summary")
        return text

    async def embed(self, text: str, *, retries: bool = True) -> list[float]:
        """``POST /api/embed`` with the configured embedding model; one vector.

        Raises:
            UpstreamError: no embedding model configured, unreachable, unknown model,
                or an answer without one numeric vector.
        """
        model = self._settings.ollama_embedding_model
        if model is None:
            raise UpstreamError("no ollama_embedding_model is configured")
        policy = self._policy if retries else self._policy.without_retries()
        # An embedding answers in well under a second: use the short HTTP timeout, not the one for
        # generating summaries, so a hung Ollama cannot hold a /query (or shutdown) for minutes.
        short = httpx.Timeout(self._settings.http_timeout_seconds)
        data = await self._post("/api/embed", {"model": model, "input": text}, policy, short)
        vectors = data.get("embeddings") if isinstance(data, dict) else None
        if (
            not isinstance(vectors, list)
            or len(vectors) != 1
            or not isinstance(vectors[0], list)
            or not vectors[0]
            # JSON numbers decode to int or float; bool (an int subclass) is refused. By type, in C:
            # a generator of isinstance calls cost 0.45 ms per 768-dimension query embedding.
            or not {type(x) for x in vectors[0]} <= {int, float}
        ):
            raise UpstreamError("Ollama: unexpected answer to POST /api/embed: expected one numeric vector")
        return [float(x) for x in vectors[0]]

    async def _post(self, path: str, body: dict[str, Any], policy: RetryPolicy, timeout: httpx.Timeout | None = None) -> Any:
        url = self._base + path
        headers = {}
        key = self._settings.ollama_api_key
        if key is not None:
            headers["Authorization"] = f"Bearer {key.get_secret_value()}"

        async def attempt() -> Answer:
            answer = await send(self._client, "Ollama", "POST", url, headers=headers, json_body=body, timeout=timeout)
            if answer.status == 429 or answer.status >= 500:
                raise RetryableError(
                    f"Ollama answered {answer.status} to POST {path}: {_message(answer, 'error')}",
                    retry_after=_bounded(retry_after_seconds(answer.headers), policy),
                )
            return answer

        answer = await with_retries(policy, f"Ollama POST {path}", attempt)
        if answer.status in (401, 403):
            raise UpstreamError(
                f"Ollama rejected the request ({answer.status}: {_message(answer, 'error')}); "
                "check ollama_api_key",
                fatal=True,
            )
        if not 200 <= answer.status < 300:
            # 404 is an unknown model ("model ... not found, try pulling it first") or a
            # wrong base URL; 400 a request this version does not understand. Both repeat.
            raise UpstreamError(
                f"Ollama answered {answer.status} to POST {path} (model {body['model']}): "
                f"{_message(answer, 'error')}",
                fatal=True,
            )
        try:
            return answer.json()
        except ValueError:
            raise UpstreamError(f"Ollama: the answer to POST {path} is not JSON") from None


def _bounded(retry_after: float | None, policy: RetryPolicy) -> float | None:
    """A server's Retry-After, capped at the longest rate-limit wait (Ollama gives no reset times)."""
    if retry_after is None:
        return None
    return min(retry_after, policy.rate_limit_max_wait_seconds)


def github_client(settings: Settings) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=httpx.Timeout(settings.http_timeout_seconds),
        follow_redirects=True,  # renamed or transferred repositories answer 301
        headers={"User-Agent": USER_AGENT},
    )


def ollama_client(settings: Settings) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=httpx.Timeout(settings.ollama_timeout_seconds, connect=settings.http_timeout_seconds),
        headers={"User-Agent": USER_AGENT},
    )
