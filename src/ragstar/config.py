"""RAGstar configuration: a YAML file, overridden by environment variables.

Sources, lowest to highest precedence:

1. Field defaults of :class:`Settings`.
2. The YAML file named by ``RAGSTAR_CONFIG_PATH`` (default ``./ragstar.yaml``).
   A mapping of key to value. A missing default file means "all defaults"; a
   missing file named explicitly is an error. Secret keys are rejected here:
   a secret in a file that ends up in a ConfigMap or in git is a mistake.
3. ``RAGSTAR_<KEY>`` environment variables (key upper-cased), e.g.
   ``RAGSTAR_DB_PATH=/data``. Other ``RAGSTAR_*`` variables are ignored, so
   the ``RAGSTAR_SERVICE_HOST``-style variables Kubernetes injects are harmless.
4. For secret keys only, ``RAGSTAR_<KEY>_FILE`` naming a file whose content,
   minus trailing newlines, is the value (e.g. a mounted Kubernetes Secret).
   Setting both ``RAGSTAR_<KEY>`` and ``RAGSTAR_<KEY>_FILE`` is an error.

Every problem is reported as a :class:`ConfigError` whose message is one line
naming the key and where the value came from. Secret values are held as
:class:`pydantic.SecretStr` and never appear in messages, logs or reprs.

Run ``python -m ragstar.config --schema`` to print the JSON Schema of the
non-secret keys (committed as ``config.schema.json`` next to this module).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    WithJsonSchema,
    field_validator,
)

ENV_PREFIX = "RAGSTAR_"
CONFIG_PATH_ENV = "RAGSTAR_CONFIG_PATH"
DEFAULT_CONFIG_PATH = "./ragstar.yaml"
SCHEMA_PATH = Path(__file__).with_name("config.schema.json")

LogLevel = Literal["debug", "info", "warning", "error"]
# A path as a plain JSON Schema string: pydantic's default adds the non-standard
# ``format: path``, which strict validators (e.g. Ajv) reject as unknown.
PathStr = Annotated[Path, WithJsonSchema({"type": "string", "minLength": 1})]


class ConfigError(Exception):
    """A configuration problem; ``str(error)`` is a single human-readable line."""


class PublicSettings(BaseModel):
    """Non-secret RAGstar settings: the keys allowed in ragstar.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="RAGstar configuration")

    db_path: PathStr = Field(
        default=Path("/app/ragstar_db"),
        description="Data directory (the index lives here). Must exist and be writable.",
    )
    log_level: LogLevel = Field(default="info", description="Log level of the service.")
    ollama_base_url: str = Field(
        default="http://ollama:11434",
        pattern=r"^https?://\S+$",
        description="Base URL of the Ollama server (http or https).",
    )
    ollama_model: str = Field(
        default="llama3.2",
        min_length=1,
        description="Name of the Ollama model that writes the repository summaries (/api/generate).",
    )
    ollama_embedding_model: str | None = Field(
        default=None,
        min_length=1,
        description=(
            "Name of an Ollama embedding model (/api/embed). When set, queries rank by a hybrid "
            "of BM25 and embedding similarity; when null, by BM25 alone."
        ),
    )
    github_api_url: str = Field(
        default="https://api.github.com",
        pattern=r"^https?://\S+$",
        description="Base URL of the GitHub REST API (change for GitHub Enterprise).",
    )
    http_timeout_seconds: float = Field(
        default=20.0,
        gt=0,
        le=300,
        description="Timeout of one GitHub request, and of connecting to Ollama.",
    )
    ollama_timeout_seconds: float = Field(
        default=180.0,
        gt=0,
        le=3600,
        description="Timeout of one Ollama generate or embed call (models on CPU are slow).",
    )
    max_retries: int = Field(
        default=3,
        ge=0,
        le=10,
        description="Retries of a failed GitHub or Ollama call (timeouts, connection errors, 5xx, rate limits).",
    )
    retry_backoff_seconds: float = Field(
        default=1.0,
        ge=0,
        le=60,
        description="First wait before a retry; it doubles on each further retry (capped at 60 s).",
    )
    rate_limit_max_wait_seconds: float = Field(
        default=60.0,
        ge=0,
        le=3600,
        description=(
            "Longest wait for a rate limit to reset (Retry-After, x-ratelimit-reset); "
            "a longer one fails the call with a clear error instead."
        ),
    )
    readme_max_chars: int = Field(
        default=8000,
        ge=0,
        le=200_000,
        description="README characters kept for the index and sent to the model (0: README not fetched).",
    )
    summary_max_chars: int = Field(
        default=600,
        ge=50,
        le=10_000,
        description="Longest summary stored; a longer answer from the model is cut at a word boundary.",
    )

    drain_seconds: float = Field(
        default=5.0,
        ge=0,
        le=300,
        description=(
            "After SIGTERM (python -m ragstar): how long /ready answers 503 while every other "
            "endpoint is still served, so the Service's endpoints and load balancers stop "
            "sending before the server stops accepting connections."
        ),
    )
    shutdown_timeout_seconds: float = Field(
        default=20.0,
        gt=0,
        le=3600,
        description=(
            "After draining: the longest wait for requests in flight, then for the repository "
            "being indexed, before the process exits. drain_seconds plus this stays below the "
            "pod's terminationGracePeriodSeconds (the deploy package derives both from it)."
        ),
    )
    max_connections: int = Field(
        default=512,
        ge=1,
        le=100_000,
        description=(
            "python -m ragstar: open connections at most; the next is answered 503 and closed. 512 "
            "connections hold at most 32 MiB of request bodies (64 KiB each), inside every stage's "
            "memory limit (dev's 512Mi is the smallest), and stay below a 1024 open-file limit with "
            "room for the store."
        ),
    )
    request_timeout_seconds: float = Field(
        default=30.0,
        ge=1,
        le=3600,
        description=(
            "python -m ragstar: the longest a request may take to arrive, headers and body "
            "(bodies are at most 64 KiB); past it, 408 and the connection is closed."
        ),
    )
    max_queued_jobs: int = Field(
        default=20,
        ge=1,
        le=10_000,
        description=(
            "Most build jobs waiting in the queue; POST /build and rerun past it answer 429 with "
            "Retry-After. With the per-request limit of 100 repositories this bounds the queue's "
            "rows and the work it promises."
        ),
    )
    max_queued_repositories: int = Field(
        default=500,
        ge=1,
        le=1_000_000,
        description=(
            "Most repositories waiting in queued jobs (a repository takes seconds to index: about "
            "20 minutes of work at the default); past it, 429 with Retry-After."
        ),
    )
    job_lease_seconds: float = Field(
        default=30.0,
        ge=1,
        le=3600,
        description=(
            "PostgreSQL mode: how long a replica's claim on a build job lasts without renewal "
            "(renewed every third of it); a job whose replica died is taken over this long after."
        ),
    )

    @field_validator("db_path", mode="before")
    @classmethod
    def _path_not_empty(cls, value: Any) -> Any:
        """Reject an empty path, which ``Path`` would silently turn into ``.``."""
        if isinstance(value, str) and not value.strip():
            raise ValueError("must not be empty")
        return value


