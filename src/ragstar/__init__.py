"""RAGstar: find the right GitHub repository for a question asked in natural language.

Modules:
    config: settings from ``ragstar.yaml`` and ``RAGSTAR_*`` environment variables.
    api: the FastAPI application (``uvicorn ragstar.api:app``).
    service: what the API runs on: the store, the upstream clients, the job runner.
    store: SQLite storage (repositories, full-text index, jobs) and its migrations.
    upstream: GitHub and Ollama clients with timeouts and bounded retries.
    indexer: one repository from GitHub metadata to a stored summary.
    jobs: the background runner of build jobs.
    ranking: BM25 query expressions and the hybrid score.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ragstar")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"
