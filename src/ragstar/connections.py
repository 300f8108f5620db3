"""Bounds on the server's connections (``python -m ragstar``), so slow or idle clients cannot hold
it: at most ``max_connections`` open at once, and each request (headers and body) received within
``request_timeout_seconds`` of its first byte (or of the connection, for the first request).

uvicorn bounds neither: 18,000 connections trickling a body were all held, 12,500 holding a 64 KiB
body took the process to 1.1 GB, and at the open-file limit /health failed. Its keep-alive timeout
(5 s between requests) stays as it is. A connection past the limit, and a request that is too slow,
get a short JSON answer (503, 408) and are closed.

The guard is a subclass of uvicorn's h11 protocol (the one plain uvicorn uses), made for the limits
by :func:`guarded_h11_protocol` and passed as ``uvicorn.Config(http=...)``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

logger = logging.getLogger("ragstar.connections")


def _answer(transport: asyncio.BaseTransport, status: int, reason: str, detail: str) -> None:
    """Write a complete JSON response and close: used before or instead of the application."""
    body = json.dumps({"detail": detail}).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    ).encode()
    if not transport.is_closing():
        transport.write(head + body)  # type: ignore[attr-defined]
        transport.close()


def guarded_h11_protocol(max_connections: int, request_timeout_seconds: float) -> type[H11Protocol]:
    """uvicorn's h11 protocol with the two bounds.

    Args:
        max_connections: open connections at most; the next one is answered 503 and closed.
        request_timeout_seconds: the longest a request may take to arrive, headers and body; past
            it the client gets 408 (unless the response has started) and the connection is closed.
    """

    class GuardedH11Protocol(H11Protocol):
        _request_timer: asyncio.TimerHandle | None = None
        #: Bytes received since the timer was armed: none means an idle keep-alive connection.
        _received: int = 0

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if len(self.connections) > max_connections:
                logger.warning("connection limit reached (max_connections %d): a new connection is refused", max_connections)
                _answer(transport, 503, "Service Unavailable", f"too many connections (max_connections {max_connections}); retry later")
                return
            self._sync_timer()

        def data_received(self, data: bytes) -> None:
            self._received += len(data)
            before = self.conn.their_state
            super().data_received(data)
            if before is not h11.IDLE and self.conn.their_state is h11.IDLE:
                # The request ended and uvicorn started the next cycle (a body finished after an
                # early answer such as 413): the next request gets a fresh deadline of its own.
                self._disarm()
                self._received = 0
            self._sync_timer()

        def on_response_complete(self) -> None:
            # A pipelined request may start here (uvicorn parses it from what is buffered); the next
            # request's deadline starts now, and only its own bytes say it is on its way.
            self._disarm()
            self._received = 0
            super().on_response_complete()
            self._sync_timer()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _sync_timer(self) -> None:
            """A timer runs while a request is on its way in (h11's IDLE or SEND_BODY for the
            client); it stops once the request has arrived (DONE) or the connection ends. Each
            request gets a fresh deadline: the timer is re-armed after a request arrived."""
            if self.transport.is_closing():
                self._disarm()
            elif self.conn.their_state in (h11.IDLE, h11.SEND_BODY):
                if self._request_timer is None:
                    self._request_timer = self.loop.call_later(request_timeout_seconds, self._timed_out)
            else:
                self._disarm()

        def _disarm(self) -> None:
            if self._request_timer is not None:
                self._request_timer.cancel()
                self._request_timer = None

        def _timed_out(self) -> None:
            self._request_timer = None
            if self.transport.is_closing():
                return
            cycle: Any = self.cycle
            in_flight = cycle is not None and not cycle.response_complete
            if self.conn.their_state is h11.IDLE and self._received == 0 and not in_flight:
                self.transport.close()  # an idle keep-alive connection: nothing was on its way
                return
            logger.warning("a request did not arrive within request_timeout_seconds (%.0f s): closed", request_timeout_seconds)
            if cycle is not None and cycle.response_started:
                self.transport.close()
            else:
                _answer(self.transport, 408, "Request Timeout", f"the request did not arrive within {request_timeout_seconds:g} s (request_timeout_seconds)")

    return GuardedH11Protocol