class Settings(PublicSettings):
    """All keys: the public ones plus secrets, which come only from the environment."""

    admin_token: SecretStr | None = Field(default=None, description="Token for admin endpoints.")
    build_token: SecretStr | None = Field(
        default=None,
        description=(
            "When set, POST /build, POST /jobs/{id}/rerun and POST /jobs/{id}/cancel need "
            "Authorization: Bearer <build_token> (or the admin token); unset, anyone who reaches "
            "the service may queue and cancel builds."
        ),
    )
    github_token: SecretStr | None = Field(default=None, description="GitHub API token.")
    ollama_api_key: SecretStr | None = Field(default=None, description="Ollama API key.")
    database_url: SecretStr | None = Field(
        default=None,
        description=(
            "PostgreSQL connection URL (postgresql://USER:PASSWORD@HOST:PORT/DB). When set, the "
            "index and the jobs live there, shared by replicas, and db_path is not used."
        ),
    )

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: SecretStr | None) -> SecretStr | None:
        """Only PostgreSQL URLs; the message never repeats the value (it holds a password)."""
        if value is not None and not value.get_secret_value().startswith(("postgresql://", "postgres://")):
            raise ValueError("must be a postgresql://USER:PASSWORD@HOST:PORT/DB URL")
        return value

    @field_validator("admin_token", "build_token", "github_token", "ollama_api_key", "database_url")
    @classmethod
    def _secret_not_empty(cls, value: SecretStr | None) -> SecretStr | None:
        """Reject empty secrets: an empty token is a deployment mistake, not "no token"."""
        if value is not None and not value.get_secret_value():
            raise ValueError("must not be empty (unset it instead)")
        return value


