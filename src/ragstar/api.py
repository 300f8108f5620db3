"""HTTP API of RAGstar.

``create_app(settings)`` builds the FastAPI application; ``app`` is the
application uvicorn serves (``uvicorn ragstar.api:app``). ``app`` is created
on first access, loading the configuration from the environment; a bad
configuration ends the process with a one-line message and exit status 1.
The application needs its lifespan to run (uvicorn and ``with TestClient(app)``
do): it opens the store and starts the job runner there, and on shutdown
(SIGTERM) stops the job in progress and marks it interrupted.

Endpoints (docs/service.md has the details; /docs the OpenAPI schema):

* ``GET /health`` -> 200 ``{"status": "ok"}``. Liveness: touches nothing.
* ``GET /ready`` -> 200 ``{"status": "ready", "store": "ok"}`` when the data
  directory exists and is writable and the store opens and answers a query,
  else 503 ``{"status": "not ready", "reason": str}``; 503 at once after a stop
  signal (``python -m ragstar`` drains: see ``ragstar.__main__``).
* ``POST /build`` -> 202, a job indexing the given repositories.
* ``GET /jobs``, ``GET /jobs/{id}``, ``POST /jobs/{id}/rerun``, ``POST /jobs/{id}/cancel``.
* ``POST /query`` -> ranked repositories.
* ``GET /summaries``, ``GET /summaries/{owner}/{name}``.
* ``POST /clear`` (admin token) -> removes every indexed repository.

Request bodies larger than 64 KiB are refused with 413.
"""

from __future__ import annotations

import functools
from urllib.parse import urlsplit, urlunsplit
import hmac
import logging
import os
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ragstar import __version__
from ragstar.config import ConfigError, Settings, load_settings
from ragstar.schemas import (
    BuildRequest,
    BuildResponse,
    ClearResponse,
    JobList,
    JobOut,
    JobSummaryOut,
    QueryHit,
    QueryRequest,
    QueryResponse,
    SummaryList,
    SummaryOut,
    parse_repo_url,
)
from ragstar.service import Service
from ragstar.store import CANCELLED, FINISHED, RepoRef, StoreUnavailable, repo_key
from ragstar.store_pg import describe_target
from ragstar.stores import uses_postgres

logger = logging.getLogger("ragstar")

# Loggers whose level follows the ``log_level`` setting.
_LOGGERS = ("ragstar", "uvicorn", "uvicorn.error", "uvicorn.access")

#: Largest request body accepted; larger ones get 413.
MAX_BODY_BYTES = 64 * 1024


#: /ready fails while the data volume has less free space than this, bytes: SQLite needs room for
#: its write-ahead log and checkpoints, and a job's writes fail well before the last byte is used.
MIN_FREE_BYTES = 1024 * 1024
#: The size of /ready's probe write, bytes: one filesystem block and more, so a full volume refuses it.
PROBE_WRITE_BYTES = 8192


def check_data_dir(path: Path) -> str | None:
    """Check that ``path`` is an existing directory the store can write to.

    Writability is proven by a real small write (``PROBE_WRITE_BYTES`` written, flushed to disk and
    removed), which fails on a full volume and on a read-only mount alike; an empty file would be
    created on a full volume too. The volume must also have ``MIN_FREE_BYTES`` free.

    Returns:
        ``None`` when usable, else a short reason for the readiness response.
    """
    if not path.exists():
        return f"data directory {path} does not exist"
    if not path.is_dir():
        return f"data directory {path} is not a directory"
    try:
        fd, probe = tempfile.mkstemp(prefix=".ready-", dir=path)
        try:
            os.write(fd, b"\0" * PROBE_WRITE_BYTES)
            os.fsync(fd)
        finally:
            os.close(fd)
            os.unlink(probe)
        stat = os.statvfs(path)
    except OSError as exc:
        return f"data directory {path} is not writable: {exc.strerror or exc}"
    free = stat.f_bavail * stat.f_frsize
    if free < MIN_FREE_BYTES:
        return f"data directory {path} is nearly full: {free} bytes free, {MIN_FREE_BYTES} needed"
    return None


def _configure_logging(level: str) -> None:
    """Apply ``level`` (e.g. ``"info"``) to the service and uvicorn loggers."""
    for name in _LOGGERS:
        logging.getLogger(name).setLevel(level.upper())
    if not logger.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s:     %(name)s: %(message)s"))
        logger.addHandler(handler)


