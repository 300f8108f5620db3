"""Issue 17, defect 5: slow clients and connections were unbounded (18,000 connections trickling
a body were all held; at the open-file limit /health failed and the log took 29 MB of tracebacks
in 6 s). The real server (``python -m ragstar``) with small limits: a request that does not arrive
in time gets 408 and is closed, connections past the limit get 503, /health answers again once the
slow clients are gone, and the log of repeated warnings is throttled.
"""

from __future__ import annotations

import logging
import socket
import time
from pathlib import Path

import pytest

from fakes import FakeGitHub, FakeOllama
from helpers import ragstar_server
from ragstar.logthrottle import RepeatFilter

pytestmark = pytest.mark.sqlite_only

LIMITS = "max_connections: 20\nrequest_timeout_seconds: 1\n"


def connect(sock_path: Path) -> socket.socket:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(str(sock_path))
    return s


def read_all(s: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    data = b""
    while chunk := s.recv(65536):
        data += chunk
    return data


def health(sock_path: Path) -> bytes:
    with connect(sock_path) as s:
        s.sendall(b"GET /health HTTP/1.1\r\nHost: ragstar\r\nConnection: close\r\n\r\n")
        return read_all(s)


def test_slow_requests_get_408_and_the_connection_limit_503(tmp_path: Path, github: FakeGitHub, ollama: FakeOllama) -> None:
    sock = tmp_path / "ragstar.sock"
    with ragstar_server(tmp_path, f"github_api_url: {github.url}\nollama_base_url: {ollama.url}\n{LIMITS}") as (server, http):
        http.close()  # its keep-alive connection would count against the limit
        # Headers that never end, and a body that never comes: both answered 408 after about 1 s.
        slow_headers = [connect(sock) for _ in range(5)]
        for s in slow_headers:
            s.sendall(b"GET /health HTTP/1.1\r\nHost: ragstar\r\n")
        slow_body = [connect(sock) for _ in range(5)]
        for s in slow_body:
            s.sendall(b'POST /query HTTP/1.1\r\nHost: ragstar\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"q')
        started = time.monotonic()
        # Meanwhile the service answers (10 slow connections, below the limit of 20).
        assert health(sock).startswith(b"HTTP/1.1 200 OK")
        for s in slow_headers + slow_body:
            answer = read_all(s)
            assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n"), answer
            assert answer.endswith(b'{"detail": "the request did not arrive within 1 s (request_timeout_seconds)"}')
            s.close()
        assert time.monotonic() - started < 5

        # 20 idle connections fill the limit: the 21st and later get 503 at once.
        idle = [connect(sock) for _ in range(20)]
        time.sleep(0.2)
        refused = [read_all(s) for s in (connect(sock) for _ in range(30))]
        assert all(r.startswith(b"HTTP/1.1 503 Service Unavailable\r\n") for r in refused), refused[0]
        assert refused[0].endswith(b'{"detail": "too many connections (max_connections 20); retry later"}')
        # The idle ones (not a byte sent) are closed by the request timeout, quietly, and /health answers again.
        for s in idle:
            assert read_all(s) == b""
            s.close()
        assert health(sock).startswith(b"HTTP/1.1 200 OK")

        server.terminate()
        output, _ = server.communicate(timeout=30)
    # 30 refusals in well under 10 s: the log has 10 of them, the rest counted when one is next let through.
    assert output.count("connection limit reached") == 10, output
    assert output.count("a request did not arrive within request_timeout_seconds") == 10, output


def test_each_request_on_a_connection_gets_its_own_deadline(tmp_path: Path, github: FakeGitHub, ollama: FakeOllama) -> None:
    """Keep-alive, pipelining and an early answer: the deadline follows the request, not the connection."""
    sock = tmp_path / "ragstar.sock"
    with ragstar_server(tmp_path, f"github_api_url: {github.url}\nollama_base_url: {ollama.url}\n{LIMITS}") as (_server, http):
        http.close()
        # An idle keep-alive connection after one request: closed quietly, no 408.
        with connect(sock) as s:
            s.sendall(b"GET /health HTTP/1.1\r\nHost: ragstar\r\n\r\n")
            answer = read_all(s)
        assert answer.startswith(b"HTTP/1.1 200 OK") and answer.count(b"HTTP/1.1 ") == 1, answer
        # Pipelined: a whole GET, then a POST whose body never comes. The GET is answered, the POST gets 408.
        with connect(sock) as s:
            s.sendall(
                b"GET /health HTTP/1.1\r\nHost: ragstar\r\n\r\n"
                b"POST /query HTTP/1.1\r\nHost: ragstar\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
            )
            answer = read_all(s)
        assert answer.startswith(b"HTTP/1.1 200 OK") and b"HTTP/1.1 408 Request Timeout" in answer, answer
        # A body too large is answered 413 at once; the client sends it anyway, and the connection
        # then closes without a 408 of an old deadline.
        with connect(sock) as s:
            s.sendall(b"POST /query HTTP/1.1\r\nHost: ragstar\r\nContent-Type: application/json\r\nContent-Length: 70000\r\n\r\n")
            s.sendall(b" " * 70000)
            started = time.monotonic()
            answer = read_all(s)
        assert answer.startswith(b"HTTP/1.1 413 "), answer
        assert b" 408 " not in answer
        assert time.monotonic() - started < 5


def test_repeat_filter_lets_a_burst_through_then_counts_what_it_held_back() -> None:
    now = [0.0]
    repeat = RepeatFilter(burst=3, interval=10, clock=lambda: now[0])

    def record(msg: str) -> logging.LogRecord:
        return logging.LogRecord("ragstar", logging.WARNING, __file__, 1, msg, None, None)

    assert [repeat.filter(record("accept failed: %s")) for _ in range(5)] == [True, True, True, False, False]
    assert repeat.filter(record("another message"))  # another kind has its own budget
    now[0] = 10.0
    next_one = record("accept failed: %s")
    assert repeat.filter(next_one)
    assert next_one.msg == "accept failed: %s (2 similar messages suppressed)"