SECRET_KEYS: tuple[str, ...] = tuple(
    sorted(set(Settings.model_fields) - set(PublicSettings.model_fields))
)


def env_name(key: str) -> str:
    """Return the environment variable for ``key``, e.g. ``db_path`` -> ``RAGSTAR_DB_PATH``."""
    return ENV_PREFIX + key.upper()


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build :class:`Settings` from the YAML file and the environment.

    Args:
        environ: Environment to read; defaults to ``os.environ``.

    Returns:
        The validated settings.

    Raises:
        ConfigError: unreadable or malformed YAML file, a secret or unknown key
            in the file, both ``RAGSTAR_X`` and ``RAGSTAR_X_FILE`` set, an
            unreadable ``_FILE``, or a value failing validation.
    """
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}

    path, explicit = env.get(CONFIG_PATH_ENV), True
    if not path:
        path, explicit = DEFAULT_CONFIG_PATH, False
    for key, value in _read_yaml(Path(path), required=explicit).items():
        values[key] = value
        sources[key] = f"config file {path}"

    for key in Settings.model_fields:
        name = env_name(key)
        if key in SECRET_KEYS and f"{name}_FILE" in env:
            if name in env:
                raise ConfigError(f"{key}: both {name} and {name}_FILE are set; set only one")
            values[key] = _read_secret_file(key, env[f"{name}_FILE"])
            sources[key] = f"file named by {name}_FILE"
        elif name in env:
            values[key] = env[name]
            sources[key] = f"env {name}"

    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, sources)) from None


def _read_yaml(path: Path, *, required: bool) -> dict[str, Any]:
    """Read the config file as a mapping; a missing file is empty unless ``required``."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if required:
            raise ConfigError(f"config file {path} does not exist ({CONFIG_PATH_ENV})") from None
        return {}
    except OSError as exc:
        raise ConfigError(f"config file {path}: cannot read: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "parse error"
        raise ConfigError(f"config file {path}: invalid YAML{where}: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path}: expected a mapping of keys to values")
    for key in data:
        if key in SECRET_KEYS:
            name = env_name(key)
            raise ConfigError(
                f"{key}: secrets are not accepted in config file {path}; "
                f"set {name} or {name}_FILE instead"
            )
    return data


def _read_secret_file(key: str, file_name: str) -> str:
    """Return the content of a secret file without trailing newlines."""
    try:
        return Path(file_name).read_text(encoding="utf-8").rstrip("\r\n")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not valid UTF-8"
        raise ConfigError(
            f"{key}: cannot read {file_name} (from {env_name(key)}_FILE): {reason}"
        ) from None


def _describe(exc: ValidationError, sources: Mapping[str, str]) -> str:
    """Summarise validation errors on one line, without echoing input values."""
    parts = []
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"]) or "config"
        source = sources.get(str(error["loc"][0]) if error["loc"] else "", "default")
        parts.append(f"{key}: {error['msg']} (from {source})")
    return "; ".join(parts)


def render_schema() -> str:
    """Return the JSON Schema of :class:`PublicSettings` as stable, indented JSON text."""
    return json.dumps(PublicSettings.model_json_schema(), indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; ``--schema`` prints the JSON Schema of the public keys."""
    parser = argparse.ArgumentParser(
        prog="python -m ragstar.config", description="RAGstar configuration tools."
    )
    parser.add_argument(
        "--schema", action="store_true", help="print the JSON Schema of the non-secret keys"
    )
    args = parser.parse_args(argv)
    if not args.schema:
        parser.print_usage(sys.stderr)
        return 2
    sys.stdout.write(render_schema())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
