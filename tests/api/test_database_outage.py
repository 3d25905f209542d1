"""The database goes away under load and comes back: a private PostgreSQL (never
the machine's shared one) is killed mid-load and started again, while the real
server keeps running."""

import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.api.conftest import serving
from tests.pgserver import PrivatePostgres, private_postgres

REQUEST_TIMEOUT = 10.0  # the longest any answer may take, database or not


@dataclass
class Sent:
    key: str
    article: str
    text: str
    status: int
    retry_after: str | None
    body: dict[str, object]
    phase: str


@dataclass
class Load:
    base: str
    phase: str = "up"
    results: list[Sent] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    def client(self, n: int) -> None:
        with httpx.Client(timeout=REQUEST_TIMEOUT) as client:
            i = 0
            while not self.stop.is_set():
                i += 1
                key = uuid.uuid4().hex
                article = f"outage-{n}"
                text = f"Update {i} from client {n}: the story goes on and on."
                phase = self.phase
                response = client.post(
                    f"{self.base}/v1/articles/{article}/revisions",
                    json={"text": text},
                    headers={"Idempotency-Key": key},
                )
                with self.lock:
                    self.results.append(
                        Sent(
                            key,
                            article,
                            text,
                            response.status_code,
                            response.headers.get("retry-after"),
                            response.json(),
                            phase,
                        )
                    )
                time.sleep(0.2 if response.status_code == 503 else 0.01)  # a patient client


@pytest.fixture
def postgres() -> Iterator[PrivatePostgres]:
    with private_postgres() as server:
        yield server


def test_a_database_outage_is_503s_then_recovery_without_a_restart(
    postgres: PrivatePostgres, tmp_path: Path
) -> None:
    settings = {"WEB_CONCURRENCY": "2", "RATE_LIMIT": "", "RATE_LIMIT_ANONYMOUS": ""}
    with serving(postgres.url, tmp_path / "server.log", **settings) as (base, _):
        load = Load(base)
        with ThreadPoolExecutor(4) as pool:
            running = [pool.submit(load.client, n) for n in range(4)]
            time.sleep(1)
            load.phase = "down"
            postgres.kill()
            time.sleep(2)
            ready = httpx.get(f"{base}/readyz", timeout=REQUEST_TIMEOUT)
            assert ready.status_code == 503
            postgres.start()
            load.phase = "back"
            time.sleep(2)
            load.stop.set()
            for future in running:
                future.result()  # a timeout or a dropped connection fails here

        statuses = {r.status for r in load.results}
        assert statuses <= {201, 503}, statuses  # never a 500
        down = [r for r in load.results if r.phase == "down"]
        assert any(r.status == 503 for r in down)
        for r in load.results:
            if r.status == 503:
                assert r.retry_after == "5"
                assert "Retry after" in str(r.body["detail"])
        # Back up, the same server process stores again.
        back = [r for r in load.results if r.phase == "back"]
        assert len(back) >= 4
        assert all(r.status == 201 for r in back[-4:])

        with httpx.Client(timeout=REQUEST_TIMEOUT) as client:
            # Every acknowledged revision is there, as acknowledged.
            for r in load.results:
                if r.status == 201:
                    # Patient, as the clients above: a worker's pooled connection from
                    # before the restart, used again within IDLE_PING_SECONDS, breaks on
                    # first use after it, and that one request answers 503.
                    for _ in range(3):
                        got = client.get(
                            f"{base}/v1/articles/{r.article}/revisions/{r.body['revision']}"
                        )
                        if got.status_code != 503:
                            break
                        time.sleep(0.2)
                    assert got.status_code == 200
                    assert got.json()["text"] == r.text
            # A refused request sent again with its key is stored once (or replayed,
            # if the refusal came after the commit).
            for r in load.results:
                if r.status == 503:
                    again = client.post(
                        f"{base}/v1/articles/{r.article}/revisions",
                        json={"text": r.text},
                        headers={"Idempotency-Key": r.key},
                    )
                    assert again.status_code in (200, 201), again.text
            for n in range(4):
                listed = client.get(f"{base}/v1/articles/outage-{n}/revisions?limit=500").json()
                numbers = [item["revision"] for item in listed["items"]]
                assert numbers == list(range(1, len(numbers) + 1))  # no gaps
