"""Crash safety under load: the real server (2 workers) is SIGKILLed while clients
publish, then started again on the same database."""

import os
import signal
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx2 as httpx
from sqlalchemy import func, select

from app.db import Sessions
from app.models import Article, Change, Delivery, Revision
from app.services import notifications
from app.services.notifications import Filter
from tests.api.conftest import serving

CLIENTS = 6
SETTINGS = {
    "WEB_CONCURRENCY": "2",
    "RATE_LIMIT": "",
    "RATE_LIMIT_ANONYMOUS": "",
    "DELIVERY_WORKER": "off",  # events stay in the outbox, to be counted
}


@dataclass
class Publish:
    key: str
    article: str
    text: str
    status: int | None = None  # None: no answer (the server died)
    revision: int | None = None


@dataclass
class Load:
    base: str
    sent: list[Publish] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    def client(self, n: int) -> None:
        with httpx.Client(timeout=10) as client:
            i = 0
            while not self.stop.is_set():
                i += 1
                publish = Publish(
                    uuid.uuid4().hex, f"crash-{n % 3}", f"Client {n}, update {i}: more news."
                )
                with self.lock:
                    self.sent.append(publish)
                try:
                    response = client.post(
                        f"{self.base}/v1/articles/{publish.article}/revisions",
                        json={"text": publish.text},
                        headers={"Idempotency-Key": publish.key},
                    )
                except httpx.TransportError:
                    return  # the server is gone
                publish.status = response.status_code
                if response.status_code == 201:
                    publish.revision = int(response.json()["revision"])


def test_sigkill_mid_load_loses_nothing_acknowledged(
    own_database_url: str, sessions: Sessions, tmp_path: Path
) -> None:
    with sessions.write() as session:  # every revision owes one event
        notifications.create_subscription(
            session,
            url="https://receiver.example/hook",
            description=None,
            filter=Filter(),
            now=datetime.now(UTC),
            block_private=False,
        )
        session.commit()
    log = tmp_path / "server.log"
    with serving(own_database_url, log, **SETTINGS) as (base, proc):
        load = Load(base)
        with ThreadPoolExecutor(CLIENTS) as pool:
            running = [pool.submit(load.client, n) for n in range(CLIENTS)]
            while sum(p.status == 201 for p in load.sent) < 60:
                time.sleep(0.02)
            os.killpg(proc.pid, signal.SIGKILL)  # the master and both workers, mid-request
            proc.wait()
            load.stop.set()
            for future in running:
                future.result()
    acknowledged = [p for p in load.sent if p.status == 201]
    unanswered = [p for p in load.sent if p.status is None]
    assert {p.status for p in load.sent} <= {201, None}
    assert unanswered, "the kill came between requests: nothing was in flight"

    with serving(own_database_url, log, **SETTINGS) as (base, _), httpx.Client() as client:
        for p in acknowledged:  # present and readable, as acknowledged
            got = client.get(f"{base}/v1/articles/{p.article}/revisions/{p.revision}")
            assert got.status_code == 200
            assert got.json()["text"] == p.text
        # Every request sent again with its key: the acknowledged ones replay their
        # revision, the unanswered ones go in (or replay, if they were committed).
        for p in load.sent:
            again = client.post(
                f"{base}/v1/articles/{p.article}/revisions",
                json={"text": p.text},
                headers={"Idempotency-Key": p.key},
            )
            assert again.status_code in (200, 201), again.text
            if p.revision is not None:
                assert again.json()["revision"] == p.revision

    with sessions.read() as session:
        rows = session.execute(
            select(Article.external_id, Revision.revision_no, Revision.text, Revision.article_id)
            .join(Revision, Revision.article_id == Article.id)
            .order_by(Article.external_id, Revision.revision_no)
        ).all()
        by_article: dict[str, list[int]] = {}
        for article, number, _, _ in rows:
            by_article.setdefault(article, []).append(number)
        for numbers in by_article.values():
            assert numbers == list(range(1, len(numbers) + 1))  # no gaps
        texts = Counter((article, text) for article, _, text, _ in rows)
        assert max(texts.values()) == 1  # no request stored twice
        assert len(rows) == len(load.sent)  # and every one stored once
        changes = session.scalar(select(func.count()).select_from(Change))
        assert changes == len(rows) - len(by_article)  # a record for each after the first
        events = Counter(
            tuple(e) for e in session.execute(select(Delivery.article_id, Delivery.revision_no))
        )
        owed = Counter((pk, number) for _, number, _, pk in rows)
        assert events == owed  # one outbox event for every stored revision
