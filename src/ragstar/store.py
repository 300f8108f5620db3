"""The SQLite store: indexed repositories, their full-text index, and build jobs.

One database file, ``ragstar.sqlite3``, in the data directory (``db_path``),
in WAL mode so readers never wait for the writer. Every write goes through one
connection guarded by a lock ("one writer"); reads run on ``query_only`` connections
that are kept and reused (at most :data:`READERS_KEPT` idle). A lock file
(``ragstar.lock``, ``flock``) keeps a second RAGstar process off the same data directory.

The schema is created and upgraded by :data:`MIGRATIONS`, applied in order, each
in its own transaction, and counted in ``PRAGMA user_version``. A database whose
version is newer than this code knows is refused rather than guessed at.

On open, jobs left ``running`` by a process that stopped without finishing
them are marked ``failed`` ("interrupted"); jobs still ``queued`` stay queued
and are picked up again.

The job methods take the runner's ``owner`` (:class:`LeaseLost` when the job is
not that owner's), as :class:`ragstar.store_pg.PostgresStore`'s do, where
several processes share the jobs; here one process owns the data directory, so
a lease never expires and nobody takes a job over.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
import sys
import threading
import uuid
from array import array
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from ragstar.ranking import fts5_expression

DB_FILENAME = "ragstar.sqlite3"
LOCK_FILENAME = "ragstar.lock"
BUSY_TIMEOUT_MS = 5000

JobStatus = Literal["queued", "running", "succeeded", "partially_failed", "failed"]
ItemStatus = Literal["pending", "succeeded", "failed"]
FINISHED: frozenset[str] = frozenset({"succeeded", "partially_failed", "failed"})

#: A cancelled job's error, and its pending repositories' (``POST /jobs/{id}/cancel``). A cancelled
#: job is ``failed`` with this error: the status set stays the one clients and the schema know.
CANCELLED = "cancelled"
CANCELLED_ITEM = "not attempted: cancelled"


def lease_lost_message(job_id: str, owner: str, row: Sequence[object] | None) -> str:
    """Why a runner no longer holds a job, from the job's ``(owner, status, error)`` row (both stores)."""
    if row is None:
        return f"job {job_id} no longer exists"
    if row[1] == "failed" and row[2] == CANCELLED:
        return f"job {job_id} was cancelled"
    return f"job {job_id} is {row[1]} for {row[0]}, not running for {owner}"

# BM25 column weights, in the column order of repositories_fts:
# name (owner and name), description, topics, summary, readme.
BM25_WEIGHTS = (5.0, 3.0, 3.0, 2.0, 0.5)

# Idle read connections a store keeps (Store._read): as many as the search threads of a pod with a
# CPU limit of 8 (ragstar.service). Reads beyond them (the job runner, the other endpoints, more
# CPUs) open a connection and close it afterwards: slower by about 0.6 ms, not wrong.
READERS_KEPT = 8

_FTS_ROW = """
    INSERT INTO repositories_fts (rowid, name, description, topics, summary, readme)
    VALUES (new.id, new.owner || ' ' || new.name, new.description,
            (SELECT coalesce(group_concat(value, ' '), '') FROM json_each(new.topics)),
            new.summary, new.readme);
"""

