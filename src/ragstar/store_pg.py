"""The PostgreSQL store: the same repositories, full-text index and jobs as
:class:`ragstar.store.Store`, shared by several service processes (replicas).

Selected by the secret ``database_url`` (:mod:`ragstar.stores`). Connections come
from a psycopg 3 pool; every method is one transaction.

Schema: :data:`MIGRATIONS`, applied in order, each recorded in ``ragstar_migrations``
(version, when, by whom). Processes that start together take a transaction-level
advisory lock (:data:`MIGRATION_LOCK`) first, so exactly one applies each migration
and the others see it done. A database whose version is newer than this code knows
is refused, as the SQLite store does.

Full-text search: a stored generated ``tsvector`` (the configuration ``ragstar_english``:
the text split into words as FTS5's ``unicode61`` tokenizer splits it, the Porter stemmer
as FTS5's ``porter`` tokenizer stems, and no stopword list, as FTS5 keeps every word) with a
GIN index, its columns weighted A (owner and
name), B (description, topics), C (summary), D (README), ranked by the same BM25 as FTS5's
``bm25()`` (:func:`bm25`), so both stores rank alike (tests/service/test_stores.py compares
them on a generated corpus).

Jobs across replicas. A runner claims the oldest job that is queued, or running with
an expired lease (its owner died), with ``FOR UPDATE SKIP LOCKED``: two runners never
claim the same job. The claim sets the owner, counts the attempt and sets a lease
(``lease_expires_at``, on the database's clock, so the replicas' clocks do not
matter) that the owner renews. Every write of a job's progress first locks the job's
row and checks that the caller still owns it (:class:`ragstar.store.LeaseLost`
otherwise), so a runner whose lease was taken over cannot record anything: no
repository is recorded twice, and a job whose owner died is finished by another.
A stopping process puts the jobs it runs back in the queue (:meth:`PostgresStore.stop_jobs`)
with their finished repositories kept.
"""

from __future__ import annotations

import contextlib
import math
import socket
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from ragstar.store import (
    BM25_WEIGHTS,
    CANCELLED,
    CANCELLED_ITEM,
    IndexedRepository,
    Job,
    LeaseLost,
    RepoRef,
    Repository,
    StoreUnavailable,
    StoreWriteError,
    TargetNotEmpty,
    export_rows,
    job_from_row,
    repository_from_row,
    job_outcome,
    lease_lost_message,
    now,
    repo_key,
    repository_row,
    unpack_vector,
)

#: How long a replica reuses its fingerprint of the stored vectors (seconds): the hybrid ranking
#: sees another replica's newly indexed repositories at most this late.
FINGERPRINT_SECONDS = 1.0

#: pg_advisory_xact_lock key of schema migrations (any fixed 64-bit number; "RAGSTAR1").
MIGRATION_LOCK = 0x5241475354415231
#: Connections per process: the job runner and the request threads share them.
POOL_MAX_CONNECTIONS = 8
#: How long a request waits for a pooled connection, and to connect, in seconds.
CONNECT_TIMEOUT_SECONDS = 5

def _words(column: str) -> str:
    """SQL: the column's text as the tsvector of its words, split on every character that is
    not a letter or digit, as FTS5's unicode61 tokenizer splits (a URL is its words, not one token)."""
    return f"to_tsvector('ragstar_english', regexp_replace({column}, '[^[:alnum:]]+', ' ', 'g'))"


_OWNER_AND_NAME = "owner || ' ' || name"
_SEARCH = (
    f"setweight({_words(_OWNER_AND_NAME)}, 'A') || "
    f"setweight({_words('description')}, 'B') || "
    f"setweight({_words('topics')}, 'B') || "
    f"setweight({_words('summary')}, 'C') || "
    f"setweight({_words('readme')}, 'D')"
)

