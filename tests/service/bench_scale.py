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

The load comes from lean clients (:class:`Connection`: prepared requests on a kept-alive Unix
socket) and the fake embedder runs in a process of its own with its answers prepared, so that the
cores go to the service being measured, not to the harness.

``--baseline DIR`` serves another checkout too (its ``src/`` with its own ``.venv``), each run of
it just before the same run of this one, so before and after come from one run on one machine.

Prints one table and one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import math
import multiprocessing
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
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


def embed_answer(text: str) -> bytes:
    """Ollama's answer to ``POST /api/embed`` for ``text``: a seeded unit vector."""
    return json.dumps({"model": MODEL, "embeddings": [unit_vector(text.encode())]}).encode()


async def serve_embed(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, answers: dict[str, bytes]) -> None:
    """One keep-alive connection of the fake Ollama: ``POST /api/embed`` requests, one at a time."""
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:"))
            body = json.loads(await reader.readexactly(length))
            text = body["input"] if isinstance(body["input"], str) else body["input"][0]
            data = answers.get(text) or embed_answer(text)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(data), data))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


def embedder(queries: list[str]) -> tuple[multiprocessing.Process, int]:
    """The fake Ollama: one asyncio server in a process of its own (not under the clients' GIL,
    no thread per connection), its answers for ``queries`` made before it listens (about 0.1 ms a
    request, where a real embedding model takes milliseconds); returns the process and its
    loopback port."""
    answers = {q: embed_answer(q) for q in queries}
    parent, child = multiprocessing.Pipe()

    def listen() -> None:
        async def main() -> None:
            server = await asyncio.start_server(lambda r, w: serve_embed(r, w, answers), "127.0.0.1", 0, backlog=256)
            child.send(server.sockets[0].getsockname()[1])
            await server.serve_forever()

        asyncio.run(main())

    process = multiprocessing.get_context("fork").Process(target=listen, daemon=True)
    process.start()
    if not parent.poll(60):
        raise SystemExit("bench-service: the fake embedder did not start")
    return process, int(parent.recv())


class Connection:
    """One keep-alive HTTP/1.1 connection over the server's Unix socket, as lean as a load
    generator written in C can be in Python: the request's bytes are made once, the answer is read
    by its Content-Length. (An httpx client per thread spent more of the cores the server runs on.)"""

    def __init__(self, path: Path, timeout: float | None = None) -> None:
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.settimeout(timeout)
        self._sock.connect(str(path))
        self._buffer = b""

    def close(self) -> None:
        self._sock.close()

    def send(self, request: bytes) -> int:
        """Send one whole request; return the answer's status once its body has arrived."""
        return self.exchange(request)[0]

    def exchange(self, request: bytes) -> tuple[int, bytes]:
        """Send one whole request; return the answer's status and body."""
        self._sock.sendall(request)
        while b"\r\n\r\n" not in self._buffer:
            self._receive()
        head, _, self._buffer = self._buffer.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        length = next((int(line.split(b":", 1)[1]) for line in lines[1:] if line.lower().startswith(b"content-length:")), None)
        if length is None:
            raise SystemExit(f"bench-service: an answer without Content-Length: {lines[0]!r}")
        while len(self._buffer) < length:
            self._receive()
        body, self._buffer = self._buffer[:length], self._buffer[length:]
        return status, body

    def _receive(self) -> None:
        chunk = self._sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self._buffer += chunk


def post(path: str, body: dict[str, Any]) -> bytes:
    """The bytes of one ``POST path`` with a JSON body."""
    data = json.dumps(body).encode()
    return f"POST {path} HTTP/1.1\r\nHost: ragstar\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n".encode() + data


HEALTH = b"GET /health HTTP/1.1\r\nHost: ragstar\r\n\r\n"


def serve(env: dict[str, str], sock: Path, python: str = sys.executable) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [python, "-m", "ragstar", "--uds", str(sock)],
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
    requests = [post("/query", {"query": q, "num_results": 5}) for q in queries]

    def worker(index: int) -> None:
        nonlocal errors
        rng = random.Random(index)
        mine: list[float] = []
        failed = 0
        connection = Connection(sock)
        try:
            while time.monotonic() < stop:
                request = rng.choice(requests)
                started = time.perf_counter()
                status = connection.send(request)
                mine.append((time.perf_counter() - started) * 1000)
                failed += status != 200
        finally:
            connection.close()
        with lock:
            latencies.extend(mine)
            errors += failed

    def prober() -> None:
        connection = Connection(sock)
        try:
            while not done.is_set():
                started = time.perf_counter()
                connection.send(HEALTH)
                health.append((time.perf_counter() - started) * 1000)
                time.sleep(0.05)
        finally:
            connection.close()

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


def baseline_python(checkout: Path) -> Path:
    """The interpreter of a baseline checkout's own environment (its uv.lock's packages)."""
    return checkout / ".venv" / "bin" / "python"