class BodySizeLimit:
    """ASGI middleware: answer 413 to a request body larger than ``max_bytes``.

    A declared ``Content-Length`` is checked before anything is read; a body
    without one (chunked) is read up to the limit and then handed on.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                await JSONResponse({"detail": "invalid Content-Length"}, status_code=400)(scope, receive, send)
                return
            if declared > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        if scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        buffered: list[Message] = []
        size = 0
        while True:
            message = await receive()
            buffered.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return buffered.pop(0) if buffered else await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = JSONResponse(
            {"detail": f"request body larger than {self.max_bytes} bytes"}, status_code=413
        )
        await response(scope, receive, send)


_bearer = HTTPBearer(auto_error=False, description="The admin token (admin_token).")


class CloseWhenDraining:
    """ASGI middleware: while the service drains, every response carries ``Connection: close``.

    A client on a keep-alive connection (pooled, as most HTTP clients do) then opens a new one for
    its next request, which the Service routes to a pod that is not leaving, instead of sending it
    down a connection this server is about to close.
    """

    def __init__(self, app: ASGIApp, service: Service) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.service.draining:
            await self.app(scope, receive, send)
            return

        async def closing(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"connection"]
                message = {**message, "headers": [*headers, (b"connection", b"close")]}
            await send(message)

        await self.app(scope, receive, closing)


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def require_admin(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Admit only ``Authorization: Bearer <admin_token>``; 403 when no token is configured."""
    token = _service(request).settings.admin_token
    if token is None:
        raise HTTPException(403, "admin endpoints are disabled: no admin token is configured")
    given = credentials.credentials if credentials is not None else ""
    if not hmac.compare_digest(given.encode("utf-8"), token.get_secret_value().encode("utf-8")):
        raise HTTPException(
            401, "missing or wrong admin token", headers={"WWW-Authenticate": "Bearer"}
        )


