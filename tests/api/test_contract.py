"""The generated contract and the operational endpoints."""

from pathlib import Path

from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from scripts.openapi import render

ROOT = Path(__file__).resolve().parents[2]


def test_openapi_yaml_matches_the_app() -> None:
    committed = (ROOT / "openapi.yaml").read_text(encoding="utf-8")
    assert committed == render(), "openapi.yaml drifted: run `make openapi` and commit it"


def test_openapi_documents_the_contract() -> None:
    spec = create_app(Settings(DATABASE_URL="sqlite:///:memory:")).openapi()
    ingest = spec["paths"]["/v1/articles/{article_id}/revisions"]["post"]
    assert set(ingest["requestBody"]["content"]) >= {"application/json", "text/plain"}
    assert {"201", "200", "413", "415", "422"} <= set(ingest["responses"])
    assert "/v1/articles/{article_id}/diff" in spec["paths"]


def test_readyz_reports_an_unmigrated_database(tmp_path: Path) -> None:
    app = create_app(Settings(DATABASE_URL=f"sqlite:///{tmp_path / 'empty.db'}"))
    with TestClient(app) as client:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["status"] == "unavailable"
        assert client.get("/healthz").status_code == 200
    app.state.engine.dispose()


def test_readyz_ok_when_migrated(client: TestClient) -> None:
    assert client.get("/readyz").json()["status"] == "ok"