def main() -> int:
    parser = argparse.ArgumentParser(prog="npm run --silent bench:service -- --scale", description="keyword and hybrid /query at scale")
    parser.add_argument(
        "--baseline",
        metavar="DIR",
        type=Path,
        help="another checkout whose src/ is measured too, each run beside this one's (before and after in one run), "
        "with the packages of its own uv.lock: DIR/.venv (made by `uv sync --frozen` there)",
    )
    args = parser.parse_args()
    checkouts: dict[str, Path | None] = {"this": None}
    if args.baseline is not None:
        if not (args.baseline / "src" / "ragstar" / "__main__.py").is_file():
            parser.error(f"--baseline {args.baseline}: no src/ragstar/__main__.py there")
        checkouts = {"baseline": args.baseline.resolve(), "this": None}
        if not baseline_python(args.baseline).is_file():
            parser.error(f"--baseline {args.baseline}: no .venv there; run `UV_PROJECT_ENVIRONMENT=$PWD/.venv uv sync --frozen` in it first")
    rng = random.Random(SEED + 1)
    queries = [" ".join(rng.choice(VOCABULARY) for _ in range(rng.randint(1, 4))) for _ in range(QUERIES)]
    embed, embed_port = embedder(queries)
    results: dict[str, dict[str, Any]] = {name: {} for name in checkouts}
    try:
        with tempfile.TemporaryDirectory(prefix="ragstar-bench-scale-") as tmp:
            work = Path(tmp)
            (work / "data").mkdir()
            started = time.monotonic()
            store = Store.open(work / "data")
            store.import_repositories(corpus())
            store.close()
            print(f"[bench] {REPOSITORIES} repositories with {DIMENSIONS}-dimension embeddings indexed in {time.monotonic() - started:.1f} s", file=sys.stderr)
            for mode in ("keyword", "hybrid"):
                processes: dict[str, tuple[subprocess.Popen[bytes], Path]] = {}
                try:
                    for name, checkout in checkouts.items():
                        # A copy of the index each: a data directory has one owner (its lock file).
                        data = work / f"{mode}-{name}"
                        shutil.copytree(work / "data", data, ignore=shutil.ignore_patterns("*.lock"))
                        env = {"RAGSTAR_DB_PATH": str(data), "RAGSTAR_OLLAMA_BASE_URL": f"http://127.0.0.1:{embed_port}"}
                        if mode == "hybrid":
                            env["RAGSTAR_OLLAMA_EMBEDDING_MODEL"] = MODEL
                        python = sys.executable
                        if checkout is not None:
                            env["PYTHONPATH"] = str(checkout / "src")
                            python = str(baseline_python(checkout))
                        sock = work / f"{mode}-{name}.sock"
                        processes[name] = (serve(env, sock, python), sock)
                    runs: dict[str, dict[str, Any]] = {name: {} for name in checkouts}
                    for concurrency in CONCURRENCIES:
                        for name, (_, sock) in processes.items():
                            run(sock, queries, concurrency, WARMUP)
                            runs[name][str(concurrency)] = run(sock, queries, concurrency, DURATION)
                            print(f"[bench] {name} {mode} c={concurrency}: {runs[name][str(concurrency)]}", file=sys.stderr)
                    for name, (process, _) in processes.items():
                        results[name][mode] = {"concurrency": runs[name], "peak_rss_mib": round(peak_rss_mib(process.pid), 1)}
                finally:
                    for process, _ in processes.values():
                        process.send_signal(signal.SIGTERM)
                    for process, _ in processes.values():
                        process.wait(60)
    finally:
        embed.kill()
        embed.join(10)

    print(f"POST /query on {REPOSITORIES} repositories x {DIMENSIONS} dimensions, SQLite, one process; {DURATION:.0f} s per run")
    print(f"{'checkout':<9} {'mode':<8} {'clients':>7} {'p50 ms':>9} {'p99 ms':>9} {'req/s':>8} {'health p99':>11} {'errors':>7} {'peak RSS MiB':>13}")
    for mode in ("keyword", "hybrid"):
        for concurrency in CONCURRENCIES:
            for name in checkouts:
                r = results[name][mode]
                x = r["concurrency"][str(concurrency)]
                print(f"{name:<9} {mode:<8} {concurrency:>7} {x['p50_ms']:9.2f} {x['p99_ms']:9.2f} {x['rps']:8.1f} {x['health_p99_ms']:11.2f} {x['errors']:7d} {r['peak_rss_mib']:13.1f}")
    summary: dict[str, Any] = {"repositories": REPOSITORIES, "dimensions": DIMENSIONS, "seconds": DURATION, "cpus": os.cpu_count(), "results": results["this"]}
    if args.baseline is not None:
        summary["baseline"] = {"checkout": str(args.baseline), "results": results["baseline"]}
    print(json.dumps(summary, sort_keys=True))
    return 1 if any(x["errors"] for by_mode in results.values() for r in by_mode.values() for x in r["concurrency"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
