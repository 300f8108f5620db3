"""Copy the index from one store to another: ``python -m ragstar.copy_index --from SRC --to DST``.

SRC and DST are each ``sqlite:DIR`` (the data directory holding ``ragstar.sqlite3``) or
``postgres`` (the database of the secret ``database_url``, read as the service reads it:
``RAGSTAR_DATABASE_URL`` or ``RAGSTAR_DATABASE_URL_FILE``, so the password never appears on a
command line). Every repository is copied with its summary, README, topics, embedding and
``indexed_at``; jobs are not (they are the history of the old store, not the index).

- The source is only read. A SQLite source is read from a read-only snapshot without its lock,
  so the service using it may keep running (WAL mode).
- The target must hold no repositories (a SQLite target's directory is created when missing); it is written in one transaction, so a failed copy leaves
  it empty. A SQLite target is opened with its lock: refused while a service uses it.
- Afterwards the target is read back and compared with what was read: the same repositories,
  field by field.

Prints one line: how many repositories (how many with an embedding) went from where to where.
Exit status 0 on success, 1 with a one-line ``ragstar.copy_index: ...`` message on an error,
2 on bad usage. docs/database.md, "Moving an index between the modes".
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ragstar.config import ConfigError, load_settings
from ragstar.store import IndexedRepository, Store, StoreUnavailable, TargetNotEmpty, read_snapshot
from ragstar.store_pg import PostgresStore, describe_target
from ragstar.stores import JobStore


def _store_spec(text: str) -> str:
    if text == "postgres" or (text.startswith("sqlite:") and len(text) > len("sqlite:")):
        return text
    raise argparse.ArgumentTypeError(f"{text!r}: expected sqlite:DIR or postgres")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m ragstar.copy_index",
        description="Copy the index (repositories, summaries, embeddings) from one store to an empty one.",
    )
    parser.add_argument("--from", dest="source", required=True, type=_store_spec, metavar="SRC", help="sqlite:DIR or postgres")
    parser.add_argument("--to", dest="target", required=True, type=_store_spec, metavar="DST", help="sqlite:DIR or postgres")
    args = parser.parse_args(argv)
    if args.source == args.target:
        parser.error(f"--from and --to are both {args.source}")
    return args


def _database_url() -> str:
    settings = load_settings()
    if settings.database_url is None:
        raise ConfigError("postgres needs the secret database_url: set RAGSTAR_DATABASE_URL_FILE (or RAGSTAR_DATABASE_URL)")
    return settings.database_url.get_secret_value()


def _read(source: str) -> tuple[list[tuple[IndexedRepository, str]], str]:
    if source.startswith("sqlite:"):
        directory = Path(source.removeprefix("sqlite:"))
        return read_snapshot(directory), f"SQLite {directory / 'ragstar.sqlite3'}"
    url = _database_url()
    store = PostgresStore.open(url)
    try:
        return store.export_repositories(), f"PostgreSQL {describe_target(url)}"
    finally:
        store.close()


def _open_target(target: str) -> tuple[JobStore, str]:
    if target.startswith("sqlite:"):
        directory = Path(target.removeprefix("sqlite:"))
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreUnavailable(f"cannot create {directory}: {exc.strerror or exc}") from None
        return Store.open(directory), f"SQLite {directory / 'ragstar.sqlite3'}"
    url = _database_url()
    return PostgresStore.open(url), f"PostgreSQL {describe_target(url)}"


def copy_index(source: str, target: str) -> str:
    """Copy every repository from ``source`` to the empty ``target`` (``sqlite:DIR`` or ``postgres``).

    Returns:
        The one-line report.

    Raises:
        ConfigError: ``postgres`` without a database URL, or a bad one.
        StoreUnavailable: a store cannot be opened or read.
        TargetNotEmpty: the target holds repositories; nothing was written.
        RuntimeError: the target does not read back what was written.
    """
    started = time.monotonic()
    repositories, source_name = _read(source)
    store, target_name = _open_target(target)
    try:
        copied = store.import_repositories(repositories)
        back = store.export_repositories()
    finally:
        store.close()
    if sorted(back, key=_key) != sorted(repositories, key=_key):
        raise RuntimeError(f"{target_name} does not read back the {copied} repositories written to it")
    embedded = sum(1 for repo, _ in repositories if repo.embedding is not None)
    return (
        f"copied {copied} repositories ({embedded} with an embedding) from {source_name} to {target_name} "
        f"in {time.monotonic() - started:.1f} s; jobs are not copied"
    )


def _key(entry: tuple[IndexedRepository, str]) -> str:
    return f"{entry[0].owner}/{entry[0].name}".lower()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        print(copy_index(args.source, args.target))
    except (ConfigError, StoreUnavailable, TargetNotEmpty, RuntimeError) as exc:
        print(f"ragstar.copy_index: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
