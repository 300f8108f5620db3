"""Protocol-level fakes of GitHub and Ollama, served over real HTTP on 127.0.0.1.

Each fake is a ``ThreadingHTTPServer`` on a free loopback port. It answers in
the shapes of the public APIs (see ``corpus.py``), records every request, and
can be told to answer the next requests to a path with scripted responses
(errors, rate limits) before answering normally again.
"""

from __future__ import annotations

import base64
import json
import re
import socket
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from corpus import BY_NAME, FixtureRepo, repo_json


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.monotonic)

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, data: Any, headers: dict[str, str] | None = None) -> Reply:
        return cls(status, json.dumps(data).encode(), {"Content-Type": "application/json; charset=utf-8", **(headers or {})})


class FakeServer:
    """A loopback HTTP server whose answers come from ``self.answer``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.requests: list[Recorded] = []
        self._scripted: dict[str, deque[Reply]] = defaultdict(deque)
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # Headers and body go out in separate writes: without this, Nagle's
                # algorithm and delayed ACKs add ~40 ms to every answer.
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = Recorded(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                with fake._lock:
                    fake.requests.append(request)
                    queue = fake._scripted.get(self.path)
                    reply = queue.popleft() if queue else None
                if reply is None:
                    reply = fake.answer(request)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (e.g. the service shut down)

            do_GET = do_POST = _handle

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def script(self, path: str, *replies: Reply) -> None:
        """Answer the next requests to ``path`` with ``replies``, in order."""
        with self._lock:
            self._scripted[path].extend(replies)

    def paths(self, prefix: str = "") -> list[str]:
        return [r.path for r in self.requests if r.path.startswith(prefix)]

    def answer(self, request: Recorded) -> Reply:  # pragma: no cover - overridden
        raise NotImplementedError


def rate_limit_headers(remaining: int, reset: int | None = None) -> dict[str, str]:
    """GitHub's rate-limit headers, as on every REST answer."""
    return {
        "x-ratelimit-limit": "60",
        "x-ratelimit-remaining": str(remaining),
        "x-ratelimit-reset": str(reset if reset is not None else int(time.time()) + 3600),
        "x-ratelimit-used": str(60 - remaining),
        "x-ratelimit-resource": "core",
    }


NOT_FOUND = {
    "message": "Not Found",
    "documentation_url": "https://docs.github.com/rest/repos/repos#get-a-repository",
    "status": "404",
}


class FakeGitHub(FakeServer):
    """``GET /repos/{owner}/{repo}`` and ``GET /repos/{owner}/{repo}/readme``."""

    _REPO = re.compile(r"^/repos/([^/]+)/([^/]+?)(/readme)?$")

    def __init__(self, repos: dict[str, FixtureRepo] | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)
        self.repos = dict(BY_NAME if repos is None else repos)
        self.readme_as_json = False

    @staticmethod
    def answer_not_found() -> Reply:
        return Reply.json(404, NOT_FOUND, rate_limit_headers(59))

    def answer(self, request: Recorded) -> Reply:
        match = self._REPO.match(request.path)
        repo = self.repos.get(f"{match[1]}/{match[2]}".lower()) if match else None
        headers = {"X-GitHub-Media-Type": "github.v3; format=json", **rate_limit_headers(59)}
        if request.method != "GET" or repo is None:
            return Reply.json(404, NOT_FOUND, headers)
        if not match or not match[3]:
            return Reply.json(200, repo_json(repo), headers)
        accept = request.headers.get("accept", "")
        if self.readme_as_json or "raw" not in accept:
            content = base64.encodebytes(repo.readme.encode()).decode()
            data = {
                "type": "file",
                "encoding": "base64",
                "size": len(repo.readme.encode()),
                "name": "README.md",
                "path": "README.md",
                "content": content,
                "sha": "3d21ec53a331a6f037a91c368710b99387d012c1",
                "url": f"https://api.github.com/repos/{repo.full_name}/contents/README.md?ref=master",
                "html_url": f"{repo.url}/blob/master/README.md",
                "download_url": f"https://raw.githubusercontent.com/{repo.full_name}/master/README.md",
            }
            return Reply.json(200, data, headers)
        return Reply(
            200,
            repo.readme.encode(),
            {"Content-Type": "application/vnd.github.raw; charset=utf-8", **headers},
        )


