"""A real PostgreSQL for the tests: Debian's server (``postgresql``, installed by
scripts/test-python), a cluster of our own in a temporary folder, on a free loopback
port, with password (SCRAM) login, and a fresh database per test.

Not a stand-in: the PostgreSQL store's claims (``FOR UPDATE SKIP LOCKED``, advisory
locks, ``tsvector`` ranking) are judged by the server itself.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg

#: The login the service uses; its password is a test value, never a real one.
APP_USER = "ragstar"
APP_PASSWORD = "pg-test-password-5f1c0b"
SUPERUSER_PASSWORD = "pg-test-superuser-9a2e41"


def bindir() -> Path:
    """The newest installed server's bin folder (/usr/lib/postgresql/<major>/bin).

    Raises:
        RuntimeError: no server is installed (scripts/test-python installs Debian's ``postgresql``).
    """
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    if not found:
        raise RuntimeError("no PostgreSQL server in /usr/lib/postgresql/*/bin: install Debian's postgresql (scripts/test-python does)")
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PostgresServer:
    """A running cluster: its folder, port and log; :meth:`database` makes a database per test."""

    folder: Path
    port: int
    user: str

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres:{SUPERUSER_PASSWORD}@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        """The service's URL for ``database`` (login ``ragstar``)."""
        return f"postgresql://{APP_USER}:{APP_PASSWORD}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new empty database owned by the service's login; returns its name."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" OWNER {APP_USER}')
        return name

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        self._run(["pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "stop"], check=False)
        shutil.rmtree(self.folder, ignore_errors=True)

    def _run(self, args: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
        return _as_user(self.user, [str(bindir() / args[0]), *args[1:]], check=check)


def _as_user(user: str, args: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run as ``user`` (initdb and the server refuse to run as root)."""
    if os.geteuid() == 0:
        args = ["runuser", "-u", user, "--", *args]
    result = subprocess.run(args, capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({result.returncode}): {result.stderr.strip() or result.stdout.strip()}")
    return result


def start_server() -> PostgresServer:
    """initdb and start a cluster on 127.0.0.1 (fsync off: test data), with the login ``ragstar``.

    Raises:
        RuntimeError: the server is not installed or does not start (with its log's tail).
    """
    user = "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
    folder = Path(tempfile.mkdtemp(prefix="ragstar-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, user)
    folder.chmod(0o700)
    pwfile = folder / "pw"
    pwfile.write_text(SUPERUSER_PASSWORD + "\n")
    if os.geteuid() == 0:
        shutil.chown(pwfile, user)
    server = PostgresServer(folder, _free_port(), user)
    server._run(["initdb", "-D", str(folder / "data"), "-U", "postgres", "--pwfile", str(pwfile), "-A", "scram-sha-256", "-E", "UTF8", "--locale", "C.UTF-8"])
    options = f"-c listen_addresses=127.0.0.1 -p {server.port} -k {folder} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
    started = server._run(["pg_ctl", "-D", str(folder / "data"), "-o", options, "-l", str(folder / "log"), "-w", "-t", "60", "start"], check=False)
    if started.returncode != 0:
        log = (folder / "log").read_text() if (folder / "log").exists() else ""
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"PostgreSQL did not start: {started.stderr.strip()} {log[-2000:]}")
    with psycopg.connect(server.admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {APP_USER} LOGIN PASSWORD '{APP_PASSWORD}'")
    return server
