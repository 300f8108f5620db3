"""Issue 17, defect 2, on loopback: hybrid queries at scale keep the server's memory bounded.

The image's server (``python -m ragstar``) on a unix socket, with the scale benchmark's index
(tests/service/bench_scale.py: 3,000 generated repositories with 768-dimension embeddings) and its
fake Ollama; 32 clients send hybrid ``POST /query`` at once. The server's peak resident memory
(``VmHWM``) must stay within the issue's 300 MB. Before the fix every hybrid query read every stored
vector into Python lists: 1,652 MiB at 32 clients (docs/performance.md, "The service at scale").
Bounded: 32 clients x QUERIES_EACH queries, each client's socket with a 60 s timeout.
"""

from __future__ import annotations

import json
import random
import signal
import threading
from pathlib import Path

import pytest

from bench_scale import MODEL, SEED, Connection, corpus, embedder, peak_rss_mib, post, serve
from ragstar.store import Store
from test_stores import VOCABULARY

pytestmark = pytest.mark.sqlite_only

CLIENTS = 32
QUERIES_EACH = 8
#: The issue's bound, 300 MB, in MiB.
PEAK_RSS_MIB = 300e6 / 2**20


def test_32_concurrent_hybrid_queries_on_3000_repositories_stay_within_300_mb(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    store = Store.open(data)
    store.import_repositories(corpus())
    store.close()
    rng = random.Random(SEED)
    queries = [" ".join(rng.choice(VOCABULARY) for _ in range(rng.randint(1, 4))) for _ in range(64)]
    embed, port = embedder(queries)
    sock = tmp_path / "ragstar.sock"
    statuses: list[int] = []
    lock = threading.Lock()
    try:
        env = {"RAGSTAR_DB_PATH": str(data), "RAGSTAR_OLLAMA_BASE_URL": f"http://127.0.0.1:{port}", "RAGSTAR_OLLAMA_EMBEDDING_MODEL": MODEL}
        server = serve(env, sock)
        try:
            # One query first, read whole: it is ranked by embeddings, not by keywords only.
            first = Connection(sock, timeout=60)
            status, answer = first.exchange(post("/query", {"query": queries[0], "num_results": 3}))
            first.close()
            body = json.loads(answer)
            assert status == 200 and body["mode"] == "hybrid" and body["notice"] is None, body

            def client(index: int) -> None:
                mine = random.Random(index)
                connection = Connection(sock, timeout=60)
                try:
                    got = [connection.send(post("/query", {"query": mine.choice(queries), "num_results": 5})) for _ in range(QUERIES_EACH)]
                finally:
                    connection.close()
                with lock:
                    statuses.extend(got)

            threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(120)
            peak = peak_rss_mib(server.pid)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(60)
    finally:
        embed.kill()
        embed.join(10)
    print(f"{len(statuses)} hybrid queries from {CLIENTS} clients at once: peak RSS {peak:.1f} MiB (bound {PEAK_RSS_MIB:.1f} MiB)")
    assert statuses == [200] * (CLIENTS * QUERIES_EACH)
    assert peak <= PEAK_RSS_MIB
