"""python -m app worker as its own processes: killed mid-batch and started again,
two side by side, stopped by SIGTERM; events go to a real local receiver."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

from sqlalchemy import select

from app.db import Sessions
from app.models import Delivery, DeliveryAttempt
from app.services import notifications
from app.services.bulk import Importer
from app.services.content import ContentLimits
from app.services.notifications import Filter
from tests.receiver import Receiver

ROOT = Path(__file__).resolve().parents[2]


def owe_events(sessions: Sessions, receiver: Receiver, articles: int, revisions: int) -> int:
    """A subscription to everything, and `articles` × `revisions` stored revisions (bulk
    import, interleaved by article): one event each."""
    with sessions.write() as session:
        notifications.create_subscription(
            session,
            url=receiver.url("/hook"),
            description=None,
            filter=Filter(),
            now=datetime.now(UTC),
            block_private=False,
        )
        session.commit()
    lines = [
        {"article_id": f"story-{a}", "text": f"Revision {r} of story {a}: the news moves on."}
        for r in range(1, revisions + 1)
        for a in range(articles)
    ]
    Importer(sessions).take(
        [(n, json.dumps(line).encode()) for n, line in enumerate(lines, 1)],
        limits=ContentLimits(),
        max_json_depth=32,
        max_line_bytes=1 << 20,
    )
    assert len(deliveries(sessions)) == articles * revisions
    return articles * revisions


def deliveries(sessions: Sessions) -> list[Delivery]:
    with sessions.read() as session:
        return list(session.scalars(select(Delivery).order_by(Delivery.id)))


def start_worker(url: str, log: Path, **settings: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DELIVERY_POLL_SECONDS": "0.1",
        "DELIVERY_RETRY_SECONDS": "0,0,0,0,0",
        **settings,
    }
    with log.open("ab") as out:  # the child keeps its own copy
        return subprocess.Popen(
            [sys.executable, "-m", "app", "worker"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def wait_until(done: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.05)


def stop(worker: subprocess.Popen[bytes]) -> int:
    """SIGTERM, as a supervisor stops it: it finishes what is in flight and exits 0."""
    worker.send_signal(signal.SIGTERM)
    return worker.wait(timeout=30)


def revisions_by_article(receiver: Receiver) -> dict[str, list[int]]:
    """Per article, the revision of every request received, in arrival order."""
    out: dict[str, list[int]] = {}
    for request in sorted(receiver.requests, key=lambda r: r.started):
        data = json.loads(request.body)["data"]
        out.setdefault(data["article_id"], []).append(data["revision"])
    return out


def test_a_worker_killed_mid_batch_loses_nothing(
    sessions: Sessions, own_database_url: str, receiver: Receiver, tmp_path: Path
) -> None:
    owed = owe_events(sessions, receiver, articles=6, revisions=10)
    receiver.gate = threading.Event()
    receiver.gate.set()
    log = tmp_path / "worker.log"
    settings = {"DELIVERY_LEASE_SECONDS": "2", "DELIVERY_TIMEOUT_SECONDS": "1"}
    first = start_worker(own_database_url, log, **settings)
    try:
        receiver.wait_for(15, timeout=60)
        receiver.gate.clear()  # what arrives now hangs: the kill comes mid-request
        wait_until(lambda: any(receiver.in_flight.values()), timeout=30, what="a request hangs")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    unfinished = [d for d in deliveries(sessions) if d.status == "pending"]
    assert unfinished, "the kill came after the last event: nothing was tested"
    assert any(d.leased_by for d in unfinished), "no claim was in flight at the kill"
    receiver.gate.set()

    second = start_worker(own_database_url, log, **settings)
    try:
        wait_until(
            lambda: all(d.status == "delivered" for d in deliveries(sessions)),
            timeout=60,
            what="every event is delivered",
        )
        assert stop(second) == 0, log.read_text()
    finally:
        if second.poll() is None:
            second.kill()
    stored = deliveries(sessions)
    assert len(stored) == owed
    received = {r.headers["webhook-id"] for r in receiver.requests}
    assert {d.event_id for d in stored} <= received  # at least once, none lost
    for article, numbers in revisions_by_article(receiver).items():
        assert numbers == sorted(numbers), article  # repeats only where the kill cut in
        assert set(numbers) == set(range(1, 11)), article


def test_two_workers_deliver_a_thousand_events_once_each_in_order(
    sessions: Sessions, own_database_url: str, receiver: Receiver, tmp_path: Path
) -> None:
    owed = owe_events(sessions, receiver, articles=20, revisions=50)
    log = tmp_path / "workers.log"
    workers = [start_worker(own_database_url, log) for _ in range(2)]
    try:
        wait_until(
            lambda: sum(d.status == "delivered" for d in deliveries(sessions)) == owed,
            timeout=240,
            what="1,000 events are delivered",
        )
        assert [stop(w) for w in workers] == [0, 0], log.read_text()
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    assert receiver.overlaps == []  # never the same event twice at once
    ids = [r.headers["webhook-id"] for r in receiver.requests]
    assert len(ids) == owed
    assert len(set(ids)) == owed  # nothing sent twice
    for article, numbers in revisions_by_article(receiver).items():
        assert numbers == list(range(1, 51)), article
    # Each article's requests follow one another: the next starts after the last answer.
    by_article: dict[str, list[tuple[float, float]]] = {}
    for request in receiver.requests:
        article = json.loads(request.body)["data"]["article_id"]
        by_article.setdefault(article, []).append((request.started, request.finished))
    for spans in by_article.values():
        spans.sort()
        assert all(a[1] <= b[0] for a, b in pairwise(spans))
    with sessions.read() as session:
        assert len(set(session.scalars(select(DeliveryAttempt.worker)))) == 2  # both worked
