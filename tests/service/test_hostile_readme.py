"""Issue 17, defect 3: a crafted README froze the event loop (repeated unclosed ``<!--`` blocked
/health for 59 s at 256 KB). The cleaner now reads a bounded prefix, every step is linear, and it
runs off the event loop: /health keeps answering well inside the liveness probe's timeout while
READMEs built to be slow are indexed, by the real server on a unix socket.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
import time
from pathlib import Path

import httpx
import pytest

from corpus import FixtureRepo
from fakes import FakeGitHub, FakeOllama, serve
from helpers import ragstar_server
from ragstar.indexer import clean_readme, drop_html_comments

pytestmark = pytest.mark.sqlite_only

#: The derived livenessProbe's timeoutSeconds for this repository's Dockerfile (rendered/, 3 s).
PROBE_TIMEOUT = 3.0
MIB = 1024 * 1024

#: READMEs of about 1 MiB, each shaped against one step of the old cleaner.
HOSTILE = {
    "unclosed-comments": "<!--x" * (MIB // 5),
    "unclosed-images": "![a" * (MIB // 3),
    "unclosed-links": "[ ](x" * (MIB // 5),
    "unclosed-tags": "<a x" * (MIB // 4),
    "blank-lines": "\n \n" * (MIB // 3),
}


def test_clean_readme_keeps_the_words_and_drops_the_rest() -> None:
    readme = "# T\n<!-- c -->\n\n\n\n![badge](https://x/y.svg) Some <b>text</b> [](x)\n\n\n<!-- open"
    assert clean_readme(readme, 100) == "# T\n\n  Some  text"
    assert drop_html_comments("a<!-- b -->c<!-- d") == "a c "
    assert drop_html_comments("no comment") == "no comment"
    # An unclosed comment runs to the end, as in HTML: nothing of a hostile README survives.
    assert clean_readme(HOSTILE["unclosed-comments"], 8000) == ""
    # The scan is bounded: what lies past it is never read, however the start is shaped.
    assert clean_readme("x" * 70_000 + "<!-- never closed", 8000) == "x" * 8000


def test_health_answers_inside_the_probe_timeout_while_hostile_readmes_are_indexed(tmp_path: Path, ollama: FakeOllama) -> None:
    repos = {f"evil/{name}": FixtureRepo(f"evil/{name}", "A crafted README.", (), 1, readme, "summary") for name, readme in HOSTILE.items()}
    with contextmanager(serve)(lambda: FakeGitHub(repos)) as github, ragstar_server(tmp_path, f"github_api_url: {github.url}\nollama_base_url: {ollama.url}\n") as (_server, http):
        latencies: list[float] = []
        failures: list[str] = []
        done = threading.Event()

        def probe() -> None:
            # Its own connection, as the kubelet's prober has.
            transport = httpx.HTTPTransport(uds=str(tmp_path / "ragstar.sock"))
            with httpx.Client(transport=transport, base_url="http://ragstar", timeout=PROBE_TIMEOUT) as prober:
                while not done.is_set():
                    start = time.monotonic()
                    try:
                        status = prober.get("/health").status_code
                    except Exception as exc:  # a timeout is what the kubelet would count as a failure
                        failures.append(f"{type(exc).__name__}: {exc}")
                    else:
                        latencies.append(time.monotonic() - start)
                        if status != 200:
                            failures.append(f"status {status}")
                    time.sleep(0.05)

        prober = threading.Thread(target=probe)
        prober.start()
        try:
            job_id = http.post("/build", json={"repositories": [f"https://github.com/{name}" for name in repos]}).json()["job_id"]
            deadline = time.monotonic() + 60
            while (job := http.get(f"/jobs/{job_id}").json())["status"] in ("queued", "running"):
                assert time.monotonic() < deadline, job
                time.sleep(0.1)
            during = len(latencies) + len(failures)
            # And a little after, while the server settles.
            while len(latencies) + len(failures) < during + 10:
                time.sleep(0.05)
        finally:
            done.set()
            prober.join()
        assert job["status"] == "succeeded", job
        assert failures == []
        assert during >= 1
        # Well inside the probe's timeout, on a loaded 2-core CI machine too.
        assert max(latencies) < PROBE_TIMEOUT / 3, sorted(latencies)[-5:]
        print(f"/health answered {len(latencies)} times ({during} while {len(repos)} hostile READMEs of ~1 MiB were indexed); slowest {max(latencies) * 1000:.0f} ms")
