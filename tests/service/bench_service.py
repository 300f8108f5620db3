"""``npm run --silent bench:service``: POST /query on the test corpus, SQLite against PostgreSQL.

Three set-ups, measured in one run, side by side:

- ``sqlite-1``: one ``python -m ragstar`` process on a SQLite index;
- ``postgres-1``: one process on a PostgreSQL index (Debian's server on loopback, a cluster of
  its own in a temporary folder);
- ``postgres-2``: two processes on that database, the client alternating between them (what two
  replicas behind a Service get).

The index is the differential test's seeded corpus (tests/service/test_stores.py: 80 repositories
generated from the fixture corpus' words), written into both stores with ``import_repositories``.
The queries are that test's seeded queries. Each set-up gets a warm-up, then ROUNDS rounds of
DURATION seconds at CONCURRENCY client threads, each with its own connection; a round's figures
are the median and 99th percentile latency (milliseconds) and the requests per second. The
printed figure is the median over the rounds. Keyword mode (no embedding model). The numbers
depend on the machine: docs/performance.md records them with the machine's description.

Prints one table and one JSON object. Needs the environment scripts/bench-service prepares.
"""

from __future__ import annotations

import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_scale import serve  # noqa: E402
from pg import start_server  # noqa: E402
from ragstar.store import Store  # noqa: E402
from ragstar.store_pg import PostgresStore  # noqa: E402
from test_stores import QUERIES, SEED, VOCABULARY, generated_repositories  # noqa: E402

CONCURRENCY = 8
DURATION = 5.0
ROUNDS = 3
WARMUP = 1.0


def load(sockets: list[Path], queries: list[str], seconds: float) -> dict[str, float]:
    """CONCURRENCY threads send POST /query for ``seconds``, thread i to socket i mod len(sockets)."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker(index: int) -> None:
        nonlocal errors
        rng = random.Random(index)
        sock = sockets[index % len(sockets)]
        mine: list[float] = []
        failed = 0
        with httpx.Client(transport=httpx.HTTPTransport(uds=str(sock)), base_url="http://ragstar", timeout=30) as http:
            while time.monotonic() < stop:
                started = time.perf_counter()
                response = http.post("/query", json={"query": rng.choice(queries), "num_results": 5})
                mine.append((time.perf_counter() - started) * 1000)
                failed += response.status_code != 200
        with lock:
            latencies.extend(mine)
            errors += failed

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(CONCURRENCY)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    latencies.sort()
    return {
        "p50_ms": statistics.median(latencies),
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "rps": len(latencies) / elapsed,
        "errors": errors,
    }


def measure(sockets: list[Path], queries: list[str]) -> dict[str, float]:
    load(sockets, queries, WARMUP)
    rounds = [load(sockets, queries, DURATION) for _ in range(ROUNDS)]
    return {key: statistics.median(r[key] for r in rounds) for key in ("p50_ms", "p99_ms", "rps")} | {"errors": sum(r["errors"] for r in rounds)}


def main() -> int:
    repositories = generated_repositories(random.Random(SEED))
    # The differential test's queries: one to four corpus words each.
    rng = random.Random(SEED + 1)
    queries = [" ".join(rng.choice(VOCABULARY) for _ in range(rng.randint(1, 4))) for _ in range(QUERIES)]
    indexed = [(repo, "2026-12-02T00:00:00.000Z") for repo in repositories]
    server = start_server()
    processes: list[subprocess.Popen[bytes]] = []
    results: dict[str, dict[str, float]] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="ragstar-bench-") as tmp:
            work = Path(tmp)
            (work / "sqlite").mkdir()
            store = Store.open(work / "sqlite")
            store.import_repositories(indexed)
            store.close()
            database = server.create_database()
            url = server.url(database)
            pg = PostgresStore.open(url)
            pg.import_repositories(indexed)
            pg.close()
            url_file = work / "database_url"
            url_file.write_text(url, encoding="utf-8")

            setups = {
                "sqlite-1": [{"RAGSTAR_DB_PATH": str(work / "sqlite")}],
                "postgres-1": [{"RAGSTAR_DATABASE_URL_FILE": str(url_file)}],
                "postgres-2": [{"RAGSTAR_DATABASE_URL_FILE": str(url_file)}] * 2,
            }
            for name, envs in setups.items():
                sockets = [work / f"{name}-{i}.sock" for i in range(len(envs))]
                started = [serve(env, sock) for env, sock in zip(envs, sockets)]
                processes.extend(started)
                results[name] = measure(sockets, queries)
                for process in started:
                    process.send_signal(signal.SIGTERM)
                    process.wait(30)
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
        server.stop()

    print(f"POST /query, keyword mode, {len(repositories)} repositories, {len(queries)} queries; {CONCURRENCY} clients, median of {ROUNDS} rounds of {DURATION:.0f} s")
    print(f"{'set-up':<12} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8} {'errors':>7}")
    for name, r in results.items():
        print(f"{name:<12} {r['p50_ms']:8.2f} {r['p99_ms']:8.2f} {r['rps']:8.0f} {int(r['errors']):7d}")
    print(json.dumps({"concurrency": CONCURRENCY, "rounds": ROUNDS, "seconds": DURATION, "cpus": os.cpu_count(), "results": results}, sort_keys=True))
    return 1 if any(r["errors"] for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
