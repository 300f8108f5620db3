# RAGstar service image. Both stages use the same base image, so the venv
# built in "builder" points at the same interpreter path in "runtime".
ARG PYTHON_IMAGE=python:3.12.8-slim

# checkov:skip=CKV_DOCKER_7: the tag comes from ARG PYTHON_IMAGE (python:3.12.8-slim, pinned); checkov does not resolve ARG
FROM ${PYTHON_IMAGE} AS builder

# Single source of the uv version (scripts/test-python reads it from here).
ARG UV_VERSION=0.13.9
RUN pip install --no-cache-dir uv==${UV_VERSION}

# Precompile bytecode (the runtime root FS is read-only), never download a
# Python, copy files out of the cache (cache mount is another filesystem).
ENV UV_COMPILE_BYTECODE=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3 \
    UV_LINK_MODE=copy \
    UV_PROJECT_ENVIRONMENT=/app/.venv

WORKDIR /app

# Dependencies first: this layer is reused until pyproject.toml or uv.lock change.
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv,sharing=locked \
    uv sync --frozen --no-dev --no-install-project

# Then the project itself, installed as a regular (non-editable) package.
COPY src ./src
RUN --mount=type=cache,target=/root/.cache/uv,sharing=locked \
    uv sync --frozen --no-dev --no-editable

FROM ${PYTHON_IMAGE} AS runtime

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    RAGSTAR_CONFIG_PATH=/app/config/ragstar.yaml \
    RAGSTAR_DB_PATH=/app/ragstar_db \
    PATH="/app/.venv/bin:$PATH"

# UID and GID of the application user. The deploy package passes ragstar:runAsUser here,
# so the image and the pod agree (docs/security.md); 1000 unless a stack sets otherwise.
ARG APP_UID=1000

RUN groupadd --system --gid "${APP_UID}" appuser \
    && useradd --system --uid "${APP_UID}" --gid "${APP_UID}" --no-create-home --home-dir /nonexistent \
        --shell /sbin/nologin --comment "RAGstar application user" appuser \
    && install -d -o "${APP_UID}" -g "${APP_UID}" -m 0750 /app/ragstar_db

COPY --from=builder --chown=${APP_UID}:${APP_UID} /app/.venv /app/.venv
COPY --chown=${APP_UID}:${APP_UID} ragstar.yaml /app/config/ragstar.yaml

WORKDIR /app
# Numeric, so Kubernetes runAsNonRoot can verify it without reading /etc/passwd.
USER ${APP_UID}:${APP_UID}
EXPOSE 8000

# No curl in the image: Python's urllib is already here. urlopen raises on a
# connection error or an HTTP error status, so the check exits 1.
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2)"]

# python -m ragstar is uvicorn with a drain on SIGTERM and a bounded shutdown
# (src/ragstar/__main__.py; the deploy package derives its timings from the grace period).
CMD ["python", "-m", "ragstar", "--host", "0.0.0.0", "--port", "8000"]