#: Schema migrations: migration N (1-based) brings ``user_version`` from N-1 to N.
#: Append only; never edit a migration that has shipped.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """
        CREATE TABLE jobs (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            status TEXT NOT NULL
                CHECK (status IN ('queued', 'running', 'succeeded', 'partially_failed', 'failed')),
            error TEXT,
            rerun_of TEXT,
            created_at TEXT NOT NULL,
            started_at TEXT,
            finished_at TEXT
        )
        """,
        "CREATE INDEX jobs_by_status ON jobs (status, seq)",
        """
        CREATE TABLE job_items (
            job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            url TEXT NOT NULL,
            owner TEXT NOT NULL,
            name TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
            error TEXT,
            repository TEXT,
            PRIMARY KEY (job_id, position)
        )
        """,
        """
        CREATE TABLE repositories (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            owner TEXT NOT NULL,
            name TEXT NOT NULL,
            url TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            topics TEXT NOT NULL DEFAULT '[]',
            stars INTEGER NOT NULL DEFAULT 0,
            readme TEXT NOT NULL DEFAULT '',
            summary TEXT NOT NULL,
            summary_model TEXT NOT NULL,
            embedding BLOB,
            embedding_model TEXT,
            indexed_at TEXT NOT NULL
        )
        """,
        """
        CREATE VIRTUAL TABLE repositories_fts USING fts5 (
            name, description, topics, summary, readme,
            tokenize = 'porter unicode61 remove_diacritics 2'
        )
        """,
        f"CREATE TRIGGER repositories_ai AFTER INSERT ON repositories BEGIN {_FTS_ROW} END",
        """
        CREATE TRIGGER repositories_ad AFTER DELETE ON repositories BEGIN
            DELETE FROM repositories_fts WHERE rowid = old.id;
        END
        """,
        f"""
        CREATE TRIGGER repositories_au AFTER UPDATE ON repositories BEGIN
            DELETE FROM repositories_fts WHERE rowid = old.id;
            {_FTS_ROW}
        END
        """,
    ),
    (
        # Who runs a job and how often it was claimed (shown by /jobs; PostgreSQL's leases).
        "ALTER TABLE jobs ADD COLUMN owner TEXT",
        "ALTER TABLE jobs ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0",
    ),
)

SCHEMA_VERSION = len(MIGRATIONS)


class StoreUnavailable(Exception):
    """The store cannot be opened or queried; ``str(error)`` says why, on one line."""


class StoreWriteError(StoreUnavailable):
    """A write failed: the data volume (or the database server's disk) is full, or the filesystem
    refuses writes. Nothing of the transaction was kept; the store works again, without a restart,
    once space returns. The API answers 503 with its message, like :class:`StoreUnavailable`."""


class LeaseLost(Exception):
    """The job is no longer this owner's (its lease expired and another process took it over,
    or it was released); the caller stops working on it and records nothing more."""


@dataclass(frozen=True)
class RepoRef:
    """A repository named in a build request."""

    owner: str
    name: str
    url: str

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass(frozen=True)
class JobItem:
    position: int
    url: str
    owner: str
    name: str
    status: ItemStatus
    error: str | None
    repository: str | None


@dataclass(frozen=True)
class Job:
    id: str
    status: JobStatus
    error: str | None
    rerun_of: str | None
    created_at: str
    started_at: str | None
    finished_at: str | None
    items: tuple[JobItem, ...] = field(default=())
    #: The runner that holds (or last held) the job: ``host:pid:random``.
    owner: str | None = None
    #: How many times a runner claimed it (more than 1: taken over after its owner died).
    attempts: int = 0


@dataclass(frozen=True)
class IndexedRepository:
    """What indexing one repository produced, ready to store."""

    owner: str
    name: str
    url: str
    description: str
    topics: tuple[str, ...]
    stars: int
    readme: str
    summary: str
    summary_model: str
    embedding: tuple[float, ...] | None = None
    embedding_model: str | None = None


@dataclass(frozen=True)
class Repository:
    """A stored repository, as the API shows it."""

    id: int
    owner: str
    name: str
    url: str
    description: str
    topics: tuple[str, ...]
    stars: int
    summary: str
    summary_model: str
    embedding_model: str | None
    indexed_at: str

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


def now() -> str:
    """The current UTC time as ISO 8601 with a ``Z``, to the millisecond."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def repo_key(owner: str, name: str) -> str:
    """GitHub owner and repository names are case-insensitive: one key for all spellings."""
    return f"{owner}/{name}".lower()


def pack_vector(vector: Sequence[float]) -> bytes:
    """Encode a vector as little-endian float32 bytes."""
    data = array("f", vector)
    if sys.byteorder == "big":
        data.byteswap()
    return data.tobytes()


def unpack_vector(blob: bytes) -> list[float]:
    """Decode :func:`pack_vector` bytes."""
    data = array("f")
    data.frombytes(blob)
    if sys.byteorder == "big":
        data.byteswap()
    return data.tolist()