def require_builder(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """When ``build_token`` is set, admit only ``Authorization: Bearer <build_token>`` (or the
    admin token); 401 otherwise. Unset, everyone is admitted (the service's default, documented)."""
    settings = _service(request).settings
    if settings.build_token is None:
        return
    given = (credentials.credentials if credentials is not None else "").encode("utf-8")
    accepted = [t.get_secret_value().encode("utf-8") for t in (settings.build_token, settings.admin_token) if t is not None]
    # Compare with every accepted token, so the time does not say which one nearly matched.
    if not any([hmac.compare_digest(given, token) for token in accepted]):
        raise HTTPException(401, "missing or wrong build token", headers={"WWW-Authenticate": "Bearer"})


#: Retry-After of a 429 for a full build queue, seconds: about the time the runner takes for a few
#: repositories (each a few seconds), so a client's retry comes after the queue has moved.
QUEUE_FULL_RETRY_AFTER_SECONDS = 30


def _without_credentials(url: str) -> str:
    """``url`` with any ``user:password@`` removed, for logs."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port is not None else host
    return urlunsplit(parts._replace(netloc=f"***@{netloc}"))


def create_app(settings: Settings) -> FastAPI:
    """Build the application around already-validated ``settings``.

    The settings are available to handlers as ``request.app.state.settings``,
    the :class:`~ragstar.service.Service` as ``request.app.state.service``.
    """
    service = Service(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        _configure_logging(settings.log_level)
        logger.info(
            "starting: store=%s ollama_base_url=%s ollama_model=%s "
            "ollama_embedding_model=%s github_api_url=%s",
            f"PostgreSQL {describe_target(settings.database_url.get_secret_value())}"
            if settings.database_url is not None
            else f"SQLite in {settings.db_path}",
            _without_credentials(settings.ollama_base_url),
            settings.ollama_model,
            settings.ollama_embedding_model,
            _without_credentials(settings.github_api_url),
        )
        await service.start()
        try:
            yield
        finally:
            # What the server left of its shutdown budget goes to the repository being indexed.
            deadline = service.shutdown_deadline
            finish = 0.0 if deadline is None else max(0.0, deadline - time.monotonic())
            await service.stop(finish_seconds=finish)
            logger.info("stopped")

    app = FastAPI(
        title="RAGstar",
        version=__version__,
        description="Find the right GitHub repository for a question asked in natural language.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.service = service
    app.add_middleware(BodySizeLimit, max_bytes=MAX_BODY_BYTES)
    app.add_middleware(CloseWhenDraining, service=service)

    @app.exception_handler(StoreUnavailable)
    async def store_unavailable(request: Request, exc: StoreUnavailable) -> JSONResponse:
        return JSONResponse({"detail": f"store unavailable: {exc}"}, status_code=503)

    @app.get("/health", tags=["probes"])
    async def health() -> dict[str, str]:
        """Liveness: the process answers HTTP."""
        return {"status": "ok"}

    @app.get("/ready", response_model=None, tags=["probes"])
    def ready() -> dict[str, str] | JSONResponse:
        """Readiness: configuration loaded, data directory usable, store opens and answers.

        A plain ``def`` so the filesystem and database probes run in the thread pool.
        """
        current: Settings | None = getattr(app.state, "settings", None)
        if service.draining:
            reason: str | None = "draining: the server is shutting down"
        elif current is None:
            reason = "configuration not loaded"
        else:
            reason = None if uses_postgres(current) else check_data_dir(current.db_path)
        if reason is None:
            try:
                service.store().check()
            except StoreUnavailable as exc:
                reason = f"store unavailable: {exc}"
        if reason is not None:
            return JSONResponse({"status": "not ready", "reason": reason}, status_code=503)
        return {"status": "ready", "store": "ok"}

    async def check_queue(adding: int) -> None:
        """429 with Retry-After when the queue holds ``max_queued_jobs`` jobs, or ``adding`` more
        repositories would take it past ``max_queued_repositories``. A check before the insert, not
        in its transaction: concurrent requests can pass it together, by a few jobs at most.

        Raises:
            HTTPException: 429 when the queue is full.
            StoreUnavailable: the store cannot be read (503).
        """
        store = await run_in_threadpool(service.store)
        jobs, repositories = await run_in_threadpool(store.queue_load)
        if jobs >= settings.max_queued_jobs or repositories + adding > settings.max_queued_repositories:
            raise HTTPException(
                429,
                f"the build queue is full ({jobs} jobs and {repositories} repositories queued; "
                f"limits: max_queued_jobs {settings.max_queued_jobs}, max_queued_repositories "
                f"{settings.max_queued_repositories}); retry later",
                headers={"Retry-After": str(QUEUE_FULL_RETRY_AFTER_SECONDS)},
            )

    @app.post("/build", status_code=202, response_model=BuildResponse, tags=["index"], dependencies=[Depends(require_builder)])
    async def build(body: BuildRequest, response: Response) -> BuildResponse:
        """Queue a job that indexes the repositories; follow it with ``GET /jobs/{job_id}``.

        Each URL must be ``https://github.com/OWNER/NAME`` (``.git`` or a trailing slash
        allowed); otherwise 422 names the entry. Repositories already indexed are refreshed.
        401 without the build token when one is set; 429 with ``Retry-After`` when the queue is
        full (``max_queued_jobs``, ``max_queued_repositories``).
        """
        refs: dict[str, RepoRef] = {}
        for url in body.repositories:
            ref = parse_repo_url(url)
            refs.setdefault(repo_key(ref.owner, ref.name), ref)
        await check_queue(len(refs))
        job = await service.submit(list(refs.values()))
        return _accepted(job.id, job.status, [r.full_name for r in refs.values()], response)

    @app.get("/jobs", response_model=JobList, tags=["jobs"])
    async def list_jobs(
        limit: Annotated[int, Query(ge=1, le=200, description="How many, newest first.")] = 20,
    ) -> JobList:
        """The newest jobs with their progress (without the per-repository list)."""
        store = await run_in_threadpool(service.store)
        jobs = await run_in_threadpool(store.list_jobs, limit)
        return JobList(jobs=[JobSummaryOut.of(job, counts) for job, counts in jobs])

    @app.get("/jobs/{job_id}", response_model=JobOut, tags=["jobs"])
    async def get_job(job_id: str) -> JobOut:
        """A job's status, progress and per-repository outcome (404 when unknown)."""
        store = await run_in_threadpool(service.store)
        job = await run_in_threadpool(store.get_job, job_id)
        if job is None:
            raise HTTPException(404, f"no job {job_id}")
        return JobOut.of_job(job)

    @app.post("/jobs/{job_id}/rerun", status_code=202, response_model=BuildResponse, tags=["jobs"], dependencies=[Depends(require_builder)])
    async def rerun_job(job_id: str, response: Response) -> BuildResponse:
        """Queue a new job for all repositories of a finished job (e.g. one interrupted or cancelled).

        404 when the job is unknown, 409 while it is still queued or running, 429 when the queue is full.
        """
        store = await run_in_threadpool(service.store)
        job = await run_in_threadpool(store.get_job, job_id)
        if job is None:
            raise HTTPException(404, f"no job {job_id}")
        if job.status not in FINISHED:
            raise HTTPException(409, f"job {job_id} is {job.status}; only a finished job can be rerun")
        refs = [RepoRef(item.owner, item.name, item.url) for item in job.items]
        await check_queue(len(refs))
        new = await service.submit(refs, rerun_of=job_id)
        return _accepted(new.id, new.status, [r.full_name for r in refs], response)

    @app.post("/jobs/{job_id}/cancel", response_model=JobOut, tags=["jobs"], dependencies=[Depends(require_builder)])
    async def cancel_job(job_id: str) -> JobOut:
        """Cancel a queued or running job: it ends ``failed`` with the error ``cancelled``, its
        pending repositories ``not attempted: cancelled``; a running job's current repository
        finishes and is not recorded. 404 when the job is unknown, 409 when it has finished.
        """
        store = await run_in_threadpool(service.store)
        before = await run_in_threadpool(store.get_job, job_id)
        if before is None:
            raise HTTPException(404, f"no job {job_id}")
        if before.status in FINISHED:
            raise HTTPException(409, f"job {job_id} is {before.status}; only a queued or running job can be cancelled")
        job = await run_in_threadpool(store.cancel_job, job_id)
        if job is None:
            raise HTTPException(404, f"no job {job_id}")
        if job.error != CANCELLED:  # it finished between the two reads
            raise HTTPException(409, f"job {job_id} is {job.status}; only a queued or running job can be cancelled")
        logger.info("job %s: cancelled (was %s)", job_id, before.status)
        return JobOut.of_job(job)

    @app.post("/query", response_model=QueryResponse, tags=["search"])
    async def query(body: QueryRequest) -> QueryResponse:
        """Repositories ranked for a question: BM25, or hybrid BM25 + embeddings when configured."""
        result = await service.search(body.query, body.num_results)
        return QueryResponse(
            query=body.query,
            mode=result.mode,
            notice=result.notice,
            results=[
                QueryHit(
                    name=hit.repository.full_name,
                    url=hit.repository.url,
                    description=hit.repository.description,
                    topics=list(hit.repository.topics),
                    summary=hit.repository.summary,
                    score=hit.score,
                    keyword_score=hit.keyword_score,
                    semantic_score=hit.semantic_score,
                )
                for hit in result.hits
            ],
        )

    @app.get("/summaries", response_model=SummaryList, tags=["index"])
    async def list_summaries(
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> SummaryList:
        """Stored repositories with their summaries, by name, one page at a time."""
        store = await run_in_threadpool(service.store)
        total, repositories = await run_in_threadpool(store.list_repositories, limit, offset)
        return SummaryList(total=total, summaries=[SummaryOut.of(r) for r in repositories])

    @app.get("/summaries/{owner}/{name}", response_model=SummaryOut, tags=["index"])
    async def get_summary(owner: str, name: str) -> SummaryOut:
        """One stored repository (names are case-insensitive); 404 when it is not indexed."""
        store = await run_in_threadpool(service.store)
        repository = await run_in_threadpool(store.get_repository, owner, name)
        if repository is None:
            raise HTTPException(404, f"repository {owner}/{name} is not indexed")
        return SummaryOut.of(repository)

    @app.post(
        "/clear",
        response_model=ClearResponse,
        dependencies=[Depends(require_admin)],
        tags=["admin"],
        responses={
            401: {"description": "Missing or wrong admin token"},
            403: {"description": "No admin token configured"},
        },
    )
    async def clear() -> ClearResponse:
        """Remove every indexed repository (jobs are kept). Needs ``Authorization: Bearer <admin_token>``."""
        store = await run_in_threadpool(service.store)
        deleted = await run_in_threadpool(store.clear_repositories)
        logger.warning("index cleared: %d repositories removed", deleted)
        return ClearResponse(deleted=deleted)

    return app


def _accepted(job_id: str, status: str, names: list[str], response: Response) -> BuildResponse:
    url = f"/jobs/{job_id}"
    response.headers["Location"] = url
    return BuildResponse(job_id=job_id, status=status, status_url=url, repositories=names)  # type: ignore[arg-type]


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
