"""``npm run --silent bench:service -- --parts``: what one query's parts cost, side by side.

On the scale benchmark's corpus (tests/service/bench_scale.py: 3,000 repositories, 768
dimensions), medians of RUNS calls, in milliseconds:

- a keyword query (``Store.keyword_scores``, the FTS5 BM25 query of ``/query``) on a reused read
  connection against a new one per query, as the store opened before;
- the hybrid ranking's matrix-vector product with one OpenBLAS thread against OpenBLAS's default
  (a thread per CPU), each in its own interpreter because OpenBLAS reads its setting when numpy
  loads; from one calling thread, and from as many as the service's worker threads (concurrent
  queries each make one product): median and 99th percentile, and products a second;
- 32 hybrid searches at a time through ``Service.search`` with as many search threads as the CPUs
  the process may use (the service's choice, ragstar.cpus) against the event loop's default pool
  (CPUs + 4): the embedding round trip on the event loop, the whole search, and searches a second.

Prints one JSON object.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_scale import DIMENSIONS, MODEL, QUERIES, REPOSITORIES, SEED, corpus, embedder  # noqa: E402
from ragstar import ranking  # noqa: E402
from ragstar.config import Settings  # noqa: E402
from ragstar.cpus import available_cpus  # noqa: E402
from ragstar.service import KEYWORD_CANDIDATES, Service  # noqa: E402
from ragstar.store import Store, _connect  # noqa: E402
from test_stores import VOCABULARY  # noqa: E402

RUNS = 400
# Hybrid searches at a time, and for how long (seconds), for the search-threads part.
SEARCHERS = 32
SEARCH_SECONDS = 5.0

# The service's worker threads: the event loop's default executor has min(32, CPUs + 4) of them.
CALLERS = (1, min(32, (os.cpu_count() or 1) + 4))

PRODUCT = f"""
import os, statistics, sys, threading, time
import numpy as np
rng = np.random.default_rng(1)
matrix = rng.standard_normal(({REPOSITORIES}, {DIMENSIONS}), dtype=np.float32)
query = rng.standard_normal({DIMENSIONS}, dtype=np.float32)
times, lock = [], threading.Lock()
def call():
    mine = []
    for _ in range({RUNS}):
        started = time.perf_counter()
        matrix @ query
        mine.append((time.perf_counter() - started) * 1000)
    with lock:
        times.extend(mine)
callers = [threading.Thread(target=call) for _ in range(int(sys.argv[1]))]
began = time.perf_counter()
for thread in callers:
    thread.start()
threads = len(os.listdir("/proc/self/task"))
for thread in callers:
    thread.join()