class Store:
    """The open database. Thread-safe; use :meth:`open`, then :meth:`close`."""

    def __init__(self, directory: Path, lock_fd: int, writer: sqlite3.Connection) -> None:
        self.directory = directory
        self.path = directory / DB_FILENAME
        self._lock_fd = lock_fd
        self._writer = writer
        self._write_lock = threading.Lock()
        self._closed = False
        # What embedding_fingerprint reports: this object, and how many writes changed repositories
        # (one process owns a data directory: nothing else writes them).
        self._instance = uuid.uuid4().hex
        self._repository_writes = 0
        # Idle read connections, reused: a new one (opened, its pragmas set, the FTS5 table's
        # configuration loaded by its first full-text query) cost a keyword query about 0.6 ms of
        # its 4.8 (bench:service -- --parts), and a /query made two. Reads run outside transactions
        # (autocommit), so a reused connection sees every commit, as a new one would.
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()

    # -- opening and closing -------------------------------------------------

    @classmethod
    def open(cls, directory: Path) -> Store:
        """Open (creating or migrating as needed) the store in ``directory``.

        Raises:
            StoreUnavailable: the directory is missing, another process holds
                the lock, the file is not a usable SQLite database, or its
                schema is newer than this code.
        """
        if not directory.is_dir():
            raise StoreUnavailable(f"data directory {directory} does not exist")
        lock_path = directory / LOCK_FILENAME
        try:
            lock_fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o640)
        except OSError as exc:
            raise StoreUnavailable(f"cannot create {lock_path}: {exc.strerror or exc}") from None
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(lock_fd)
            raise StoreUnavailable(
                f"data directory {directory} is in use by another RAGstar process ({lock_path} is locked)"
            ) from None
        writer: sqlite3.Connection | None = None
        try:
            writer = _connect(directory / DB_FILENAME)
            mode = writer.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreUnavailable(f"{directory / DB_FILENAME}: cannot switch to WAL mode (got {mode})")
            _migrate(writer)
            store = cls(directory, lock_fd, writer)
            store.interrupt_running_jobs(
                "interrupted: the service stopped while this job was running; "
                "rerun it with POST /jobs/{id}/rerun"
            )
            return store
        except sqlite3.Error as exc:
            if writer is not None:
                writer.close()
            os.close(lock_fd)
            raise StoreUnavailable(f"{directory / DB_FILENAME}: {exc}") from None
        except BaseException:
            if writer is not None:
                writer.close()
            os.close(lock_fd)
            raise

    def close(self) -> None:
        """Close the writer connection and release the directory lock."""
        with self._write_lock:
            if self._closed:
                return
            self._closed = True
            with contextlib.suppress(sqlite3.Error):
                self._writer.execute("PRAGMA optimize")
            self._writer.close()
            os.close(self._lock_fd)
        with self._readers_lock:
            readers, self._readers = self._readers, []
        for conn in readers:
            conn.close()

    def check(self) -> None:
        """Prove the store can be opened and queried (the readiness check): on a new connection,
        not a reused one, so a database file that can no longer be opened fails it."""
        try:
            with self._read(fresh=True) as conn:
                conn.execute("SELECT count(*) FROM jobs WHERE status = 'running'").fetchone()
                conn.execute("SELECT rowid FROM repositories_fts LIMIT 1").fetchall()
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"{self.path}: {exc}") from None

    @contextlib.contextmanager
    def _read(self, *, fresh: bool = False) -> Iterator[sqlite3.Connection]:
        """A read-only connection: an idle one reused, or a new one (``fresh``, or none idle).

        It goes back to the idle ones after a read that raised nothing (at most
        ``READERS_KEPT``); after an error, or once the store is closed, it is closed.

        The rule for a read: fetch every row before the block ends (``fetchall``, or ``fetchone``
        of a one-row query). A statement left unfinished keeps its read snapshot open: the reused
        connection would then see old data and hold back WAL checkpoints. Each read then runs
        outside a transaction, so a reused connection sees every commit.

        Raises:
            StoreUnavailable: the store is closed, or no connection can be opened.
        """
        if self._closed:
            raise StoreUnavailable("the store is closed")
        conn = None
        if not fresh:
            with self._readers_lock:
                conn = self._readers.pop() if self._readers else None
        if conn is None:
            try:
                conn = _connect(self.path)
                conn.execute("PRAGMA query_only = 1")
            except sqlite3.Error as exc:
                if conn is not None:
                    conn.close()
                raise StoreUnavailable(f"{self.path}: {exc}") from None
        try:
            yield conn
        except BaseException:
            conn.close()
            raise
        with self._readers_lock:
            if not self._closed and not conn.in_transaction and len(self._readers) < READERS_KEPT:
                self._readers.append(conn)
                conn = None
        if conn is not None:
            conn.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction on the single writer connection."""
        with self._write_lock:
            if self._closed:
                raise StoreUnavailable("the store is closed")
            conn = self._writer
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                except BaseException:
                    _rollback(conn)
                    raise
                conn.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                # "database or disk is full", a read-only or vanished file, a lock held too long: the
                # transaction is gone (SQLite rolls back on a failed COMMIT), and the caller gets one
                # clear error. Other sqlite3 errors (a constraint, a bad statement) are bugs: they pass.
                _rollback(conn)
                raise StoreWriteError(f"{self.path}: cannot write: {exc}") from None

    # -- jobs ----------------------------------------------------------------

    def create_job(self, refs: Sequence[RepoRef], rerun_of: str | None = None) -> Job:
        """Persist a new queued job for ``refs`` and return it."""
        job_id = uuid.uuid4().hex
        created = now()
        with self._write() as conn:
            conn.execute(
                "INSERT INTO jobs (id, status, rerun_of, created_at) VALUES (?, 'queued', ?, ?)",
                (job_id, rerun_of, created),
            )
            conn.executemany(
                "INSERT INTO job_items (job_id, position, url, owner, name, status) "
                "VALUES (?, ?, ?, ?, ?, 'pending')",
                [(job_id, i, ref.url, ref.owner, ref.name) for i, ref in enumerate(refs)],
            )
        job = self.get_job(job_id)
        assert job is not None
        return job

    def get_job(self, job_id: str) -> Job | None:
        with self._read() as conn:
            row = conn.execute(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None:
                return None
            items = conn.execute(
                "SELECT position, url, owner, name, status, error, repository "
                "FROM job_items WHERE job_id = ? ORDER BY position",
                (job_id,),
            ).fetchall()
        return job_from_row(row, items)

    def list_jobs(self, limit: int) -> list[tuple[Job, dict[str, int]]]:
        """The newest ``limit`` jobs (without items), each with its item counts by status."""
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {_JOB_COLUMNS} FROM jobs ORDER BY seq DESC LIMIT ?", (limit,)
            ).fetchall()
            result = []
            for row in rows:
                counts = dict(
                    conn.execute(
                        "SELECT status, count(*) FROM job_items WHERE job_id = ? GROUP BY status",
                        (row[0],),
                    ).fetchall()
                )
                result.append((job_from_row(row, []), counts))
        return result

    def claim_next_job(self, owner: str, lease_seconds: float = 0) -> Job | None:
        """Mark the oldest queued job running for ``owner`` and return it, or ``None`` when
        none is queued. ``lease_seconds`` is ignored: one process owns this store."""
        with self._write() as conn:
            row = conn.execute(
                "SELECT id FROM jobs WHERE status = 'queued' ORDER BY seq LIMIT 1"
            ).fetchone()
            if row is None:
                return None
            conn.execute(
                "UPDATE jobs SET status = 'running', started_at = coalesce(started_at, ?), "
                "owner = ?, attempts = attempts + 1 WHERE id = ?",
                (now(), owner, row[0]),
            )
        return self.get_job(row[0])

    def renew_lease(self, job_id: str, owner: str, lease_seconds: float) -> bool:
        """True while ``owner`` runs the job (nothing to renew here: the lease never expires)."""
        with self._read() as conn:
            row = conn.execute("SELECT owner, status FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return row is not None and row[0] == owner and row[1] == "running"

    @staticmethod
    def _check_owner(conn: sqlite3.Connection, job_id: str, owner: str) -> None:
        row = conn.execute("SELECT owner, status, error FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None or row[0] != owner or row[1] != "running":
            raise LeaseLost(lease_lost_message(job_id, owner, row))

    def queue_load(self) -> tuple[int, int]:
        """The queued jobs and their repositories still pending: ``(jobs, repositories)``.

        Raises:
            StoreUnavailable: the store cannot be read.
        """
        with self._read() as conn:
            row = conn.execute(
                "SELECT count(DISTINCT j.id), count(i.position) FROM jobs j "
                "LEFT JOIN job_items i ON i.job_id = j.id AND i.status = 'pending' WHERE j.status = 'queued'"
            ).fetchone()
        return int(row[0]), int(row[1])

    def cancel_job(self, job_id: str) -> Job | None:
        """Cancel a queued or running job: its pending repositories fail as ``not attempted:
        cancelled`` and the job fails with the error ``cancelled`` (a runner that holds it finds
        out at its next write, :class:`LeaseLost`). A finished job is returned unchanged; ``None``
        when there is no such job.

        Raises:
            StoreWriteError: the store cannot write.
        """
        with self._write() as conn:
            row = conn.execute("SELECT status FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None:
                return None
            if row[0] in ("queued", "running"):
                conn.execute(
                    "UPDATE job_items SET status = 'failed', error = ? WHERE job_id = ? AND status = 'pending'",
                    (CANCELLED_ITEM, job_id),
                )
                conn.execute(
                    "UPDATE jobs SET status = 'failed', error = ?, finished_at = ? WHERE id = ?",
                    (CANCELLED, now(), job_id),
                )
        return self.get_job(job_id)

    def record_item(
        self,
        job_id: str,
        position: int,
        *,
        owner: str,
        error: str | None = None,
        repository: IndexedRepository | None = None,
    ) -> None:
        """Record one repository's outcome: store it (success) or its error, in one transaction.

        Raises:
            LeaseLost: the job is not running for ``owner``.
        """
        if (error is None) == (repository is None):
            raise ValueError("give exactly one of error and repository")
        with self._write() as conn:
            self._check_owner(conn, job_id, owner)
            if repository is not None:
                _upsert_repository(conn, repository)
                conn.execute(
                    "UPDATE job_items SET status = 'succeeded', error = NULL, repository = ? "
                    "WHERE job_id = ? AND position = ?",
                    (f"{repository.owner}/{repository.name}", job_id, position),
                )
            else:
                conn.execute(
                    "UPDATE job_items SET status = 'failed', error = ? WHERE job_id = ? AND position = ?",
                    (error, job_id, position),
                )
        if repository is not None:
            self._repository_writes += 1  # after the commit: a reader never caches old rows as new

    def finish_job(self, job_id: str, owner: str) -> Job:
        """Set the final status of a job from its items, and return it.

        Raises:
            LeaseLost: the job is not running for ``owner``.
        """
        with self._write() as conn:
            self._check_owner(conn, job_id, owner)
            counts = dict(
                conn.execute(
                    "SELECT status, count(*) FROM job_items WHERE job_id = ? GROUP BY status",
                    (job_id,),
                ).fetchall()
            )
            status, error = job_outcome(counts)
            conn.execute(
                "UPDATE jobs SET status = ?, error = ?, finished_at = ? WHERE id = ?",
                (status, error, now(), job_id),
            )
        job = self.get_job(job_id)
        assert job is not None
        return job

    def fail_job(self, job_id: str, owner: str, reason: str) -> bool:
        """Fail a job ``owner`` runs with ``reason``, its pending repositories ``not attempted:
        <reason>`` (a runner that could not record its progress). False when the job is no longer
        running for ``owner`` (cancelled meanwhile): nothing to do.

        Raises:
            StoreWriteError: the store still cannot write.
        """
        with self._write() as conn:
            row = conn.execute("SELECT owner, status FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None or row[0] != owner or row[1] != "running":
                return False
            conn.execute(
                "UPDATE job_items SET status = 'failed', error = ? WHERE job_id = ? AND status = 'pending'",
                (f"not attempted: {reason}", job_id),
            )
            conn.execute(
                "UPDATE jobs SET status = 'failed', error = ?, finished_at = ? WHERE id = ?",
                (reason, now(), job_id),
            )
        return True

    def stop_jobs(self, owner: str, reason: str) -> list[str]:
        """What a stopping process does with the jobs it runs: here (one process, which may not
        come back) they fail with ``reason`` like any interrupted job; return their ids."""
        return self.interrupt_running_jobs(reason)

    def interrupt_running_jobs(self, reason: str) -> list[str]:
        """Mark every running job failed with ``reason`` (its pending items too); return their ids."""
        with self._write() as conn:
            ids = [row[0] for row in conn.execute("SELECT id FROM jobs WHERE status = 'running'")]
            for job_id in ids:
                conn.execute(
                    "UPDATE job_items SET status = 'failed', error = 'interrupted' "
                    "WHERE job_id = ? AND status = 'pending'",
                    (job_id,),
                )
                conn.execute(
                    "UPDATE jobs SET status = 'failed', error = ?, finished_at = ? WHERE id = ?",
                    (reason.replace("{id}", job_id), now(), job_id),
                )
        return ids

    # -- repositories --------------------------------------------------------

    def get_repository(self, owner: str, name: str) -> Repository | None:
        with self._read() as conn:
            row = conn.execute(
                f"SELECT {_REPO_COLUMNS} FROM repositories WHERE key = ?", (repo_key(owner, name),)
            ).fetchone()
        return None if row is None else repository_from_row(row)

    def list_repositories(self, limit: int, offset: int) -> tuple[int, list[Repository]]:
        """Return the number of stored repositories and one page of them, by name."""
        with self._read() as conn:
            total = int(conn.execute("SELECT count(*) FROM repositories").fetchone()[0])
            rows = conn.execute(
                f"SELECT {_REPO_COLUMNS} FROM repositories ORDER BY key LIMIT ? OFFSET ?",
                (limit, offset),
            ).fetchall()
        return total, [repository_from_row(row) for row in rows]

    def repositories_by_id(self, ids: Sequence[int]) -> dict[int, Repository]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {_REPO_COLUMNS} FROM repositories WHERE id IN ({marks})", tuple(ids)
            ).fetchall()
        return {row[0]: repository_from_row(row) for row in rows}

    def keyword_scores(self, terms: Sequence[str], limit: int) -> dict[int, float]:
        """BM25 relevance (higher is better) of the repositories matching any of ``terms``
        (:func:`ragstar.ranking.query_terms`), at most ``limit``."""
        match = fts5_expression(terms)
        if match is None:
            return {}
        weights = ", ".join(str(w) for w in BM25_WEIGHTS)
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT rowid, -bm25(repositories_fts, {weights}) AS score FROM repositories_fts "
                "WHERE repositories_fts MATCH ? ORDER BY score DESC LIMIT ?",
                (match, limit),
            ).fetchall()
        return {int(rowid): float(score) for rowid, score in rows}

    def embeddings(self, model: str) -> dict[int, list[float]]:
        """The stored unit vectors made by embedding model ``model``, by repository id."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT id, embedding FROM repositories "
                "WHERE embedding_model = ? AND embedding IS NOT NULL",
                (model,),
            ).fetchall()
        return {int(rowid): unpack_vector(blob) for rowid, blob in rows}

    def embedding_fingerprint(self, model: str) -> tuple[object, ...]:
        """What changes when the stored vectors change (for :class:`ragstar.vectors.EmbeddingCache`):
        this store object and its count of writes that changed repositories. Free to ask: this
        process is the data directory's only writer (its lock file), so no query is needed."""
        return (self._instance, self._repository_writes)

    def embedding_rows(self, model: str) -> list[tuple[int, bytes]]:
        """The stored vectors of ``model`` as ``(id, little-endian float32 blob)``."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT id, embedding FROM repositories WHERE embedding_model = ? AND embedding IS NOT NULL",
                (model,),
            ).fetchall()
        return [(int(rowid), bytes(blob)) for rowid, blob in rows]

    def repository_count(self) -> int:
        with self._read() as conn:
            return int(conn.execute("SELECT count(*) FROM repositories").fetchone()[0])

    def export_repositories(self) -> list[tuple[IndexedRepository, str]]:
        """Every stored repository with its ``indexed_at``, oldest first (for an index copy)."""
        with self._read() as conn:
            return export_rows(conn)

    def import_repositories(self, repositories: Sequence[tuple[IndexedRepository, str]]) -> int:
        """Store copied repositories, keeping their ``indexed_at``, in one transaction.

        Raises:
            TargetNotEmpty: this store already holds repositories (nothing was written).
        """
        with self._write() as conn:
            held = conn.execute("SELECT count(*) FROM repositories").fetchone()[0]
            if held:
                raise TargetNotEmpty(f"{self.path} already holds {held} repositories")
            for repo, indexed_at in repositories:
                _upsert_repository(conn, repo, indexed_at)
        self._repository_writes += 1
        return len(repositories)

    def clear_repositories(self) -> int:
        """Delete every stored repository (and its full-text entry); return how many."""
        with self._write() as conn:
            deleted = conn.execute("DELETE FROM repositories").rowcount
        self._repository_writes += 1
        return int(deleted)


# -- helpers -----------------------------------------------------------------

_JOB_COLUMNS = "id, status, error, rerun_of, created_at, started_at, finished_at, owner, attempts"
_REPO_COLUMNS = (
    "id, owner, name, url, description, topics, stars, summary, summary_model, "
    "embedding_model, indexed_at"
)


def _connect(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit) with the per-connection pragmas."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    # Temporary tables and indices in memory: the root filesystem is read-only.
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute("PRAGMA synchronous = NORMAL")  # safe with WAL: a crash loses no committed schema
    return conn


def _rollback(conn: sqlite3.Connection) -> None:
    """Roll back if a transaction is open (SQLite may have rolled it back itself)."""
    if conn.in_transaction:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")


def _migrate(conn: sqlite3.Connection) -> None:
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise StoreUnavailable(
            f"database schema version {version} is newer than this RAGstar knows ({SCHEMA_VERSION}); "
            "refusing to use it (was a newer release rolled back?)"
        )
    for number in range(version + 1, SCHEMA_VERSION + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in MIGRATIONS[number - 1]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")


def _upsert_repository(conn: sqlite3.Connection, repo: IndexedRepository, indexed_at: str | None = None) -> None:
    conn.execute(
        """
        INSERT INTO repositories (key, owner, name, url, description, topics, stars, readme,
                                  summary, summary_model, embedding, embedding_model, indexed_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (key) DO UPDATE SET
            owner = excluded.owner, name = excluded.name, url = excluded.url,
            description = excluded.description, topics = excluded.topics, stars = excluded.stars,
            readme = excluded.readme, summary = excluded.summary,
            summary_model = excluded.summary_model, embedding = excluded.embedding,
            embedding_model = excluded.embedding_model, indexed_at = excluded.indexed_at
        """,
        repository_row(repo, indexed_at),
    )


def read_snapshot(directory: Path) -> list[tuple[IndexedRepository, str]]:
    """Every repository of the SQLite index in ``directory``, read in one read transaction of a
    read-only connection, without the directory's lock: a live service may keep running (WAL mode
    gives the reader a consistent snapshot).

    Raises:
        StoreUnavailable: no database there, or it cannot be read.
    """
    path = directory / DB_FILENAME
    if not path.is_file():
        raise StoreUnavailable(f"no SQLite index at {path}")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            return export_rows(conn)
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise StoreUnavailable(f"{path}: {exc}") from None


def job_outcome(counts: Mapping[str, int]) -> tuple[JobStatus, str | None]:
    """A finished job's status and error from its items' counts by status (both stores):
    ``succeeded`` when none failed or is still pending, ``failed`` when all did, else
    ``partially_failed``; the error says how many of how many failed."""
    total = sum(counts.values())
    failed = counts.get("failed", 0) + counts.get("pending", 0)
    if failed == 0:
        return "succeeded", None
    return ("failed" if failed == total else "partially_failed"), f"{failed} of {total} repositories failed"


def repository_row(repo: IndexedRepository, indexed_at: str | None = None) -> tuple[object, ...]:
    """The values of a repository's row, in the order key, owner, name, url, description, topics
    (JSON), stars, readme, summary, summary_model, embedding (float32 bytes), embedding_model,
    indexed_at (now, unless given: a copied index keeps its times): both stores' upserts."""
    return (
        repo_key(repo.owner, repo.name),
        repo.owner,
        repo.name,
        repo.url,
        repo.description,
        json.dumps(list(repo.topics)),
        repo.stars,
        repo.readme,
        repo.summary,
        repo.summary_model,
        None if repo.embedding is None else pack_vector(repo.embedding),
        repo.embedding_model if repo.embedding is not None else None,
        indexed_at or now(),
    )


