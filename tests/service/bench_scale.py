"""``npm run --silent bench:service -- --scale``: the service at scale, keyword and hybrid queries.

A generated corpus of REPOSITORIES repositories (seeded: words of the differential test's
vocabulary) with DIMENSIONS-dimension unit embeddings, written into a SQLite index; one
``python -m ragstar`` process per mode (keyword: no embedding model; hybrid: the model, whose query
embeddings come from a loopback fake of Ollama's ``/api/embed`` answering a seeded vector per query
text). For each mode and each concurrency in CONCURRENCIES: a warm-up, then DURATION seconds of
``POST /query`` from that many client threads (each with its own connection) while a prober sends
``GET /health`` every 50 ms on its own connection, as a kubelet would. Per run: median and 99th
percentile latency (milliseconds), requests per second, errors, and /health's p99; per mode, the
server's peak resident memory (``VmHWM`` of /proc/<pid>/status, MiB).

Prints one table and one JSON object.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ragstar.store import IndexedRepository, Store  # noqa: E402
from test_stores import VOCABULARY  # noqa: E402

REPOSITORIES = 3000
DIMENSIONS = 768
CONCURRENCIES = (1, 8, 32)
DURATION = 5.0
WARMUP = 1.0
MODEL = "bench-embed"
SEED = 20261202
QUERIES = 200


def unit_vector(seed: bytes) -> list[float]:
    """A deterministic unit vector of DIMENSIONS from a seed (a repository's or a query's)."""
    rng = random.Random(hashlib.sha256(seed).digest())
    v = [rng.gauss(0, 1) for _ in range(DIMENSIONS)]
    norm = math.sqrt(sum(x * x for x in v))
    return [x / norm for x in v]


def corpus() -> list[tuple[IndexedRepository, str]]:
    rng = random.Random(SEED)

    def text(low: int, high: int) -> str:
        return " ".join(rng.choice(VOCABULARY) for _ in range(rng.randint(low, high)))

    return [
        (
            IndexedRepository(
                owner=f"owner{n % 97}",
                name=f"{rng.choice(VOCABULARY)}-{n}",
                url=f"https://github.com/owner{n % 97}/repo-{n}",
                description=text(3, 15),
                topics=tuple(sorted({rng.choice(VOCABULARY) for _ in range(rng.randint(0, 5))})),
                stars=n,
                readme=text(50, 400),
                summary=text(10, 60),
                summary_model="llama3.2",
                embedding=tuple(unit_vector(f"repo {n}".encode())),
                embedding_model=MODEL,
            ),
            "2026-12-02T00:00:00.000Z",
        )
        for n in range(REPOSITORIES)
    ]


class EmbedHandler(BaseHTTPRequestHandler):
    """Ollama's ``POST /api/embed``: a seeded unit vector for the input text."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without TCP_NODELAY, Nagle and the client's delayed
    # ACK would add about 40 ms to every embedding, a delay of this fake, not of the service.
    disable_nagle_algorithm = True

    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        text = body["input"] if isinstance(body["input"], str) else body["input"][0]
        data = json.dumps({"model": MODEL, "embeddings": [unit_vector(text.encode())]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve(env: dict[str, str], sock: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "ragstar", "--uds", str(sock)],
        # PYTHONPATH passes through, so another checkout's service can be measured beside this one.
        env={"PATH": os.environ.get("PATH", ""), "RAGSTAR_LOG_LEVEL": "warning", **{k: v for k, v in os.environ.items() if k == "PYTHONPATH"}, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    with httpx.Client(transport=httpx.HTTPTransport(uds=str(sock)), base_url="http://ragstar") as http:
        while True:
            try:
                if http.get("/ready").status_code == 200:
                    return process
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"bench-service: the server on {sock} did not become ready")
            time.sleep(0.05)


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))] if values else float("nan")