elapsed = time.perf_counter() - began
times.sort()
print(statistics.median(times), times[int(len(times) * 0.99)], len(times) / elapsed, threads - len(callers))
"""


def product(threads: str | None, callers: int) -> dict[str, float]:
    """The product from ``callers`` threads at once, in a fresh interpreter whose
    OPENBLAS_NUM_THREADS is ``threads`` (None: unset, OpenBLAS's default): median and 99th
    percentile milliseconds, products a second, and the interpreter's threads besides the callers
    (the main one and OpenBLAS's)."""
    env = {k: v for k, v in os.environ.items() if k not in {"OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"}}
    if threads is not None:
        env["OPENBLAS_NUM_THREADS"] = threads
    out = subprocess.run([sys.executable, "-c", PRODUCT, str(callers)], env=env, capture_output=True, text=True, check=True).stdout.split()
    return {"p50_ms": round(float(out[0]), 3), "p99_ms": round(float(out[1]), 3), "per_s": round(float(out[2])), "other_threads": int(out[3])}


def searches(data: Path, embed_port: int, queries: list[str], threads: int) -> dict[str, float]:
    """SEARCHERS hybrid searches at a time for SEARCH_SECONDS through the service's own
    ``Service.search`` (in this process, on its event loop, the fake Ollama in another), its search
    pool replaced by one of ``threads`` threads: the embedding round trip's and the whole search's
    median and 99th percentile (milliseconds), and searches a second."""
    settings = Settings(db_path=str(data), ollama_base_url=f"http://127.0.0.1:{embed_port}", ollama_embedding_model=MODEL)
    embeds: list[float] = []
    totals: list[float] = []

    async def run() -> None:
        service = Service(settings)
        service._search_pool = concurrent.futures.ThreadPoolExecutor(threads, thread_name_prefix="bench-search")
        await service.start()
        embed = service.ollama.embed

        async def timed_embed(text: str, *, retries: bool = True) -> list[float]:
            started = time.perf_counter()
            try:
                return await embed(text, retries=retries)
            finally:
                embeds.append((time.perf_counter() - started) * 1000)

        service.ollama.embed = timed_embed  # type: ignore[method-assign]
        stop = time.monotonic() + SEARCH_SECONDS

        async def searcher(seed: int) -> None:
            rng = random.Random(seed)
            while time.monotonic() < stop:
                started = time.perf_counter()
                result = await service.search(rng.choice(queries), 5)
                if result.mode != "hybrid":
                    raise SystemExit(f"bench-service: a search fell back to keywords: {result.notice}")
                totals.append((time.perf_counter() - started) * 1000)

        try:
            await asyncio.gather(*(searcher(i) for i in range(SEARCHERS)))
        finally:
            await service.stop()

    began = time.perf_counter()
    asyncio.run(run())
    elapsed = time.perf_counter() - began
    embeds.sort()
    totals.sort()
    return {
        "embed_p50_ms": round(statistics.median(embeds), 2),
        "embed_p99_ms": round(embeds[int(len(embeds) * 0.99)], 2),
        "search_p50_ms": round(statistics.median(totals), 2),
        "search_p99_ms": round(totals[int(len(totals) * 0.99)], 2),
        "per_s": round(len(totals) / elapsed, 1),
    }


def main() -> int:
    rng = random.Random(SEED + 1)
    queries = [" ".join(rng.choice(VOCABULARY) for _ in range(rng.randint(1, 4))) for _ in range(QUERIES)]
    terms = [t for t in (ranking.query_terms(q) for q in queries) if t]
    result: dict[str, object] = {"repositories": REPOSITORIES, "dimensions": DIMENSIONS, "cpus": os.cpu_count(), "runs": RUNS}
    with tempfile.TemporaryDirectory(prefix="ragstar-bench-parts-") as tmp:
        store = Store.open(Path(tmp))
        store.import_repositories(corpus())
        reused: list[float] = []
        fresh: list[float] = []
        for i in range(RUNS):
            query = terms[i % len(terms)]
            started = time.perf_counter()
            store.keyword_scores(query, KEYWORD_CANDIDATES)
            middle = time.perf_counter()
            # As before: a new connection per read (the store's own pragmas, query_only).
            conn = _connect(store.path)
            conn.execute("PRAGMA query_only = 1")
            conn.execute(
                "SELECT rowid, -bm25(repositories_fts, 5.0, 3.0, 3.0, 2.0, 0.5) AS score FROM repositories_fts "
                "WHERE repositories_fts MATCH ? ORDER BY score DESC LIMIT ?",
                (ranking.fts5_expression(query), KEYWORD_CANDIDATES),
            ).fetchall()
            conn.close()
            ended = time.perf_counter()
            reused.append((middle - started) * 1000)
            fresh.append((ended - middle) * 1000)
        store.close()
    result["keyword_query_ms"] = {"reused_connection": round(statistics.median(reused), 3), "new_connection": round(statistics.median(fresh), 3)}
    products: dict[str, dict[str, object]] = {}
    for callers in CALLERS:
        products[f"{callers}_callers"] = {"one_blas_thread": product("1", callers), "openblas_default": product(None, callers)}
    result["matrix_vector_product"] = products
    with tempfile.TemporaryDirectory(prefix="ragstar-bench-parts-") as tmp:
        store = Store.open(Path(tmp))
        store.import_repositories(corpus())
        store.close()
        embed, embed_port = embedder(queries)
        try:
            result["search_threads"] = {
                str(threads): searches(Path(tmp), embed_port, queries, threads)
                for threads in sorted({available_cpus(), min(32, (os.cpu_count() or 1) + 4)})
            }
        finally:
            embed.kill()
            embed.join(10)
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