#: Schema migrations: migration N (1-based) is recorded as version N. Append only.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        # The text search configuration: the Porter stemmer (Snowball's `porter`, the algorithm
        # of FTS5's porter tokenizer; `english` is Porter2, which keeps "https" where Porter
        # makes it "http") and no stopword list (FTS5 has none: every word counts for the row's
        # length and can be searched); the text reaches it split into words (_words).
        "CREATE TEXT SEARCH DICTIONARY ragstar_stem (TEMPLATE = snowball, LANGUAGE = porter)",
        "CREATE TEXT SEARCH CONFIGURATION ragstar_english (COPY = english)",
        "ALTER TEXT SEARCH CONFIGURATION ragstar_english ALTER MAPPING FOR asciiword, word, hword_asciipart, hword_part WITH ragstar_stem",
        """
        CREATE TABLE jobs (
            seq BIGSERIAL PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            status TEXT NOT NULL
                CHECK (status IN ('queued', 'running', 'succeeded', 'partially_failed', 'failed')),
            error TEXT,
            rerun_of TEXT,
            created_at TEXT NOT NULL,
            started_at TEXT,
            finished_at TEXT,
            owner TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            lease_expires_at TIMESTAMPTZ
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
        f"""
        CREATE TABLE repositories (
            id BIGSERIAL PRIMARY KEY,
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
            embedding BYTEA,
            embedding_model TEXT,
            indexed_at TEXT NOT NULL,
            search tsvector GENERATED ALWAYS AS ({_SEARCH}) STORED,
            -- Words in the row (stopwords included): the highest position in search.
            tokens INTEGER NOT NULL DEFAULT 0
        )
        """,
        "CREATE INDEX repositories_search ON repositories USING GIN (search)",
    ),
)

SCHEMA_VERSION = len(MIGRATIONS)

#: BM25_WEIGHTS (name, description, topics, summary, readme) by the search column's weight
#: class: A name, B description and topics (equal weights), C summary, D README.
CLASS_WEIGHTS = {"A": BM25_WEIGHTS[0], "B": BM25_WEIGHTS[1], "C": BM25_WEIGHTS[3], "D": BM25_WEIGHTS[4]}
if BM25_WEIGHTS[1] != BM25_WEIGHTS[2]:  # one class holds both; they must weigh the same
    raise AssertionError("description and topics share weight class B")
#: FTS5's bm25() constants (sqlite/ext/fts5/fts5_aux.c).
BM25_K1 = 1.2
BM25_B = 0.75

_JOB_COLUMNS = "id, status, error, rerun_of, created_at, started_at, finished_at, owner, attempts"
_REPO_COLUMNS = (
    "id, owner, name, url, description, topics, stars, summary, summary_model, "
    "embedding_model, indexed_at"
)


def describe_target(url: str) -> str:
    """``host:port/dbname`` of a connection URL, for messages: never the user or password."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "the database named by database_url"
    return f"{info.get('host', 'localhost')}:{info.get('port', 5432)}/{info.get('dbname', '')}"