#: The columns an index copy reads (``python -m ragstar.copy_index``), in ``indexed_from_row``'s order.
EXPORT_COLUMNS = (
    "owner, name, url, description, topics, stars, readme, summary, summary_model, "
    "embedding, embedding_model, indexed_at"
)


def indexed_from_row(row: Sequence[object]) -> tuple[IndexedRepository, str]:
    """A stored repository as it was indexed, and its ``indexed_at``, from a row of
    ``EXPORT_COLUMNS`` (both stores)."""
    blob = row[9]
    return (
        IndexedRepository(
            owner=str(row[0]),
            name=str(row[1]),
            url=str(row[2]),
            description=str(row[3]),
            topics=tuple(json.loads(str(row[4]))),
            stars=int(row[5]),  # type: ignore[call-overload]
            readme=str(row[6]),
            summary=str(row[7]),
            summary_model=str(row[8]),
            embedding=None if blob is None else tuple(unpack_vector(bytes(blob))),  # type: ignore[arg-type]
            embedding_model=row[10],  # type: ignore[arg-type]
        ),
        str(row[11]),
    )


def export_rows(conn: Any) -> list[tuple[IndexedRepository, str]]:
    """Every repository on ``conn`` (a sqlite3 or psycopg connection: both have ``execute``) with
    its ``indexed_at``, oldest first: the one query of an index copy, for both stores."""
    rows = conn.execute(f"SELECT {EXPORT_COLUMNS} FROM repositories ORDER BY id").fetchall()
    return [indexed_from_row(row) for row in rows]


