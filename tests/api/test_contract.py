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
    body = ingest["requestBody"]["content"]["application/json"]["schema"]
    assert [v["$ref"].rsplit("/", 1)[1] for v in body["oneOf"]] == [
        "TextRevision",
        "HtmlRevision",
        "MarkdownRevision",
    ]
    assert {"201", "200", "401", "403", "413", "415", "422", "429"} <= set(ingest["responses"])
    # Every error is a problem+json with the Problem schema, never under application/json.
    for path in spec["paths"].values():
        for operation in path.values():
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    assert set(response["content"]) == {"application/problem+json"}
                    schema = response["content"]["application/problem+json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Problem"}
    # One representation per operation: the text formats of a diff have their own paths.
    diffs = {p: spec["paths"][p]["get"] for p in spec["paths"] if "/diff" in p and "{" in p}
    assert {p: set(op["responses"]["200"]["content"]) for p, op in diffs.items()} == {
        "/v1/articles/{article_id}/diff": {"application/json"},
        "/v1/articles/{article_id}/diff/unified": {"text/plain"},
        "/v1/articles/{article_id}/diff/html": {"text/html"},
    }


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
