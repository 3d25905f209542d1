"""Notifications end to end: the real server stores revisions and answers at once;
a worker (inside the server on SQLite, `python -m app worker` on PostgreSQL) sends
the signed events afterwards."""

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx2 as httpx
import pytest
from standardwebhooks import Webhook

from app.db import create_db_engine, create_sessions
from app.services import keys
from tests.receiver import running_receiver

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def admin(session_database_url: str) -> dict[str, str]:
    engine = create_db_engine(session_database_url)
    try:
        with create_sessions(engine).write() as session:
            made = keys.create_key(session, name="e2e", scope="admin", now=datetime.now(UTC))
            session.commit()
    finally:
        engine.dispose()
    return {"Authorization": f"Bearer {made.secret}"}


@pytest.fixture
def worker(session_database_url: str, tmp_path: Path) -> Iterator[None]:
    """On PostgreSQL the server runs no worker: start one, as production does."""
    if session_database_url.startswith("sqlite"):
        yield  # the server's own (DELIVERY_WORKER=auto: inline on SQLite)
        return
    env = {**os.environ, "DATABASE_URL": session_database_url, "DELIVERY_POLL_SECONDS": "0.1"}
    with (tmp_path / "worker.log").open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app", "worker"], cwd=ROOT, env=env, stdout=log, stderr=log
        )
    try:
        yield
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0


def test_a_publish_answers_before_the_subscriber_is_called(
    server: str, admin: dict[str, str], worker: None
) -> None:
    with running_receiver() as receiver:
        receiver.gate = threading.Event()  # the subscriber hangs until the test lets it go
        made = httpx.post(
            f"{server}/v1/subscriptions",
            json={"url": receiver.url("/e2e"), "filter": {"article_ids": ["notify-e2e"]}},
            headers=admin,
        )
        assert made.status_code == 201, made.text
        subscription = made.json()
        try:
            for text in ("# Storm\n\nIt hit.\n\n## Damage\n\nRoofs lost.", "# Storm\n\nIt hit."):
                posted = httpx.post(
                    f"{server}/v1/articles/notify-e2e/revisions",
                    content=text,
                    headers={"Content-Type": "text/markdown"},
                    timeout=10,
                )
                assert posted.status_code == 201  # while the subscriber is still stuck
            receiver.gate.set()
            got = receiver.wait_for(2, "/e2e", timeout=30)
            bodies = [Webhook(subscription["secret"]).verify(r.body, r.headers) for r in got]
            assert [b["data"]["revision"] for b in bodies] == [1, 2]
            assert bodies[1]["data"]["change"]["sections_removed"] == ["Damage"]
            listing = f"{server}/v1/subscriptions/{subscription['id']}/deliveries"
            deadline = time.monotonic() + 30
            while True:  # the worker records each answer just after the receiver gave it
                items = httpx.get(listing, headers=admin).json()["items"]
                if all(i["status"] == "delivered" for i in items) or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            assert [i["status"] for i in items] == ["delivered", "delivered"]
            assert all(i["attempts"][-1]["status_code"] == 204 for i in items)
        finally:
            receiver.gate.set()
            httpx.delete(f"{server}/v1/subscriptions/{subscription['id']}", headers=admin)
