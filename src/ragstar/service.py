"""What the API runs on: the store, the GitHub and Ollama clients, the job runner, and search.

:meth:`Service.start` and :meth:`Service.stop` run in the application's
lifespan. The store is opened at start-up; when that fails (no data directory
yet, another process holding it) the service still starts, reports "not ready",
and tries again on the next request that needs the store.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

import httpx

from ragstar import cpus, ranking, vectors
from ragstar.config import Settings
from ragstar.jobs import JobRunner
from ragstar.store import Job, RepoRef, Repository, StoreUnavailable
from ragstar.store_pg import POOL_MAX_CONNECTIONS
from ragstar.stores import JobStore, open_store, uses_postgres
from ragstar.upstream import GitHub, Ollama, RetryPolicy, UpstreamError, github_client, ollama_client

logger = logging.getLogger("ragstar")

T = TypeVar("T")

SHUTDOWN_REASON = (
    "interrupted: the service shut down while this job was running; "
    "rerun it with POST /jobs/{id}/rerun"
)
# Keyword hits considered for one query (far more than num_results allows).
KEYWORD_CANDIDATES = 500


@dataclass(frozen=True)
class Hit:
    repository: Repository
    score: float
    keyword_score: float
    semantic_score: float | None


@dataclass(frozen=True)
class SearchResult:
    mode: Literal["keyword", "hybrid"]
    notice: str | None
    hits: list[Hit]


class Service:
    """The state behind one application instance."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._store: JobStore | None = None
        self._store_lock = threading.Lock()
        self._stopped = False
        #: The stored embeddings as one matrix per model, reloaded when the index changes.
        self._embeddings = vectors.EmbeddingCache()
        #: Where searches run. SQLite: one thread per CPU this process may use (its cgroup's quota,
        #: that is the pod's CPU limit), not the event loop's default executor (CPUs + 4 threads, and the
        #: node's CPUs at that). A search holds the GIL between its SQLite and numpy calls, and every
        #: thread more than the CPUs took the GIL from the event loop: at 32 concurrent hybrid
        #: queries on 2 CPUs, the embedding round trip's p50 was 10 ms with 2 threads and 234 ms with 6,
        #: a search's p99 332 ms and 1,074 ms (`npm run --silent bench:service -- --parts`).
        #: PostgreSQL: a search waits on the network, not the CPU, so as many threads as the store has
        #: connections.
        self.search_threads = POOL_MAX_CONNECTIONS if uses_postgres(settings) else cpus.available_cpus()
        self._search_pool = concurrent.futures.ThreadPoolExecutor(self.search_threads, thread_name_prefix="ragstar-search")
        policy = RetryPolicy.from_settings(settings)
        self._github_http: httpx.AsyncClient | None = None
        self._ollama_http: httpx.AsyncClient | None = None
        self.github: GitHub
        self.ollama: Ollama
        self._policy = policy
        self.runner: JobRunner | None = None
        #: Set once a stop signal arrived (``python -m ragstar``): /ready answers 503 from then on.
        self.draining = False
        #: ``time.monotonic()`` by which the shutdown after draining must end; None: no budget
        #: (an embedding server such as ``uvicorn ragstar.api:app`` or a test client).
        self.shutdown_deadline: float | None = None

    # -- lifecycle -------------------------------------------------------------

    async def start(self) -> None:
        why = "PostgreSQL: one per pooled connection" if uses_postgres(self.settings) else "SQLite: the CPUs this process may use"
        logger.info("search threads: %d (%s)", self.search_threads, why)
        self._github_http = github_client(self.settings)
        self._ollama_http = ollama_client(self.settings)
        self.github = GitHub(self.settings, self._github_http, self._policy)
        self.ollama = Ollama(self.settings, self._ollama_http, self._policy)
        try:
            await asyncio.to_thread(self.store)
        except StoreUnavailable as exc:
            logger.error("store unavailable (retried on demand): %s", exc)
        self.runner = JobRunner(self.store, self.github, self.ollama, self.settings)
        self.runner.start()

    async def stop(self, finish_seconds: float = 0.0) -> None:
        """Stop the runner (letting the repository being indexed finish for at most
        ``finish_seconds``), hand its job back to the store (SQLite: failed as interrupted;
        PostgreSQL: queued again for another replica), close everything."""
        try:
            owner = None
            if self.runner is not None:
                owner = self.runner.owner
                await self.runner.stop(finish_seconds)
                self.runner = None
            with self._store_lock:
                store, self._store = self._store, None
                self._stopped = True
            if store is not None:
                if owner is not None:
                    with contextlib.suppress(StoreUnavailable):
                        outcome = "queued again by shutdown" if uses_postgres(self.settings) else "interrupted by shutdown"
                        for job_id in store.stop_jobs(owner, SHUTDOWN_REASON):
                            logger.warning("job %s: %s", job_id, outcome)
                store.close()
            for client in (self._github_http, self._ollama_http):
                if client is not None:
                    await client.aclose()
        finally:
            # Searches queued or running then get StoreUnavailable (the store is closed).
            self._search_pool.shutdown(wait=False)

    def store(self) -> JobStore:
        """The open store, opening it first if needed (blocking: call from a thread).

        Raises:
            StoreUnavailable: it cannot be opened.
        """
        store = self._store
        if store is not None:
            return store
        with self._store_lock:
            if self._stopped:
                raise StoreUnavailable("the service has stopped")
            if self._store is None:
                self._store = open_store(self.settings)
                logger.info("store open: %s", self._store.path)
            return self._store

    # -- jobs ------------------------------------------------------------------

    async def submit(self, refs: Sequence[RepoRef], rerun_of: str | None = None) -> Job:
        store = await asyncio.to_thread(self.store)
        job = await asyncio.to_thread(store.create_job, refs, rerun_of)
        if self.runner is not None:
            self.runner.wake()
        return job

    # -- search ----------------------------------------------------------------

    async def search(self, query: str, num_results: int) -> SearchResult:
        """Rank the stored repositories for ``query`` (see :mod:`ragstar.ranking`).

        The store is opened first (nothing to do once it is open), so a store that cannot be opened
        fails the query at once, before any call to Ollama. With an embedding model configured, the
        query is then embedded (one Ollama call, no retries); the store reads and the ranking run
        in one call on the search threads, so a query costs one thread hand-off, not one per store
        call.

        Raises:
            StoreUnavailable: the store cannot be opened or read, or the service has stopped.
        """
        loop = asyncio.get_running_loop()
        store = self._store or await self._on_search_thread(loop, self.store)
        terms = ranking.query_terms(query)
        model = self.settings.ollama_embedding_model
        query_vector: vectors.QueryVector | None = None
        notice: str | None = None
        if model is not None:
            try:
                # A unit vector, as the stored ones are: the product is then the cosine (ValueError
                # for a zero or non-finite one falls back to the keyword ranking below).
                query_vector = vectors.query_vector(await self.ollama.embed(query, retries=False))
            except (UpstreamError, ValueError) as exc:
                notice = f"keyword ranking only: the query could not be embedded: {exc}"
        return await self._on_search_thread(loop, lambda: self._rank(store, terms, model, query_vector, num_results, notice))

    async def _on_search_thread(self, loop: asyncio.AbstractEventLoop, call: Callable[[], T]) -> T:
        """``call()`` on a search thread.

        Raises:
            StoreUnavailable: the search threads were shut down (the service stopped).
        """
        try:
            future = loop.run_in_executor(self._search_pool, call)
        except RuntimeError:  # the pool was shut down: the service stopped
            raise StoreUnavailable("the service has stopped") from None
        return await future

    def _rank(
        self,
        store: JobStore,
        terms: list[str],
        model: str | None,
        query_vector: vectors.QueryVector | None,
        num_results: int,
        notice: str | None,
    ) -> SearchResult:
        """The blocking half of :meth:`search`: keyword scores, the hybrid ranking when there is a
        query vector, and the hits' rows (run on a search thread)."""
        keyword = ranking.normalise(store.keyword_scores(terms, KEYWORD_CANDIDATES) if terms else {})
        mode: Literal["keyword", "hybrid"] = "keyword"
        ranked = vectors.Ranked(ranking.top(keyword, num_results), keyword, {})
        if model is not None and query_vector is not None:
            try:
                matrix = self._embeddings.get(store, model)
                hybrid = vectors.rank_hybrid(matrix, query_vector, keyword, num_results)
            except ValueError as exc:  # a stored vector that is not float32 (a damaged row)
                notice = f"keyword ranking only: the stored embeddings could not be read: {exc}"
            else:
                mode, ranked = "hybrid", hybrid
                if matrix.dimensions != len(query_vector) and store.repository_count() > 0:
                    notice = (
                        f"no stored repository has an embedding from {model} of this size; "
                        "rebuild the index to rank by similarity"
                    )
        repositories = store.repositories_by_id(ranked.ids)
        hits = [
            Hit(
                repository=repositories[key],
                score=ranked.scores[key],
                keyword_score=keyword.get(key, 0.0),
                semantic_score=ranked.semantic.get(key) if mode == "hybrid" else None,
            )
            for key in ranked.ids
            if key in repositories
        ]
        return SearchResult(mode=mode, notice=notice, hits=hits)
