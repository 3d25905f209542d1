"""The delivery worker: a loop that claims due deliveries, sends them on a few
threads and records what came back (services.delivery does each step).

It runs as `python -m app worker` (any number of processes against one
PostgreSQL), or on a thread inside the API process (DELIVERY_WORKER=inline;
the default on SQLite). `stop()` makes it finish the requests in flight, give
back the claims it has not started, and return.
"""

import logging
import os
import socket
import threading
import uuid
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import UTC, datetime

import httpx
from sqlalchemy.exc import SQLAlchemyError

from app.db import Sessions
from app.observability import DELIVERIES, DELIVERY_LATENCY
from app.services import delivery
from app.services.delivery import Claimed, Policy
from app.settings import Settings

log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


def runs_inline(settings: Settings) -> bool:
    """Whether the API process runs the worker itself (SQLite needs nothing extra)."""
    if settings.DELIVERY_WORKER == "auto":
        return settings.DATABASE_URL.startswith("sqlite")
    return settings.DELIVERY_WORKER == "inline"


class Worker:
    def __init__(self, sessions: Sessions, settings: Settings, name: str | None = None) -> None:
        self.sessions = sessions
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.policy = Policy(
            retry_seconds=settings.delivery_retry_seconds,
            timeout=settings.DELIVERY_TIMEOUT_SECONDS,
            lease=settings.DELIVERY_LEASE_SECONDS,
            pause_after=settings.DELIVERY_PAUSE_AFTER_SECONDS,
            block_private=settings.BLOCK_PRIVATE_TARGETS,
        )
        self.concurrency = settings.DELIVERY_CONCURRENCY
        self.poll = settings.DELIVERY_POLL_SECONDS
        self._stopping = threading.Event()
        self._client = httpx.Client(follow_redirects=False, trust_env=False)
        self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="delivery")

    def stop(self) -> None:
        self._stopping.set()

    def run(self) -> None:
        """Deliver until stopped; waits DELIVERY_POLL_SECONDS whenever nothing is due."""
        log.info("delivery worker %s started", self.name)
        try:
            while not self._stopping.is_set():
                try:
                    sent = self.run_once()
                except SQLAlchemyError as exc:  # the database is away: try again later
                    log.warning("delivery worker: %s", exc.__class__.__name__)
                    sent = 0
                if not sent:
                    self._stopping.wait(self.poll)
        finally:
            self.close()
            log.info("delivery worker %s stopped", self.name)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self._client.close()

    def run_once(self) -> int:
        """Claim one batch (up to DELIVERY_CONCURRENCY) and send it; how many were tried."""
        with self.sessions.read() as session:
            if not delivery.any_due(session, _now()):
                return 0
        with self.sessions.write() as session:
            claimed = delivery.claim(
                session,
                worker=self.name,
                now=_now(),
                lease=self.policy.lease,
                limit=self.concurrency,
            )
            session.commit()
        if not claimed:
            return 0
        running: dict[Future[None], Claimed] = {
            self._pool.submit(self._deliver, c): c for c in claimed
        }
        tried = len(claimed)
        pending = set(running)
        while pending:
            done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            for future in done:
                if (error := future.exception()) is not None:  # its lease runs out: sent again
                    log.error("delivery %s failed: %r", running[future].id, error)
            if self._stopping.is_set():
                unstarted = [f for f in pending if f.cancel()]
                if unstarted:
                    self._release([running[f].id for f in unstarted])
                    tried -= len(unstarted)
                wait(pending - set(unstarted))
                break
        return tried

    def _deliver(self, claimed: Claimed) -> None:
        outcome = delivery.send(self._client, claimed, self.policy)
        answered = "yes" if outcome.status_code is not None else "no"
        DELIVERY_LATENCY.labels(answered).observe(outcome.duration_ms / 1000)
        try:
            with self.sessions.write() as session:
                status = delivery.record(
                    session, claimed, outcome, worker=self.name, now=_now(), policy=self.policy
                )
                session.commit()
            if status is not None:
                DELIVERIES.labels("retry" if status == "pending" else status).inc()
        except SQLAlchemyError as exc:  # the lease runs out and the event goes again
            log.warning("delivery %s: result not stored (%s)", claimed.id, exc.__class__.__name__)

    def _release(self, ids: list[int]) -> None:
        with self.sessions.write() as session:
            delivery.release(session, self.name, ids)
            session.commit()


class InlineWorker:
    """A Worker on a daemon thread of the API process, started and stopped by its lifespan."""

    def __init__(self, sessions: Sessions, settings: Settings) -> None:
        self.worker = Worker(sessions, settings)
        self._thread = threading.Thread(target=self.worker.run, name="delivery", daemon=True)
        self._join_timeout = settings.DELIVERY_TIMEOUT_SECONDS + 5

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.worker.stop()
        self._thread.join(self._join_timeout)