class TargetNotEmpty(Exception):
    """An index copy's target already holds repositories (nothing was written)."""


def job_from_row(row: Sequence[object], items: Sequence[Sequence[object]]) -> Job:
    """A :class:`Job` from a row of ``_JOB_COLUMNS`` and its items' rows (both stores)."""
    return Job(
        id=str(row[0]),
        status=row[1],  # type: ignore[arg-type]
        error=row[2],  # type: ignore[arg-type]
        rerun_of=row[3],  # type: ignore[arg-type]
        created_at=str(row[4]),
        started_at=row[5],  # type: ignore[arg-type]
        finished_at=row[6],  # type: ignore[arg-type]
        items=tuple(
            JobItem(
                position=int(item[0]),  # type: ignore[call-overload]
                url=str(item[1]),
                owner=str(item[2]),
                name=str(item[3]),
                status=item[4],  # type: ignore[arg-type]
                error=item[5],  # type: ignore[arg-type]
                repository=item[6],  # type: ignore[arg-type]
            )
            for item in items
        ),
        owner=row[7],  # type: ignore[arg-type]
        attempts=int(row[8]),  # type: ignore[call-overload]
    )


def repository_from_row(row: Sequence[object]) -> Repository:
    """A :class:`Repository` from a row of ``_REPO_COLUMNS`` (both stores)."""
    return Repository(
        id=int(row[0]),  # type: ignore[call-overload]
        owner=str(row[1]),
        name=str(row[2]),
        url=str(row[3]),
        description=str(row[4]),
        topics=tuple(json.loads(str(row[5]))),
        stars=int(row[6]),  # type: ignore[call-overload]
        summary=str(row[7]),
        summary_model=str(row[8]),
        embedding_model=row[9],  # type: ignore[arg-type]
        indexed_at=str(row[10]),
    )
