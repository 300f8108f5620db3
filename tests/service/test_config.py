"""Tests for ragstar.config: file, environment and secret-file sources, and errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ragstar.config import (
    SCHEMA_PATH,
    SECRET_KEYS,
    ConfigError,
    PublicSettings,
    Settings,
    load_settings,
    render_schema,
)

REPO_ROOT = Path(__file__).resolve().parents[2]


def config_env(tmp_path: Path, text: str, **env: str) -> dict[str, str]:
    """Write ``text`` as the config file and return an environment pointing at it."""
    path = tmp_path / "ragstar.yaml"
    path.write_text(text, encoding="utf-8")
    return {"RAGSTAR_CONFIG_PATH": str(path), **env}


def test_defaults_when_file_is_empty(tmp_path: Path) -> None:
    settings = load_settings(config_env(tmp_path, "# nothing set\n"))
    assert settings.db_path == Path("/app/ragstar_db")
    assert settings.log_level == "info"
    assert settings.ollama_base_url == "http://ollama:11434"
    assert settings.ollama_model == "llama3.2"
    assert settings.github_api_url == "https://api.github.com"
    assert (settings.admin_token, settings.github_token, settings.ollama_api_key) == (None,) * 3


def test_default_path_missing_means_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no ./ragstar.yaml here
    assert load_settings({}) == Settings()


def test_values_from_file(tmp_path: Path) -> None:
    env = config_env(
        tmp_path,
        "db_path: /data/db\nlog_level: debug\nollama_model: qwen2.5\n"
        "ollama_base_url: https://ollama.example:8443\n",
    )
    settings = load_settings(env)
    assert settings.db_path == Path("/data/db")
    assert settings.log_level == "debug"
    assert settings.ollama_model == "qwen2.5"
    assert settings.ollama_base_url == "https://ollama.example:8443"
    assert settings.github_api_url == "https://api.github.com"


def test_env_overrides_file(tmp_path: Path) -> None:
    env = config_env(
        tmp_path,
        "db_path: /from/file\nlog_level: debug\n",
        RAGSTAR_DB_PATH="/from/env",
        RAGSTAR_GITHUB_API_URL="https://ghe.example/api/v3",
    )
    settings = load_settings(env)
    assert settings.db_path == Path("/from/env")
    assert settings.log_level == "debug"
    assert settings.github_api_url == "https://ghe.example/api/v3"


def test_unrelated_ragstar_env_vars_are_ignored(tmp_path: Path) -> None:
    # Kubernetes injects these for a Service named "ragstar".
    env = config_env(
        tmp_path, "", RAGSTAR_PORT="tcp://10.0.0.1:8000", RAGSTAR_SERVICE_HOST="10.0.0.1"
    )
    assert load_settings(env) == Settings()


def test_secrets_from_env_and_files(tmp_path: Path) -> None:
    token_file = tmp_path / "github-token"
    token_file.write_text("ghp_from_file\n", encoding="utf-8")
    key_file = tmp_path / "ollama-key"
    key_file.write_text("key-without-newline", encoding="utf-8")
    env = config_env(
        tmp_path,
        "",
        RAGSTAR_ADMIN_TOKEN="admin-from-env",
        RAGSTAR_GITHUB_TOKEN_FILE=str(token_file),
        RAGSTAR_OLLAMA_API_KEY_FILE=str(key_file),
    )
    settings = load_settings(env)
    assert settings.admin_token is not None
    assert settings.admin_token.get_secret_value() == "admin-from-env"
    assert settings.github_token is not None
    assert settings.github_token.get_secret_value() == "ghp_from_file"
    assert settings.ollama_api_key is not None
    assert settings.ollama_api_key.get_secret_value() == "key-without-newline"


def test_secrets_never_in_repr(tmp_path: Path) -> None:
    settings = load_settings(config_env(tmp_path, "", RAGSTAR_ADMIN_TOKEN="s3cr3t-value"))
    assert "s3cr3t-value" not in repr(settings)
    assert "s3cr3t-value" not in str(settings)
    assert "s3cr3t-value" not in settings.model_dump_json()


def test_secret_value_and_file_both_given_is_an_error(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("from-file\n", encoding="utf-8")
    env = config_env(
        tmp_path,
        "",
        RAGSTAR_ADMIN_TOKEN="from-env",
        RAGSTAR_ADMIN_TOKEN_FILE=str(token_file),
    )
    with pytest.raises(ConfigError) as info:
        load_settings(env)
    assert str(info.value) == (
        "admin_token: both RAGSTAR_ADMIN_TOKEN and RAGSTAR_ADMIN_TOKEN_FILE are set; set only one"
    )
    assert "from-env" not in str(info.value) and "from-file" not in str(info.value)


def test_missing_secret_file_is_an_error(tmp_path: Path) -> None:
    env = config_env(tmp_path, "", RAGSTAR_GITHUB_TOKEN_FILE=str(tmp_path / "absent"))
    with pytest.raises(ConfigError, match=r"^github_token: cannot read .*absent"):
        load_settings(env)


def test_empty_secret_is_an_error(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("\n", encoding="utf-8")
    env = config_env(tmp_path, "", RAGSTAR_ADMIN_TOKEN_FILE=str(token_file))
    with pytest.raises(ConfigError, match=r"^admin_token: .*must not be empty"):
        load_settings(env)


@pytest.mark.parametrize("key", SECRET_KEYS)
def test_secret_in_yaml_is_an_error(tmp_path: Path, key: str) -> None:
    env = config_env(tmp_path, f"{key}: do-not-put-me-here\n")
    with pytest.raises(ConfigError) as info:
        load_settings(env)
    message = str(info.value)
    name = "RAGSTAR_" + key.upper()
    assert message.startswith(f"{key}: secrets are not accepted in config file ")
    assert env["RAGSTAR_CONFIG_PATH"] in message
    assert f"set {name} or {name}_FILE instead" in message
    assert "do-not-put-me-here" not in message


def test_invalid_env_value_names_key_and_variable(tmp_path: Path) -> None:
    env = config_env(tmp_path, "", RAGSTAR_LOG_LEVEL="verbose")
    with pytest.raises(ConfigError) as info:
        load_settings(env)
    message = str(info.value)
    assert message.startswith("log_level: ")
    assert message.endswith("(from env RAGSTAR_LOG_LEVEL)")
    assert "\n" not in message


def test_invalid_file_value_names_key_and_file(tmp_path: Path) -> None:
    env = config_env(tmp_path, "ollama_base_url: ollama:11434\n")
    with pytest.raises(ConfigError) as info:
        load_settings(env)
    message = str(info.value)
    assert message.startswith("ollama_base_url: String should match pattern")
    assert message.endswith(f"(from config file {env['RAGSTAR_CONFIG_PATH']})")


def test_empty_db_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^db_path: .*must not be empty"):
        load_settings(config_env(tmp_path, "", RAGSTAR_DB_PATH=""))


def test_unknown_key_in_yaml_is_an_error(tmp_path: Path) -> None:
    env = config_env(tmp_path, "db_pth: /typo\n")
    with pytest.raises(ConfigError, match=r"^db_pth: Extra inputs are not permitted \(from config"):
        load_settings(env)


def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    env = config_env(tmp_path, "log_level: info\ndb_path: [unclosed\n")
    with pytest.raises(ConfigError) as info:
        load_settings(env)
    message = str(info.value)
    assert message.startswith(f"config file {env['RAGSTAR_CONFIG_PATH']}: invalid YAML at line")
    assert "\n" not in message


def test_yaml_must_be_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"expected a mapping"):
        load_settings(config_env(tmp_path, "- db_path\n"))


def test_explicit_config_path_must_exist(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError, match=r"^config file .*nope\.yaml does not exist"):
        load_settings({"RAGSTAR_CONFIG_PATH": str(missing)})


def test_shipped_ragstar_yaml_matches_defaults() -> None:
    data = yaml.safe_load((REPO_ROOT / "ragstar.yaml").read_text(encoding="utf-8"))
    assert set(data) == set(PublicSettings.model_fields)
    assert Settings.model_validate(data) == Settings()


def test_committed_schema_is_fresh() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == render_schema(), (
        "src/ragstar/config.schema.json is stale; regenerate it with "
        "`python -m ragstar.config --schema > src/ragstar/config.schema.json`"
    )


def test_schema_covers_public_keys_only() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert set(schema["properties"]) == set(PublicSettings.model_fields)
    assert not set(schema["properties"]) & set(SECRET_KEYS)
    assert schema["additionalProperties"] is False
    assert schema["properties"]["log_level"]["enum"] == ["debug", "info", "warning", "error"]


def test_schema_command_prints_schema() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ragstar.config", "--schema"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout == render_schema()
