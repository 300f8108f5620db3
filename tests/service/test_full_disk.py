"""Issue 17, defect 1: with the data directory on a small full filesystem every write failed with
"database or disk is full", jobs stayed ``running`` for ever (a rerun got 409), POST /build and
/clear answered 500 in plain text, and /ready (which created an empty file) still said ready.

Here the real server's data directory is a 4 MiB tmpfs the test mounts (root only) and fills: a
failed write is a 503 with the documented JSON, /ready turns 503 with a real small write, the job
that could not record its progress fails with that reason once space returns, can be rerun, and
everything recovers without a restart.
"""

from __future__ import annotations

import errno
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from fakes import FakeOllama, GatedGitHub
from helpers import ragstar_server

pytestmark = pytest.mark.sqlite_only

REQUESTS = "https://github.com/psf/requests"


@contextmanager
def small_volume(path: Path, size: str = "4m") -> Iterator[Path]:
    """A tmpfs of ``size`` mounted at ``path`` for the test, unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small filesystem needs root (scripts/test runs as root in CI)")
    path.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(volume: Path) -> Path:
    """Write a file until the filesystem has no space left; return it."""
    filler = volume / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        chunk = b"\0" * 65536
        while True:
            try:
                os.write(fd, chunk)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
                if len(chunk) == 1:
                    break
                chunk = chunk[: len(chunk) // 2]  # the last bytes too
    finally:
        os.close(fd)
    return filler


def until(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, f"{what} within {timeout} s"
        time.sleep(0.1)
    return result


def test_a_full_disk_fails_cleanly_and_everything_recovers_when_space_returns(tmp_path: Path, ollama: FakeOllama) -> None:
    github = GatedGitHub().start()
    try:
        with small_volume(tmp_path / "volume") as volume, ragstar_server(
            tmp_path, f"github_api_url: {github.url}\nollama_base_url: {ollama.url}\nretry_backoff_seconds: 0.01\n", data=volume / "data"
        ) as (server, http):
            job_id = http.post("/build", json={"repositories": [GatedGitHub.URL, REQUESTS]}).json()["job_id"]
            until(lambda: http.get(f"/jobs/{job_id}").json()["status"] == "running", 10, "the job runs")

            filler = fill(volume)
            ready = http.get("/ready")
            assert ready.status_code == 503
            assert ready.json()["status"] == "not ready"
            assert ready.json()["reason"].startswith(f"data directory {volume / 'data'} is not writable: No space left on device")

            refused = http.post("/build", json={"repositories": [REQUESTS]})
            assert refused.status_code == 503
            assert refused.headers["content-type"] == "application/json"
            assert refused.json()["detail"].endswith(": cannot write: database or disk is full")

            # The job's next write fails: it cannot be recorded now, and stays running meanwhile.
            github.gate.set()
            time.sleep(1)
            assert http.get(f"/jobs/{job_id}").json()["status"] == "running"
            assert http.post(f"/jobs/{job_id}/rerun").status_code == 409

            # Space returns: no restart, the job fails with the reason, /ready is 200 again.
            filler.unlink()
            failed = until(lambda: (j := http.get(f"/jobs/{job_id}").json())["status"] == "failed" and j, 15, "the job fails")
            assert failed["error"].startswith("the store could not record this job's progress: ")
            assert failed["error"].endswith("cannot write: database or disk is full")
            assert http.get("/ready").status_code == 200
            rerun = http.post(f"/jobs/{job_id}/rerun")
            assert rerun.status_code == 202
            again = rerun.json()["job_id"]
            done = until(lambda: (j := http.get(f"/jobs/{again}").json())["status"] not in ("queued", "running") and j, 20, "the rerun finishes")
            assert done["status"] == "succeeded", done
            assert server.poll() is None
    finally:
        github.gate.set()
        github.stop()
