"""Start-up: settings checked before serving; housekeeping runs off the request path."""

import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from app import storage
from app.settings import Settings
from tests.api.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("secrets", "complaint"),
    [
        ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "does not start with 'whsec_'"),
        ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw,whsec_not base64!", "entry 2"),
        ("whsec_c2hvcnQ=", "at least 16"),
    ],
)
def test_malformed_webhook_secrets_are_refused(secrets: str, complaint: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(WEBHOOK_SECRETS=secrets)
    message = str(caught.value)
    assert "WEBHOOK_SECRETS" in message
    assert complaint in message
    assert "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" not in message  # never echo a secret


def test_a_malformed_secret_stops_the_server(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
        "WEBHOOK_SECRETS": "whsec_tooshort",
    }
    command = [sys.executable, "-m", "uvicorn", "--factory", "app.main:create_app"]
    run = subprocess.run(
        [*command, "--port", str(free_port())],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode != 0
    assert "WEBHOOK_SECRETS" in run.stderr


def test_importing_the_app_creates_nothing(tmp_path: Path) -> None:
    code = "import app.main, app.api.articles, app.engine"
    subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert list(tmp_path.iterdir()) == []


def _receipt(session: Session, key: str, at: datetime) -> None:
    storage.claim_receipt(session, key, "0" * 64, at)
    storage.complete_receipt(session, key, 201, {"article_id": "a", "revision": 1, "created": True})


def test_old_receipts_are_purged_at_start_up_not_per_request(
    make_client: Callable[..., TestClient], session: Session, connection: Connection
) -> None:
    now = datetime.now(UTC)
    _receipt(session, "webhook:old", now - timedelta(hours=100))
    _receipt(session, "webhook:fresh", now - timedelta(hours=1))
    session.commit()
    client = make_client(RECEIPT_RETENTION_HOURS=72)
    keys = {row[0] for row in connection.exec_driver_sql("SELECT key FROM receipt")}
    assert keys == {"webhook:fresh"}
    # A later request with an Idempotency-Key leaves other old receipts alone.
    _receipt(session, "webhook:old-again", now - timedelta(hours=100))
    session.commit()
    response = client.post(
        "/v1/articles/a/revisions",
        json={"text": "A paragraph of text."},
        headers={"Idempotency-Key": "k"},
    )
    assert response.status_code == 201
    keys = {row[0] for row in connection.exec_driver_sql("SELECT key FROM receipt")}
    assert keys == {"webhook:fresh", "webhook:old-again", "idem:a:k"}


def test_start_up_says_when_keys_are_not_required(
    make_client: Callable[..., TestClient], caplog: pytest.LogCaptureFixture
) -> None:
    make_client(AUTH_REQUIRED_FOR_WRITES=False, AUTH_REQUIRED_FOR_READS=False)
    assert [r.getMessage() for r in caplog.records if "not required" in r.getMessage()] == [
        "API keys are not required to write or read: anyone who can reach this server may. "
        "Set AUTH_REQUIRED_FOR_WRITES=true and AUTH_REQUIRED_FOR_READS=true before exposing it."
    ]
    caplog.clear()
    make_client(AUTH_REQUIRED_FOR_WRITES=True, AUTH_REQUIRED_FOR_READS=True)
    assert not [r for r in caplog.records if "not required" in r.getMessage()]


def test_the_docker_image_requires_keys() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "AUTH_REQUIRED_FOR_WRITES=true AUTH_REQUIRED_FOR_READS=true" in dockerfile
    assert "BLOCK_PRIVATE_TARGETS=true" in dockerfile


def test_every_setting_is_documented() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [name for name in Settings.model_fields if f"`{name}`" not in readme]
    assert missing == []