class GatedGitHub(FakeGitHub):
    """GitHub whose answers for ``encode/httpx-slow`` (a copy of encode/httpx) wait until the test
    opens ``gate`` (at most 30 s), so the job that holds it stays running and the jobs after it
    stay queued."""

    URL = "https://github.com/encode/httpx-slow"

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.repos["encode/httpx-slow"] = self.repos["encode/httpx"]

    def answer(self, request: Recorded) -> Reply:
        if request.path.startswith("/repos/encode/httpx-slow"):
            self.gate.wait(30)
        return super().answer(request)


# Concepts of the fake embedding model: a text's vector counts the words of
# each concept, so texts about the same thing are similar without sharing words.
CONCEPTS: tuple[frozenset[str], ...] = tuple(
    frozenset(words.split())
    for words in (
        "http web client api request requests server wsgi rest",
        "search searches find finder grep regex fuzzy lookup",
        "similarity similar alike resembling vector vectors dense embedding embeddings nearest neighbor clustering",
        "sql sqlite database databases table tables",
        "command line cli terminal shell bash zsh",
        "python",
        "rust go",
        "picture pictures image images photo photos",
    )
)


def concept_embedding(text: str) -> list[float]:
    words = re.findall(r"[a-z]+", text.lower())
    vector = [float(sum(word in concept for word in words)) for concept in CONCEPTS]
    return [*vector, 0.05]  # a small constant dimension: no text embeds to zeros


class FakeOllama(FakeServer):
    """``POST /api/generate`` (non-streaming) and ``POST /api/embed``."""

    def __init__(self, models: tuple[str, ...] = ("llama3.2", "nomic-embed-text"), host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)
        self.models = set(models)
        # When set, /api/generate waits for this event before answering (up to 30 s).
        self.hold_generate: threading.Event | None = None
        self.generate_started = threading.Event()

    def answer(self, request: Recorded) -> Reply:
        if request.method != "POST" or request.path not in ("/api/generate", "/api/embed"):
            return Reply(404, b"404 page not found", {"Content-Type": "text/plain"})
        body = request.json()
        model = body.get("model")
        if model not in self.models:
            return Reply.json(404, {"error": f'model "{model}" not found, try pulling it first'})
        if request.path == "/api/embed":
            return Reply.json(
                200,
                {
                    "model": model,
                    "embeddings": [concept_embedding(body["input"])],
                    "total_duration": 14143917,
                    "load_duration": 1019500,
                    "prompt_eval_count": 8,
                },
            )
        self.generate_started.set()
        if self.hold_generate is not None:
            self.hold_generate.wait(30)
        name = re.search(r"^Repository: (\S+)$", body["prompt"], re.MULTILINE)
        repo = BY_NAME.get(name[1].lower()) if name else None
        text = repo.summary if repo else f"{name[1] if name else 'This'} is a repository."
        return Reply.json(
            200,
            {
                "model": model,
                "created_at": "2024-11-05T14:43:20.227418Z",
                "response": f"  {text}\n",
                "done": True,
                "done_reason": "stop",
                "context": [128006, 882, 128007],
                "total_duration": 4648158584,
                "load_duration": 4071084,
                "prompt_eval_count": 36,
                "prompt_eval_duration": 439038000,
                "eval_count": 180,
                "eval_duration": 4196918000,
            },
        )


def closed_port_url() -> str:
    """A loopback URL where nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def serve(factory: Callable[[], FakeServer]) -> Iterator[FakeServer]:
    server = factory().start()
    try:
        yield server
    finally:
        server.stop()
