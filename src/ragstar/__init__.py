"""RAGstar: a small retrieval-augmented question-answering service.

Modules:
    config: settings from ``ragstar.yaml`` and ``RAGSTAR_*`` environment variables.
    api: the FastAPI application (``uvicorn ragstar.api:app``).
"""
