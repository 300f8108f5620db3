"""HTTP API of RAGstar.

``create_app(settings)`` builds the FastAPI application; ``app`` is the
application uvicorn serves (``uvicorn ragstar.api:app``). ``app`` is created
on first access, loading the configuration from the environment; a bad
configuration ends the process with a one-line message and exit status 1.

Endpoints:

* ``GET /health`` -> 200 ``{"status": "ok"}``. Liveness: touches nothing.
* ``GET /ready`` -> 200 ``{"status": "ready"}`` when the data directory
  exists and is writable, else 503 ``{"status": "not ready", "reason": str}``.
"""

from __future__ import annotations

import functools
import logging
import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from ragstar.config import ConfigError, Settings, load_settings

logger = logging.getLogger("ragstar")

# Loggers whose level follows the ``log_level`` setting.
_LOGGERS = ("ragstar", "uvicorn", "uvicorn.error", "uvicorn.access")


def check_data_dir(path: Path) -> str | None:
    """Check that ``path`` is an existing directory we can create files in.

    Writability is proven by creating and removing a temporary file, which
    also catches read-only mounts that permission bits would not reveal.

    Returns:
        ``None`` when usable, else a short reason for the readiness response.
    """
    if not path.exists():
        return f"data directory {path} does not exist"
    if not path.is_dir():
        return f"data directory {path} is not a directory"
    try:
        fd, probe = tempfile.mkstemp(prefix=".ready-", dir=path)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        return f"data directory {path} is not writable: {exc.strerror or exc}"
    return None


def _configure_logging(level: str) -> None:
    """Apply ``level`` (e.g. ``"info"``) to the service and uvicorn loggers."""
    for name in _LOGGERS:
        logging.getLogger(name).setLevel(level.upper())
    if not logger.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s:     %(name)s: %(message)s"))
        logger.addHandler(handler)


def create_app(settings: Settings) -> FastAPI:
    """Build the application around already-validated ``settings``.

    The settings are available to handlers as ``request.app.state.settings``.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        _configure_logging(settings.log_level)
        logger.info(
            "starting: db_path=%s ollama_base_url=%s ollama_model=%s github_api_url=%s",
            settings.db_path,
            settings.ollama_base_url,
            settings.ollama_model,
            settings.github_api_url,
        )
        yield
        logger.info("stopped")

    app = FastAPI(title="RAGstar", lifespan=lifespan)
    app.state.settings = settings

    @app.get("/health")
    async def health() -> dict[str, str]:
        """Liveness: the process answers HTTP."""
        return {"status": "ok"}

    @app.get("/ready", response_model=None)
    def ready() -> dict[str, str] | JSONResponse:
        """Readiness: configuration loaded and data directory usable.

        A plain ``def`` so the filesystem probe runs in the thread pool.
        """
        current: Settings | None = getattr(app.state, "settings", None)
        reason = "configuration not loaded" if current is None else check_data_dir(current.db_path)
        if reason is not None:
            return JSONResponse({"status": "not ready", "reason": reason}, status_code=503)
        return {"status": "ready"}

    return app


@functools.cache
def _default_app() -> FastAPI:
    """Create the served app from the environment, exiting cleanly on bad config."""
    try:
        settings = load_settings()
    except ConfigError as exc:
        raise SystemExit(f"ragstar: configuration error: {exc}") from None
    return create_app(settings)


def __getattr__(name: str) -> FastAPI:
    """Provide ``app`` lazily, so importing this module does not read configuration."""
    if name == "app":
        return _default_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
