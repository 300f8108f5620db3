"""POST /clear and the admin token: none configured, wrong, right."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from helpers import ADMIN_TOKEN, build
from ragstar.api import create_app
from ragstar.config import Settings, load_settings


def test_clear_with_the_right_token(client: TestClient) -> None:
    build(client, ["https://github.com/encode/httpx", "https://github.com/psf/requests"])
    response = client.post("/clear", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert response.status_code == 200
    assert response.json() == {"deleted": 2}
    assert client.get("/summaries").json() == {"total": 0, "summaries": []}
    assert client.post("/query", json={"query": "http"}).json()["results"] == []  # full-text index too
    assert len(client.get("/jobs").json()["jobs"]) == 1  # jobs are kept
    # Clearing an empty index is fine.
    assert client.post("/clear", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).json() == {"deleted": 0}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": f"Bearer {ADMIN_TOKEN}x"},
        {"Authorization": f"Bearer {ADMIN_TOKEN[:-1]}"},
        {"Authorization": f"Basic {ADMIN_TOKEN}"},
        {"Authorization": ADMIN_TOKEN},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer tökén".encode()},
    ],
)
def test_clear_with_a_missing_or_wrong_token_is_401(client: TestClient, headers: dict[str, str | bytes]) -> None:
    build(client, ["https://github.com/encode/httpx"])
    response = client.post("/clear", headers=headers)
    assert response.status_code == 401
    assert response.json() == {"detail": "missing or wrong admin token"}
    assert response.headers["www-authenticate"] == "Bearer"
    assert client.get("/summaries").json()["total"] == 1  # nothing deleted


def test_clear_is_disabled_without_an_admin_token(make_settings: Callable[..., Settings]) -> None:
    with TestClient(create_app(make_settings(admin_token=None))) as client:
        build(client, ["https://github.com/encode/httpx"])
        for headers in ({}, {"Authorization": "Bearer anything"}):
            response = client.post("/clear", headers=headers)
            assert response.status_code == 403
            assert response.json() == {"detail": "admin endpoints are disabled: no admin token is configured"}
        assert client.get("/summaries").json()["total"] == 1


def test_admin_token_from_a_secret_file(tmp_path: Path) -> None:
    secret = tmp_path / "admin-token"
    secret.write_text("from-the-secret-file\n", encoding="utf-8")  # as a mounted Secret may end
    config = tmp_path / "ragstar.yaml"
    config.write_text(f"db_path: {tmp_path}\n", encoding="utf-8")
    settings = load_settings({"RAGSTAR_CONFIG_PATH": str(config), "RAGSTAR_ADMIN_TOKEN_FILE": str(secret)})
    with TestClient(create_app(settings)) as client:
        assert client.post("/clear", headers={"Authorization": "Bearer from-the-secret-file"}).status_code == 200
        assert client.post("/clear", headers={"Authorization": "Bearer from-the-secret"}).status_code == 401
