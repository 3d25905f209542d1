"""Databases for the suite: SQLite always, PostgreSQL too when TEST_DATABASE_URL is set.

Each backend is migrated once per session with Alembic (so the migrations are
exercised). A test runs inside one connection's transaction that is rolled
back afterwards; the app and the services under test use sessions bound to
that connection, whose commits only release savepoints (the SQLAlchemy docs'
"joining a session into an external transaction"). Tests that need real
commits (a real server, concurrent clients, migrations) take
`own_database_url`: a fresh database of the same backend, dropped afterwards.
"""

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.orm import Session

from app.db import WRITE_OPTION, Sessions, create_db_engine, create_sessions
from app.main import create_app
from app.settings import Settings
from scripts.databases import alembic_config, fresh_database
from tests.receiver import Receiver, running_receiver

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PG_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
# The shared corpus of real article histories and the peers' test cases, read in
# place (never copied here); CORPUS_DIR and PEER_DIR say where when elsewhere.
CORPUS_DIR = Path(os.environ.get("CORPUS_DIR") or ROOT.parent / "shared" / "corpus")
PEER_DIR = Path(os.environ.get("PEER_DIR") or ROOT.parent / "shared" / "peer")


def shared_file(path: Path, setting: str) -> Path:
    """`path`, from ../shared. Absent, the test is skipped with one line saying where
    it was expected, unless REQUIRE_CORPUS=1 (as CI sets): then it fails."""
    if not path.is_file():
        message = f"{path.name} not found at {path} (set {setting} to its folder)"
        if os.environ.get("REQUIRE_CORPUS") == "1":
            pytest.fail(f"{message}; REQUIRE_CORPUS=1 demands it", pytrace=False)
        pytest.skip(message)
    return path


WEBHOOK_SECRETS = (
    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw,whsec_c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24="
)


def _check_postgres(url: str) -> None:
    engine = create_engine(url)
    try:
        with engine.connect():
            pass
    except Exception as exc:  # noqa: BLE001 - any failure here means no PostgreSQL
        pytest.exit(f"TEST_DATABASE_URL is set but PostgreSQL is unusable: {exc}", returncode=1)
    finally:
        engine.dispose()


# For a test of what only PostgreSQL has (COPY, server connections): it runs on the
# PostgreSQL database alone, and is skipped, saying why, where there is none.
postgresql_only = pytest.mark.parametrize(
    "database_url",
    [
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(PG_URL is None, reason="needs TEST_DATABASE_URL"),
        )
    ],
    indirect=True,
)


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated database per backend for this test session (and xdist worker).

    On PostgreSQL, TEST_DATABASE_URL is only where databases are made: each session
    creates its own and drops it at the end, so parallel workers never collide.
    """
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        command.upgrade(alembic_config(url), "head")
        yield url
        return
    assert PG_URL is not None
    _check_postgres(PG_URL)
    with fresh_database(PG_URL, tmp_path_factory.mktemp("pg")) as url:
        yield url


@pytest.fixture(scope="session")
def db_engine(database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(db_engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that is rolled back when the test ends."""
    with db_engine.execution_options(**{WRITE_OPTION: True}).connect() as conn:
        outer = conn.begin()
        yield conn
        outer.rollback()


@pytest.fixture
def session(connection: Connection) -> Iterator[Session]:
    """A write session inside the test's transaction (its commits release savepoints)."""
    with create_sessions(connection).write() as s:
        yield s


@pytest.fixture
def settings(database_url: str) -> Settings:
    # No delivery worker thread: an app here shares the test's one connection (the
    # notification tests run workers of their own).
    return Settings(
        DATABASE_URL=database_url,
        MAX_BODY_BYTES=1024 * 1024,
        WEBHOOK_SECRETS=WEBHOOK_SECRETS,
        DELIVERY_WORKER="off",
    )


@pytest.fixture
def make_client(settings: Settings, connection: Connection) -> Iterator[Callable[..., TestClient]]:
    """Build a TestClient for an app with some settings changed, inside the test's transaction."""
    apps: list[tuple[FastAPI, TestClient]] = []

    def make(**overrides: Any) -> TestClient:
        app = create_app(settings.model_copy(update=overrides))
        app.state.sessions = create_sessions(connection)
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        apps.append((app, client))
        return client

    yield make
    for app, client in apps:
        client.__exit__(None, None, None)
        app.state.engine.dispose()


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


@pytest.fixture
def own_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database of the test's backend, for tests that commit for real."""
    with fresh_database(database_url, tmp_path) as url:
        yield url


@pytest.fixture
def sessions(own_database_url: str) -> Iterator[Sessions]:
    """Session factories on a database of the test's own (real commits, any thread)."""
    engine = create_db_engine(own_database_url)
    yield create_sessions(engine)
    engine.dispose()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A real HTTP receiver of outbound events on a free port (tests/receiver.py)."""
    with running_receiver() as running:
        yield running


@pytest.fixture(scope="session")
def session_database_url(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """One committing database per backend, shared by the real-server tests."""
    with fresh_database(database_url, tmp_path_factory.mktemp("server")) as url:
        yield url


@pytest.fixture
def committing_client(settings: Settings, own_database_url: str) -> Iterator[TestClient]:
    """A TestClient whose app commits to its own database (for concurrent requests)."""
    app = create_app(settings.model_copy(update={"DATABASE_URL": own_database_url}))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
    app.state.engine.dispose()


@pytest.fixture(scope="session")
def seeds() -> tuple[str, str]:
    return (
        (FIXTURES / "putin-china.r1.txt").read_text(encoding="utf-8"),
        (FIXTURES / "putin-china.r2.txt").read_text(encoding="utf-8"),
    )


@pytest.fixture(scope="session")
def corpus_posts() -> list[dict[str, Any]]:
    """The digital.gov histories from ../shared/corpus (CORPUS_DIR overrides where).

    Absent, the tests that need it are skipped with one reason naming the place;
    with REQUIRE_CORPUS=1 (as CI sets) its absence fails them instead.
    """
    path = shared_file(CORPUS_DIR / "digitalgov-news.jsonl", "CORPUS_DIR")
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]
