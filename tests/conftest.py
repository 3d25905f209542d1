"""Databases for the suite: SQLite always, PostgreSQL too when TEST_DATABASE_URL is set.

Each backend is migrated once per session with Alembic (so the migrations are
exercised) and emptied before every test that uses it.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient
from sqlalchemy import text

from app.db import create_db_engine
from app.main import create_app
from app.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
TABLES = ("change_kind", "change", "revision", "receipt", "article")
PG_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def alembic_config(url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["database_url"] = url
    config.attributes["configure_logger"] = False
    return config


def _reset_postgres(url: str) -> None:
    engine = create_db_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    except Exception as exc:  # noqa: BLE001 - any failure here means no PostgreSQL
        pytest.exit(f"TEST_DATABASE_URL is set but PostgreSQL is unusable: {exc}", returncode=1)
    finally:
        engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    else:
        assert PG_URL is not None
        url = PG_URL
        _reset_postgres(url)
    command.upgrade(alembic_config(url), "head")
    return url


def empty_database(url: str) -> None:
    engine = create_db_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
        else:
            for table in TABLES:
                conn.execute(text(f"DELETE FROM {table}"))
    engine.dispose()


@pytest.fixture
def db_url(database_url: str) -> str:
    empty_database(database_url)
    return database_url


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(
        DATABASE_URL=db_url,
        MAX_BODY_BYTES=1024 * 1024,
        WEBHOOK_SECRETS="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw,whsec_c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24=",
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
    app.state.engine.dispose()


@pytest.fixture(scope="session")
def seeds() -> tuple[str, str]:
    return (
        (FIXTURES / "putin-china.r1.txt").read_text(encoding="utf-8"),
        (FIXTURES / "putin-china.r2.txt").read_text(encoding="utf-8"),
    )