class PostgresStore:
    """The open PostgreSQL store. Thread-safe; use :meth:`open`, then :meth:`close`."""

    def __init__(self, pool: ConnectionPool, target: str) -> None:
        self._pool = pool
        #: Where the store is, for logs and errors (no credentials).
        self.path = target
        #: model → (monotonic time, fingerprint) of embedding_fingerprint.
        self._fingerprints: dict[str, tuple[float, tuple[object, ...]]] = {}
        #: This process's writes that changed repositories: they show in the fingerprint at once.
        self._repository_writes = 0

    # -- opening and closing -------------------------------------------------

    @classmethod
    def open(cls, url: str) -> PostgresStore:
        """Connect to ``url`` (a ``postgresql://`` URL or libpq conninfo), migrating the
        schema as needed (once, whatever the number of processes starting together).

        Raises:
            StoreUnavailable: the database cannot be reached or logged into, or its
                schema is newer than this code. The message names host, port and
                database, never the credentials.
        """
        target = describe_target(url)
        # One direct connection first: its error says why (refused, password, no database);
        # the pool would only say that it timed out, after retrying in the background.
        try:
            psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_SECONDS).close()
        except psycopg.Error as exc:
            raise StoreUnavailable(f"PostgreSQL {target}: {_reason(exc)}") from None
        pool = ConnectionPool(
            url,
            min_size=1,
            max_size=POOL_MAX_CONNECTIONS,
            timeout=CONNECT_TIMEOUT_SECONDS,
            kwargs={"connect_timeout": CONNECT_TIMEOUT_SECONDS, "autocommit": True},
            open=False,
            name="ragstar",
        )
        try:
            pool.open(wait=True, timeout=CONNECT_TIMEOUT_SECONDS)
            store = cls(pool, target)
            store._migrate()
            return store
        except (psycopg.Error, PoolTimeout) as exc:
            pool.close()
            raise StoreUnavailable(f"PostgreSQL {target}: {_reason(exc)}") from None
        except BaseException:
            pool.close()
            raise

    def close(self) -> None:
        """Close the pool's connections."""
        self._pool.close()

    @contextlib.contextmanager
    def _tx(self) -> Iterator[psycopg.Connection[Any]]:
        """One transaction on a pooled connection; database errors become StoreUnavailable."""
        try:
            with self._pool.connection() as conn, conn.transaction():
                yield conn
        except (psycopg.errors.DiskFull, psycopg.errors.OutOfMemory) as exc:
            raise StoreWriteError(f"PostgreSQL {self.path}: cannot write: {_reason(exc)}") from None
        except (psycopg.OperationalError, psycopg.InterfaceError, PoolTimeout) as exc:
            raise StoreUnavailable(f"PostgreSQL {self.path}: {_reason(exc)}") from None

    def _migrate(self) -> None:
        with self._tx() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            conn.execute(
                "CREATE TABLE IF NOT EXISTS ragstar_migrations (version INTEGER PRIMARY KEY, "
                "applied_at TIMESTAMPTZ NOT NULL DEFAULT now(), applied_by TEXT NOT NULL)"
            )
            row = conn.execute("SELECT coalesce(max(version), 0) FROM ragstar_migrations").fetchone()
            version = int(row[0]) if row else 0
            if version > SCHEMA_VERSION:
                raise StoreUnavailable(
                    f"database schema version {version} is newer than this RAGstar knows ({SCHEMA_VERSION}); "
                    "refusing to use it (was a newer release rolled back?)"
                )
            for number in range(version + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[number - 1]:
                    conn.execute(statement)  # type: ignore[arg-type]
                conn.execute(
                    "INSERT INTO ragstar_migrations (version, applied_by) VALUES (%s, %s)",
                    (number, socket.gethostname()),
                )

    def check(self) -> None:
        """Prove the store answers (the readiness check)."""
        with self._tx() as conn:
            conn.execute("SELECT count(*) FROM jobs WHERE status = 'running'").fetchone()

    # -- jobs ----------------------------------------------------------------

    def create_job(self, refs: Sequence[RepoRef], rerun_of: str | None = None) -> Job:
        """Persist a new queued job for ``refs`` and return it."""
        job_id = uuid.uuid4().hex
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO jobs (id, status, rerun_of, created_at) VALUES (%s, 'queued', %s, %s)",
                (job_id, rerun_of, now()),
            )
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO job_items (job_id, position, url, owner, name, status) "
                    "VALUES (%s, %s, %s, %s, %s, 'pending')",
                    [(job_id, i, ref.url, ref.owner, ref.name) for i, ref in enumerate(refs)],
                )
        job = self.get_job(job_id)
        assert job is not None
        return job

    def get_job(self, job_id: str) -> Job | None:
        with self._tx() as conn:
            row = conn.execute(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = %s", (job_id,)).fetchone()
            if row is None:
                return None
            items = conn.execute(
                "SELECT position, url, owner, name, status, error, repository "
                "FROM job_items WHERE job_id = %s ORDER BY position",
                (job_id,),
            ).fetchall()
        return job_from_row(row, items)

    def list_jobs(self, limit: int) -> list[tuple[Job, dict[str, int]]]:
        """The newest ``limit`` jobs (without items), each with its item counts by status."""
        with self._tx() as conn:
            rows = conn.execute(f"SELECT {_JOB_COLUMNS} FROM jobs ORDER BY seq DESC LIMIT %s", (limit,)).fetchall()
            result = []
            for row in rows:
                counts = dict(
                    conn.execute(
                        "SELECT status, count(*) FROM job_items WHERE job_id = %s GROUP BY status", (row[0],)
                    ).fetchall()
                )
                result.append((job_from_row(row, []), {k: int(v) for k, v in counts.items()}))
        return result

    def claim_next_job(self, owner: str, lease_seconds: float) -> Job | None:
        """Claim the oldest job that is queued or whose lease expired, for ``owner``, with a
        lease of ``lease_seconds``; ``None`` when there is none. Never the same job for two callers."""
        with self._tx() as conn:
            row = conn.execute(
                """
                UPDATE jobs SET status = 'running', owner = %s, attempts = attempts + 1,
                    started_at = coalesce(started_at, %s),
                    lease_expires_at = now() + make_interval(secs => %s)
                WHERE id = (
                    SELECT id FROM jobs
                    WHERE status = 'queued' OR (status = 'running' AND lease_expires_at < now())
                    ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED)
                RETURNING id
                """,
                (owner, now(), lease_seconds),
            ).fetchone()
        return None if row is None else self.get_job(row[0])

    def renew_lease(self, job_id: str, owner: str, lease_seconds: float) -> bool:
        """Extend ``owner``'s lease on the job by ``lease_seconds`` from now; False when it is not
        ``owner``'s any more (taken over, released or finished)."""
        with self._tx() as conn:
            row = conn.execute(
                "UPDATE jobs SET lease_expires_at = now() + make_interval(secs => %s) "
                "WHERE id = %s AND owner = %s AND status = 'running' RETURNING id",
                (lease_seconds, job_id, owner),
            ).fetchone()
        return row is not None

    @staticmethod
    def _check_owner(conn: psycopg.Connection[Any], job_id: str, owner: str) -> None:
        row = conn.execute("SELECT owner, status, error FROM jobs WHERE id = %s FOR UPDATE", (job_id,)).fetchone()
        if row is None or row[0] != owner or row[1] != "running":
            raise LeaseLost(lease_lost_message(job_id, owner, row))

    def queue_load(self) -> tuple[int, int]:
        """The queued jobs and their repositories still pending: ``(jobs, repositories)``."""
        with self._tx() as conn:
            row = conn.execute(
                "SELECT count(DISTINCT j.id), count(i.position) FROM jobs j "
                "LEFT JOIN job_items i ON i.job_id = j.id AND i.status = 'pending' WHERE j.status = 'queued'"
            ).fetchone()
        assert row is not None
        return int(row[0]), int(row[1])

    def cancel_job(self, job_id: str) -> Job | None:
        """Cancel a queued or running job (see :meth:`ragstar.store.Store.cancel_job`); the row is
        locked, so a replica's runner that writes next finds it cancelled."""
        with self._tx() as conn:
            row = conn.execute("SELECT status FROM jobs WHERE id = %s FOR UPDATE", (job_id,)).fetchone()
            if row is None:
                return None
            if row[0] in ("queued", "running"):
                conn.execute(
                    "UPDATE job_items SET status = 'failed', error = %s WHERE job_id = %s AND status = 'pending'",
                    (CANCELLED_ITEM, job_id),
                )
                conn.execute(
                    "UPDATE jobs SET status = 'failed', error = %s, finished_at = %s, lease_expires_at = NULL WHERE id = %s",
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
        """Record one repository's outcome (store it, or its error) in one transaction.

        Raises:
            LeaseLost: the job is not running for ``owner``; nothing was written.
        """
        if (error is None) == (repository is None):
            raise ValueError("give exactly one of error and repository")
        with self._tx() as conn:
            self._check_owner(conn, job_id, owner)
            if repository is not None:
                _upsert_repository(conn, repository)
                conn.execute(
                    "UPDATE job_items SET status = 'succeeded', error = NULL, repository = %s "
                    "WHERE job_id = %s AND position = %s",
                    (f"{repository.owner}/{repository.name}", job_id, position),
                )
            else:
                conn.execute(
                    "UPDATE job_items SET status = 'failed', error = %s WHERE job_id = %s AND position = %s",
                    (error, job_id, position),
                )
        if repository is not None:
            self._repository_writes += 1  # after the commit (see embedding_fingerprint)

    def finish_job(self, job_id: str, owner: str) -> Job:
        """Set the final status of ``owner``'s job from its items, and return it.

        Raises:
            LeaseLost: the job is not running for ``owner``.
        """
        with self._tx() as conn:
            self._check_owner(conn, job_id, owner)
            counts = {
                status: int(n)
                for status, n in conn.execute(
                    "SELECT status, count(*) FROM job_items WHERE job_id = %s GROUP BY status", (job_id,)
                ).fetchall()
            }
            status, error = job_outcome(counts)
            conn.execute(
                "UPDATE jobs SET status = %s, error = %s, finished_at = %s, lease_expires_at = NULL WHERE id = %s",
                (status, error, now(), job_id),
            )
        job = self.get_job(job_id)
        assert job is not None
        return job

    def fail_job(self, job_id: str, owner: str, reason: str) -> bool:
        """Fail a job ``owner`` runs with ``reason`` (see :meth:`ragstar.store.Store.fail_job`)."""
        with self._tx() as conn:
            row = conn.execute("SELECT owner, status FROM jobs WHERE id = %s FOR UPDATE", (job_id,)).fetchone()
            if row is None or row[0] != owner or row[1] != "running":
                return False
            conn.execute(
                "UPDATE job_items SET status = 'failed', error = %s WHERE job_id = %s AND status = 'pending'",
                (f"not attempted: {reason}", job_id),
            )
            conn.execute(
                "UPDATE jobs SET status = 'failed', error = %s, finished_at = %s, lease_expires_at = NULL WHERE id = %s",
                (reason, now(), job_id),
            )
        return True

    def stop_jobs(self, owner: str, reason: str) -> list[str]:
        """What a stopping process does with the jobs it runs: here they go back to the queue,
        their finished repositories kept, for another replica (or this one, restarted) to
        finish; ``reason`` is not used. Returns their ids."""
        with self._tx() as conn:
            rows = conn.execute(
                "UPDATE jobs SET status = 'queued', lease_expires_at = NULL "
                "WHERE owner = %s AND status = 'running' RETURNING id",
                (owner,),
            ).fetchall()
        return [row[0] for row in rows]

    # -- repositories --------------------------------------------------------

    def get_repository(self, owner: str, name: str) -> Repository | None:
        with self._tx() as conn:
            row = conn.execute(
                f"SELECT {_REPO_COLUMNS} FROM repositories WHERE key = %s", (repo_key(owner, name),)
            ).fetchone()
        return None if row is None else repository_from_row(row)

    def list_repositories(self, limit: int, offset: int) -> tuple[int, list[Repository]]:
        """Return the number of stored repositories and one page of them, by name."""
        with self._tx() as conn:
            total = int(conn.execute("SELECT count(*) FROM repositories").fetchone()[0])  # type: ignore[index]
            rows = conn.execute(
                f"SELECT {_REPO_COLUMNS} FROM repositories ORDER BY key COLLATE \"C\" LIMIT %s OFFSET %s",
                (limit, offset),
            ).fetchall()
        return total, [repository_from_row(row) for row in rows]

    def repositories_by_id(self, ids: Sequence[int]) -> dict[int, Repository]:
        if not ids:
            return {}
        with self._tx() as conn:
            rows = conn.execute(
                f"SELECT {_REPO_COLUMNS} FROM repositories WHERE id = ANY(%s)", (list(ids),)
            ).fetchall()
        return {int(row[0]): repository_from_row(row) for row in rows}

    def keyword_scores(self, terms: Sequence[str], limit: int) -> dict[int, float]:
        """BM25 relevance (higher is better) of the repositories matching any of ``terms``
        (:func:`ragstar.ranking.query_terms`), at most ``limit``: SQLite FTS5's ``bm25()``
        (:func:`bm25`) over PostgreSQL's lexemes, so both stores rank alike."""
        if not terms:
            return {}
        with self._tx() as conn:
            lexemes = sorted(
                {
                    lexeme
                    for (lexeme,) in conn.execute(
                        f"SELECT DISTINCT unnest(tsvector_to_array({_words('t')})) "
                        "FROM unnest(%s::text[]) AS t",
                        (list(terms),),
                    ).fetchall()
                }
            )
            if not lexemes:
                return {}
            query = " | ".join(_tsquery_literal(lexeme) for lexeme in lexemes)
            rows, tokens = conn.execute("SELECT count(*), coalesce(sum(tokens), 0) FROM repositories").fetchone()  # type: ignore[misc]
            hits = {
                lexeme: int(conn.execute(
                    "SELECT count(*) FROM repositories WHERE search @@ %s::tsquery", (_tsquery_literal(lexeme),)
                ).fetchone()[0])  # type: ignore[index]
                for lexeme in lexemes
            }
            matches = conn.execute(
                "SELECT r.id, r.tokens, u.lexeme, u.weights FROM repositories AS r, unnest(r.search) AS u "
                "WHERE r.search @@ %s::tsquery AND u.lexeme = ANY(%s)",
                (query, lexemes),
            ).fetchall()
        documents: dict[int, tuple[int, dict[str, list[str]]]] = {}
        for rowid, length, lexeme, weights in matches:
            documents.setdefault(int(rowid), (int(length), {}))[1][lexeme] = list(weights)
        scores = bm25(documents, hits, int(rows), float(tokens))
        best = sorted(scores, key=lambda key: (-scores[key], key))[:limit]
        return {key: scores[key] for key in best}

    def embeddings(self, model: str) -> dict[int, list[float]]:
        """The stored unit vectors made by embedding model ``model``, by repository id."""
        with self._tx() as conn:
            rows = conn.execute(
                "SELECT id, embedding FROM repositories WHERE embedding_model = %s AND embedding IS NOT NULL",
                (model,),
            ).fetchall()
        return {int(rowid): unpack_vector(bytes(blob)) for rowid, blob in rows}

    def embedding_fingerprint(self, model: str) -> tuple[object, ...]:
        """What changes when the stored vectors of ``model`` change, replicas' writes included:
        their count, the sum of their ids and a sum of hashes of each one's key and ``indexed_at``.
        The query reads the table, so its answer is kept for FINGERPRINT_SECONDS: another replica's
        index shows within that; this process's own writes show at once (its write count comes first).

        Raises:
            StoreUnavailable: the database cannot be reached.
        """
        now_s = time.monotonic()
        cached = self._fingerprints.get(model)
        if cached is not None and now_s - cached[0] < FINGERPRINT_SECONDS:
            return (self._repository_writes, *cached[1])
        with self._tx() as conn:
            # A hash of every (key, indexed_at): a refresh changes its row's indexed_at, whatever the
            # replicas' clocks, and so the sum; count and the id sum catch additions and removals.
            row = conn.execute(
                "SELECT count(*), coalesce(sum(id), 0), coalesce(sum(hashtext(key || ' ' || indexed_at)::bigint), 0) "
                "FROM repositories WHERE embedding_model = %s AND embedding IS NOT NULL",
                (model,),
            ).fetchone()
        assert row is not None
        self._fingerprints[model] = (now_s, tuple(row))
        return (self._repository_writes, *row)

    def embedding_rows(self, model: str) -> list[tuple[int, bytes]]:
        """The stored vectors of ``model`` as ``(id, little-endian float32 blob)``."""
        with self._tx() as conn:
            rows = conn.execute(
                "SELECT id, embedding FROM repositories WHERE embedding_model = %s AND embedding IS NOT NULL",
                (model,),
            ).fetchall()
        return [(int(rowid), bytes(blob)) for rowid, blob in rows]

    def repository_count(self) -> int:
        with self._tx() as conn:
            return int(conn.execute("SELECT count(*) FROM repositories").fetchone()[0])  # type: ignore[index]

    def export_repositories(self) -> list[tuple[IndexedRepository, str]]:
        """Every stored repository with its ``indexed_at``, oldest first (for an index copy)."""
        with self._tx() as conn:
            return export_rows(conn)

    def import_repositories(self, repositories: Sequence[tuple[IndexedRepository, str]]) -> int:
        """Store copied repositories, keeping their ``indexed_at``, in one transaction.

        Raises:
            TargetNotEmpty: this database already holds repositories (nothing was written).
        """
        with self._tx() as conn:
            # Concurrent copies into one empty database: the second waits here, then sees the first's rows.
            conn.execute("LOCK TABLE repositories IN SHARE ROW EXCLUSIVE MODE")
            held = int(conn.execute("SELECT count(*) FROM repositories").fetchone()[0])  # type: ignore[index]
            if held:
                raise TargetNotEmpty(f"PostgreSQL {self.path} already holds {held} repositories")
            for repo, indexed_at in repositories:
                _upsert_repository(conn, repo, indexed_at)
        self._repository_writes += 1
        return len(repositories)

    def clear_repositories(self) -> int:
        """Delete every stored repository; return how many."""
        with self._tx() as conn:
            deleted = int(conn.execute("DELETE FROM repositories").rowcount)
        self._repository_writes += 1
        return deleted


def bm25(
    documents: Mapping[int, tuple[int, Mapping[str, Sequence[str]]]],
    hits: Mapping[str, int],
    rows: int,
    tokens: float,
) -> dict[int, float]:
    """Okapi BM25 as SQLite FTS5's ``bm25()`` computes it (sqlite/ext/fts5/fts5_aux.c),
    with :data:`CLASS_WEIGHTS` as the column weights, and the sign flipped (higher is better).

    For each query lexeme (FTS5's phrase) i: ``idf_i = ln((rows - n_i + 0.5) / (n_i + 0.5))``,
    at least 1e-6; ``f_i`` = the sum over the lexeme's occurrences in the row of their column's
    weight; ``score = sum_i idf_i * f_i * (k1 + 1) / (f_i + k1 * (1 - b + b * D / avgdl))`` with
    ``D`` the row's words and ``avgdl = tokens / rows``.

    Args:
        documents: row id -> (its words D, {lexeme: the weight class of each occurrence}).
        hits: lexeme -> rows containing it (n_i).
        rows: rows in the table; tokens: words in all of them.
    """
    avgdl = tokens / rows if rows and tokens else 1.0
    idf = {}
    for lexeme, n in hits.items():
        value = math.log((rows - n + 0.5) / (n + 0.5)) if rows else 0.0
        idf[lexeme] = value if value > 0 else 1e-6
    scores: dict[int, float] = {}
    for rowid, (length, occurrences) in documents.items():
        score = 0.0
        for lexeme, classes in occurrences.items():
            freq = math.fsum(CLASS_WEIGHTS[c] for c in classes)
            score += idf.get(lexeme, 1e-6) * (freq * (BM25_K1 + 1)) / (freq + BM25_K1 * (1 - BM25_B + BM25_B * length / avgdl))
        scores[rowid] = score
    return scores


def _tsquery_literal(lexeme: str) -> str:
    """A lexeme as a quoted tsquery operand (its text never read as tsquery syntax)."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def _reason(exc: BaseException) -> str:
    """One line from a driver error (psycopg's messages name host and port, never the password)."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _upsert_repository(conn: psycopg.Connection[Any], repo: IndexedRepository, indexed_at: str | None = None) -> None:
    conn.execute(
        """
        INSERT INTO repositories (key, owner, name, url, description, topics, stars, readme,
                                  summary, summary_model, embedding, embedding_model, indexed_at)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
        ON CONFLICT (key) DO UPDATE SET
            owner = excluded.owner, name = excluded.name, url = excluded.url,
            description = excluded.description, topics = excluded.topics, stars = excluded.stars,
            readme = excluded.readme, summary = excluded.summary,
            summary_model = excluded.summary_model, embedding = excluded.embedding,
            embedding_model = excluded.embedding_model, indexed_at = excluded.indexed_at
        """,
        repository_row(repo, indexed_at),
    )
    conn.execute(
        "UPDATE repositories SET tokens = (SELECT coalesce(max(p), 0) FROM unnest(search) AS u, "
        "unnest(u.positions) AS p) WHERE key = %s",
        (repo_key(repo.owner, repo.name),),
    )
