"""Serve the GitHub and Ollama fakes until SIGTERM, for the image pipeline's session test.

The image tests run this in a container of its own (read-only, non-root) on the Docker
bridge, so the service container reaches the fakes the way a pod reaches its upstreams.
Usage: python3 serve_fakes.py --host 0.0.0.0 --github-port 8081 --ollama-port 8082
"""

from __future__ import annotations

import argparse
import signal
import threading

from fakes import FakeGitHub, FakeOllama


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--github-port", type=int, required=True)
    parser.add_argument("--ollama-port", type=int, required=True)
    args = parser.parse_args()
    github = FakeGitHub(host=args.host, port=args.github_port).start()
    ollama = FakeOllama(host=args.host, port=args.ollama_port).start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(f"fakes ready: github {github.url} ollama {ollama.url}", flush=True)
    stop.wait()
    github.stop()
    ollama.stop()


if __name__ == "__main__":
    main()
