"""Which store a service uses, and what every store offers.

* SQLite (the default): ``db_path``, a data directory one process owns
  (:class:`ragstar.store.Store`); one replica, the Recreate strategy.
* PostgreSQL: the secret ``database_url`` (:class:`ragstar.store_pg.PostgresStore`);
  several replicas share the index and the jobs.

Both implement :class:`JobStore`; the service, the job runner and the API use
nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ragstar.config import Settings
from ragstar.store import IndexedRepository, Job, RepoRef, Repository, Store
from ragstar.store_pg import PostgresStore


class JobStore(Protocol):
    """The operations of a store (see :class:`ragstar.store.Store` for each one's contract)."""

    #: Where the store is, for logs (a file path, or PostgreSQL's host:port/dbname).
    path: object

    def close(self) -> None: ...
    def check(self) -> None: ...
    def create_job(self, refs: Sequence[RepoRef], rerun_of: str | None = None) -> Job: ...
    def get_job(self, job_id: str) -> Job | None: ...
    def list_jobs(self, limit: int) -> list[tuple[Job, dict[str, int]]]: ...
    def claim_next_job(self, owner: str, lease_seconds: float) -> Job | None: ...
    def renew_lease(self, job_id: str, owner: str, lease_seconds: float) -> bool: ...
    def record_item(
        self,
        job_id: str,
        position: int,
        *,
        owner: str,
        error: str | None = None,
        repository: IndexedRepository | None = None,
    ) -> None: ...
    def finish_job(self, job_id: str, owner: str) -> Job: ...
    def stop_jobs(self, owner: str, reason: str) -> list[str]: ...
    def queue_load(self) -> tuple[int, int]: ...
    def fail_job(self, job_id: str, owner: str, reason: str) -> bool: ...
    def cancel_job(self, job_id: str) -> Job | None: ...
    def get_repository(self, owner: str, name: str) -> Repository | None: ...
    def list_repositories(self, limit: int, offset: int) -> tuple[int, list[Repository]]: ...
    def repositories_by_id(self, ids: Sequence[int]) -> dict[int, Repository]: ...
    def keyword_scores(self, terms: Sequence[str], limit: int) -> dict[int, float]: ...
    def embeddings(self, model: str) -> dict[int, list[float]]: ...
    def repository_count(self) -> int: ...
    def clear_repositories(self) -> int: ...
    def export_repositories(self) -> list[tuple[IndexedRepository, str]]: ...
    def import_repositories(self, repositories: Sequence[tuple[IndexedRepository, str]]) -> int: ...


def uses_postgres(settings: Settings) -> bool:
    """True when ``database_url`` is set: the PostgreSQL store, shared by replicas."""
    return settings.database_url is not None


def open_store(settings: Settings) -> JobStore:
    """Open the store the settings select.

    Raises:
        ragstar.store.StoreUnavailable: it cannot be opened (the message never holds the
            database password).
    """
    if settings.database_url is not None:
        return PostgresStore.open(settings.database_url.get_secret_value())
    return Store.open(settings.db_path)
