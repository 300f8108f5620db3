"""The background runner of build jobs.

Jobs live in the store, so the store is the queue: the runner claims the oldest
queued job, indexes its repositories one after the other, records each outcome
as soon as it is known, and sets the job's final status. One job runs at a time.

A fatal upstream error (GitHub or Ollama unreachable, bad credentials, an
unknown model, a rate limit that resets too late) ends the attempts: the
remaining repositories of the job fail with "not attempted: <that error>". So does
an outage: :data:`CIRCUIT_BREAKER_FAILURES` repositories in a row whose retries were
used up open the circuit breaker.

Jobs are claimed for an owner (this runner: ``host:pid:random``) with a lease
of ``job_lease_seconds`` that a background task renews every third of it; every
record is checked against the owner by the store. When the store says the job
is not ours any more (:class:`~ragstar.store.LeaseLost`: another replica took it
over after our lease expired), the runner drops it and records nothing more.

Stopping: :meth:`JobRunner.stop` lets the repository being indexed finish (at most
``finish_seconds``), then cancels; the service then hands the job back to the
store (:meth:`ragstar.stores.JobStore.stop_jobs`: SQLite fails it as
"interrupted", PostgreSQL puts it back in the queue for another replica).

The runner is given exactly what it uses (a way to open the store, the two
upstream clients and the settings) and never imports :mod:`ragstar.service`,
which builds it: tests/service/test_imports.py keeps the package free of
import cycles.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Callable

from ragstar.config import Settings
from ragstar.indexer import index_repository
from ragstar.store import Job, LeaseLost, RepoRef, StoreUnavailable, StoreWriteError
from ragstar.stores import JobStore
from ragstar.upstream import GitHub, Ollama, UpstreamError

logger = logging.getLogger("ragstar.jobs")

#: How often an idle runner looks for queued jobs without being woken (and
#: retries a store that could not be opened).
POLL_SECONDS = 5.0

#: The circuit breaker: after this many repositories in a row failed on retries used up (GitHub or
#: Ollama answering 5xx, timing out or dropping connections: an outage), the job stops trying and
#: the rest of its repositories fail as "not attempted". With the default retries (3, backoff from
#: 1 s: about 7 s a repository) a 100-repository job then ends in about 35 s, not 12 minutes. Five,
#: because one or two slow repositories are ordinary and five in a row is not; a repository that
#: succeeds, or that GitHub answers for good (a 404), closes the circuit again.
CIRCUIT_BREAKER_FAILURES = 5


def runner_owner() -> str:
    """A name for this process's runner, unique across replicas and restarts: ``host:pid:random``."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


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
        open_store: Callable[[], JobStore],
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
        self._stopping = False
        #: Jobs whose progress could not be written (a full disk), by id, with the reason they fail
        #: with once the store can write again: retried before each claim, so none stays "running".
        self._unrecorded: dict[str, str] = {}
        #: This runner's name in the store (jobs' ``owner``).
        self.owner = runner_owner()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="ragstar-job-runner")

    def wake(self) -> None:
        """Look for queued jobs now (call after queueing one)."""
        self._wake.set()

    async def stop(self, finish_seconds: float = 0.0) -> None:
        """Stop claiming jobs, let the repository being indexed finish for at most
        ``finish_seconds``, then cancel the loop and wait until it has stopped."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        self._wake.set()
        if finish_seconds > 0:
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(task), finish_seconds)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def _loop(self) -> None:
        while not self._stopping:
            self._wake.clear()
            job: Job | None = None
            try:
                store = await asyncio.to_thread(self._open_store)
                # A job that could not be failed yet blocks new claims: the store must write first.
                await asyncio.to_thread(self._fail_unrecorded, store)
                if not self._unrecorded:
                    job = await asyncio.to_thread(
                        store.claim_next_job, self.owner, self._settings.job_lease_seconds
                    )
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
            except LeaseLost as exc:
                # Cancelled, or (PostgreSQL) taken over by another replica after our lease expired.
                logger.warning("job %s: dropped: %s", job.id, exc)
            except StoreWriteError as exc:
                # Its progress could not be written (a full disk): the job fails with that reason as
                # soon as the store can write, so it can be rerun.
                reason = f"the store could not record this job's progress: {exc}"
                self._unrecorded[job.id] = reason
                logger.error("job %s: %s; it fails as soon as the store can write again", job.id, reason)
            except StoreUnavailable as exc:
                # The store is unreachable (PostgreSQL: the job's lease expires and a replica, or this
                # one, takes it over; SQLite: the next start fails it as interrupted).
                logger.error("job %s: store unavailable: %s", job.id, exc)
            except Exception as exc:
                logger.exception("job %s: unexpected error", job.id)
                self._unrecorded[job.id] = f"internal error: {type(exc).__name__}: {exc}"

    def _fail_unrecorded(self, store: JobStore) -> None:
        """Fail each job whose progress could not be written; a job is forgotten once failed (or
        found no longer ours). Raises StoreUnavailable while the store still cannot write."""
        for job_id, reason in list(self._unrecorded.items()):
            if store.fail_job(job_id, self.owner, reason):
                logger.info("job %s: failed: %s", job_id, reason)
            del self._unrecorded[job_id]

    async def run_job(self, job: Job) -> Job | None:
        """Index every pending repository of a job claimed by this runner and finish it, keeping
        its lease alive meanwhile. Returns the finished job, or ``None`` when the runner was
        stopped between two repositories (the job stays claimed; the service hands it back).

        Raises:
            LeaseLost: the job stopped being this runner's (nothing more was recorded).
        """
        store = self._open_store()
        renewer = asyncio.create_task(self._renew(store, job.id), name=f"ragstar-lease-{job.id}")
        try:
            return await self._run_items(store, job)
        finally:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer

    async def _renew(self, store: JobStore, job_id: str) -> None:
        """Renew the lease every third of it; a failed renewal is logged (the next write will tell)."""
        lease = self._settings.job_lease_seconds
        while True:
            await asyncio.sleep(lease / 3)
            try:
                if not await asyncio.to_thread(store.renew_lease, job_id, self.owner, lease):
                    logger.warning("job %s: lease lost", job_id)
                    return
            except StoreUnavailable as exc:
                logger.warning("job %s: cannot renew the lease: %s", job_id, exc)

    async def _run_items(self, store: JobStore, job: Job) -> Job | None:
        owner = self.owner
        logger.info("job %s: started (%d repositories, attempt %d)", job.id, len(job.items), job.attempts)
        fatal: UpstreamError | None = None
        outage = 0  # repositories in a row that failed on retries used up
        for item in job.items:
            if item.status != "pending":
                continue
            if self._stopping:
                logger.info("job %s: stopping before %s", job.id, item.url)
                return None
            ref = RepoRef(item.owner, item.name, item.url)
            if fatal is not None:
                error = f"not attempted: {fatal}"
                await asyncio.to_thread(store.record_item, job.id, item.position, owner=owner, error=error)
                continue
            try:
                repository = await index_repository(ref, self._github, self._ollama, self._settings)
            except UpstreamError as exc:
                logger.warning("job %s: %s: %s", job.id, ref.full_name, exc)
                outage = outage + 1 if exc.exhausted else 0
                if exc.fatal:
                    fatal = exc
                elif outage >= CIRCUIT_BREAKER_FAILURES:
                    fatal = UpstreamError(
                        f"stopped after {outage} repositories in a row failed on an upstream outage "
                        f"(circuit breaker); the last: {exc}",
                        fatal=True,
                    )
                    logger.error("job %s: %s", job.id, fatal)
                await asyncio.to_thread(store.record_item, job.id, item.position, owner=owner, error=str(exc))
            except Exception as exc:  # a bug must fail one repository, not the runner
                outage = 0
                logger.exception("job %s: %s: unexpected error", job.id, ref.full_name)
                error = f"internal error: {type(exc).__name__}: {exc}"
                await asyncio.to_thread(store.record_item, job.id, item.position, owner=owner, error=error)
            else:
                outage = 0
                await asyncio.to_thread(
                    store.record_item, job.id, item.position, owner=owner, repository=repository
                )
        finished = await asyncio.to_thread(store.finish_job, job.id, owner)
        logger.info("job %s: %s%s", job.id, finished.status, f" ({finished.error})" if finished.error else "")
        return finished
