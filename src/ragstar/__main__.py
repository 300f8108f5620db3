"""Run the RAGstar server: ``python -m ragstar [--host HOST] [--port PORT | --uds PATH]``.

The image's command. It serves ``ragstar.api`` with uvicorn and drains on a stop signal
(SIGTERM, or SIGINT), in three steps that fit the pod's terminationGracePeriodSeconds:

1. **Drain** for ``drain_seconds``: ``/ready`` answers 503 at once, so the Service's endpoints
   and any load balancer stop sending, while every endpoint is still served and new
   connections are still accepted.
2. **Stop accepting**, then wait for the requests in flight, at most
   ``shutdown_timeout_seconds`` (uvicorn's ``timeout_graceful_shutdown``).
3. **Stop the job runner**: the repository being indexed may finish in what is left of
   ``shutdown_timeout_seconds``; the job then goes back to the store (SQLite: failed as
   interrupted; PostgreSQL: queued again for another replica).

A second stop signal while draining skips the rest of the drain. ``uvicorn ragstar.api:app``
still works, without the drain step and without a budget for the job step.

Exit status 1 with a one-line message on a bad configuration (as ``ragstar.api``).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import time
from types import FrameType

import uvicorn

from ragstar.api import create_app
from ragstar.config import ConfigError, load_settings
from ragstar.connections import guarded_h11_protocol
from ragstar.logthrottle import throttle_logging
from ragstar.service import Service

logger = logging.getLogger("ragstar")


class DrainingServer(uvicorn.Server):
    """A uvicorn server whose first stop signal starts a drain instead of the shutdown."""

    def __init__(self, config: uvicorn.Config, service: Service, drain_seconds: float, shutdown_timeout_seconds: float) -> None:
        super().__init__(config)
        self._service = service
        self._drain_seconds = drain_seconds
        self._shutdown_timeout_seconds = shutdown_timeout_seconds
        self._loop: asyncio.AbstractEventLoop | None = None
        self._drain: asyncio.TimerHandle | None = None

    async def serve(self, sockets: list | None = None) -> None:  # type: ignore[type-arg]
        self._loop = asyncio.get_running_loop()
        await super().serve(sockets)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """Called by uvicorn's signal handler (in the event loop's thread, between bytecodes)."""
        if self._service.draining or self._loop is None or self._drain_seconds <= 0:
            self._stop(sig, frame)
            return
        self._service.draining = True
        # Not from inside a signal handler: call_soon_threadsafe is the one loop call that is safe there.
        self._loop.call_soon_threadsafe(self._start_drain, sig, frame)

    def _start_drain(self, sig: int, frame: FrameType | None) -> None:
        logger.info("stop signal %d: draining for %.1f s (/ready answers 503), then shutting down", sig, self._drain_seconds)
        assert self._loop is not None
        self._drain = self._loop.call_later(self._drain_seconds, self._stop, sig, frame)

    def _stop(self, sig: int, frame: FrameType | None) -> None:
        if self._drain is not None:
            self._drain.cancel()
            self._drain = None
        self._service.draining = True
        if self._service.shutdown_deadline is None:
            self._service.shutdown_deadline = time.monotonic() + self._shutdown_timeout_seconds
        super().handle_exit(sig, frame)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m ragstar", description="Serve RAGstar, draining on SIGTERM.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; the image uses 0.0.0.0)")
    parser.add_argument("--port", type=int, default=8000, help="TCP port (default 8000)")
    parser.add_argument("--uds", help="listen on this unix socket instead of a TCP port")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        raise SystemExit(f"ragstar: configuration error: {exc}") from None
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        uds=args.uds,
        timeout_graceful_shutdown=max(1, round(settings.shutdown_timeout_seconds)),
        # Bounded connections and request times (ragstar.connections); keep-alive stays uvicorn's 5 s.
        http=guarded_h11_protocol(settings.max_connections, settings.request_timeout_seconds),
    )
    # After uvicorn configured its loggers: a flood of one error becomes a few lines and a count.
    # The access log is left out: one line per request is its job.
    throttle_logging(("uvicorn", "ragstar", "asyncio"))
    server = DrainingServer(config, app.state.service, settings.drain_seconds, settings.shutdown_timeout_seconds)
    server.run()


if __name__ == "__main__":
    main()
