"""The background runner of build jobs.

Jobs live in the store, so the store is the queue: the runner claims the oldest
queued job, indexes its repositories one after the other, records each outcome
as soon as it is known, and sets the job's final status. One job runs at a time.

A fatal upstream error (GitHub or Ollama unreachable, bad credentials, an
unknown model, a rate limit that resets too late) ends the attempts: the
remaining repositories of the job fail with "not attempted: <that error>".

Stopping the runner cancels the job in progress at once (an outgoing call is
abandoned mid-flight); the service then marks that job failed ("interrupted").

The runner is given exactly what it uses (a way to open the store, the two
upstream clients and the settings) and never imports :mod:`ragstar.service`,
which builds it: tests/service/test_imports.py keeps the package free of
import cycles.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from ragstar.config import Settings
from ragstar.indexer import index_repository
from ragstar.store import Job, RepoRef, Store, StoreUnavailable
from ragstar.upstream import GitHub, Ollama, UpstreamError

logger = logging.getLogger("ragstar.jobs")

#: How often an idle runner looks for queued jobs without being woken (and
#: retries a store that could not be opened).
POLL_SECONDS = 5.0


class JobRunner:
    """Runs queued jobs in an asyncio task on the application's event loop.

    Args:
        open_store: returns the open store, opening it first if needed; blocking
            (the runner calls it from a thread) and raises
            :class:`~ragstar.store.StoreUnavailable` when it cannot be opened, so
            a store missing at start-up is retried on each poll.
        github: the GitHub client repositories are read with.
        ollama: the Ollama client that summarises and embeds them.
        settings: the limits and models :func:`~ragstar.indexer.index_repository` uses.
        poll_seconds: how long an idle runner waits for :meth:`wake` before
            looking for queued jobs again.
    """

    def __init__(
        self,
        open_store: Callable[[], Store],
        github: GitHub,
        ollama: Ollama,
        settings: Settings,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self._open_store = open_store
        self._github = github
        self._ollama = ollama
        self._settings = settings
        self._poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="ragstar-job-runner")

    def wake(self) -> None:
        """Look for queued jobs now (call after queueing one)."""
        self._wake.set()

    async def stop(self) -> None:
        """Cancel the loop and the job in progress, and wait until they have stopped."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def _loop(self) -> None:
        while True:
            self._wake.clear()
            job: Job | None = None
            try:
                store = await asyncio.to_thread(self._open_store)
                job = await asyncio.to_thread(store.claim_next_job)
            except StoreUnavailable as exc:
                logger.debug("job runner: store unavailable: %s", exc)
            except Exception:  # keep the runner alive whatever happens
                logger.exception("job runner: cannot claim a job")
            if job is None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._poll_seconds)
                continue
            try:
                await self.run_job(job)
            except StoreUnavailable as exc:
                logger.error("job %s: store unavailable: %s", job.id, exc)
            except Exception:
                logger.exception("job %s: unexpected error", job.id)

    async def run_job(self, job: Job) -> Job:
        """Index every pending repository of a claimed (running) job and finish it."""
        store = self._open_store()
        logger.info("job %s: started (%d repositories)", job.id, len(job.items))
        fatal: UpstreamError | None = None
        for item in job.items:
            if item.status != "pending":
                continue
            ref = RepoRef(item.owner, item.name, item.url)
            if fatal is not None:
                error = f"not attempted: {fatal}"
                await asyncio.to_thread(store.record_item, job.id, item.position, error=error)
                continue
            try:
                repository = await index_repository(ref, self._github, self._ollama, self._settings)
            except UpstreamError as exc:
                logger.warning("job %s: %s: %s", job.id, ref.full_name, exc)
                if exc.fatal:
                    fatal = exc
                await asyncio.to_thread(store.record_item, job.id, item.position, error=str(exc))
            except Exception as exc:  # a bug must fail one repository, not the runner
                logger.exception("job %s: %s: unexpected error", job.id, ref.full_name)
                error = f"internal error: {type(exc).__name__}: {exc}"
                await asyncio.to_thread(store.record_item, job.id, item.position, error=error)
            else:
                await asyncio.to_thread(
                    store.record_item, job.id, item.position, repository=repository
                )
        finished = await asyncio.to_thread(store.finish_job, job.id)
        logger.info("job %s: %s%s", job.id, finished.status, f" ({finished.error})" if finished.error else "")
        return finished