def run(sock: Path, queries: list[str], concurrency: int, seconds: float) -> dict[str, float]:
    latencies: list[float] = []
    health: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    done = threading.Event()

    def worker(index: int) -> None:
        nonlocal errors
        rng = random.Random(index)
        mine: list[float] = []
        failed = 0
        with httpx.Client(transport=httpx.HTTPTransport(uds=str(sock)), base_url="http://ragstar", timeout=120) as http:
            while time.monotonic() < stop:
                started = time.perf_counter()
                response = http.post("/query", json={"query": rng.choice(queries), "num_results": 5})
                mine.append((time.perf_counter() - started) * 1000)
                failed += response.status_code != 200
        with lock:
            latencies.extend(mine)
            errors += failed

    def prober() -> None:
        with httpx.Client(transport=httpx.HTTPTransport(uds=str(sock)), base_url="http://ragstar", timeout=30) as http:
            while not done.is_set():
                started = time.perf_counter()
                http.get("/health")
                health.append((time.perf_counter() - started) * 1000)
                time.sleep(0.05)

    probe = threading.Thread(target=prober)
    probe.start()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    done.set()
    probe.join()
    return {
        "p50_ms": round(statistics.median(latencies), 2),
        "p99_ms": round(percentile(latencies, 0.99), 2),
        "rps": round(len(latencies) / elapsed, 1),
        "errors": errors,
        "health_p99_ms": round(percentile(health, 0.99), 2),
    }


def main() -> int:
    rng = random.Random(SEED + 1)
    queries = [" ".join(rng.choice(VOCABULARY) for _ in range(rng.randint(1, 4))) for _ in range(QUERIES)]
    embed = ThreadingHTTPServer(("127.0.0.1", 0), EmbedHandler)
    threading.Thread(target=embed.serve_forever, daemon=True).start()
    results: dict[str, Any] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="ragstar-bench-scale-") as tmp:
            work = Path(tmp)
            (work / "data").mkdir()
            started = time.monotonic()
            store = Store.open(work / "data")
            store.import_repositories(corpus())
            store.close()
            print(f"[bench] {REPOSITORIES} repositories with {DIMENSIONS}-dimension embeddings indexed in {time.monotonic() - started:.1f} s", file=sys.stderr)
            base = {"RAGSTAR_DB_PATH": str(work / "data"), "RAGSTAR_OLLAMA_BASE_URL": f"http://127.0.0.1:{embed.server_address[1]}"}
            for mode, env in (("keyword", base), ("hybrid", {**base, "RAGSTAR_OLLAMA_EMBEDDING_MODEL": MODEL})):
                sock = work / f"{mode}.sock"
                process = serve(env, sock)
                try:
                    runs = {}
                    for concurrency in CONCURRENCIES:
                        run(sock, queries, concurrency, WARMUP)
                        runs[str(concurrency)] = run(sock, queries, concurrency, DURATION)
                        print(f"[bench] {mode} c={concurrency}: {runs[str(concurrency)]}", file=sys.stderr)
                    results[mode] = {"concurrency": runs, "peak_rss_mib": round(peak_rss_mib(process.pid), 1)}
                finally:
                    process.send_signal(signal.SIGTERM)
                    process.wait(60)
    finally:
        embed.shutdown()

    print(f"POST /query on {REPOSITORIES} repositories x {DIMENSIONS} dimensions, SQLite, one process; {DURATION:.0f} s per run")
    print(f"{'mode':<8} {'clients':>7} {'p50 ms':>9} {'p99 ms':>9} {'req/s':>8} {'health p99':>11} {'errors':>7} {'peak RSS MiB':>13}")
    for mode, r in results.items():
        for concurrency, x in r["concurrency"].items():
            print(f"{mode:<8} {concurrency:>7} {x['p50_ms']:9.2f} {x['p99_ms']:9.2f} {x['rps']:8.1f} {x['health_p99_ms']:11.2f} {x['errors']:7d} {r['peak_rss_mib']:13.1f}")
    print(json.dumps({"repositories": REPOSITORIES, "dimensions": DIMENSIONS, "seconds": DURATION, "cpus": os.cpu_count(), "results": results}, sort_keys=True))
    return 1 if any(x["errors"] for r in results.values() for x in r["concurrency"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
