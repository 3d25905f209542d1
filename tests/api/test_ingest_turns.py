"""Ingest takes turns: at most INGEST_CONCURRENCY revisions are processed at once per
process, by both ways in; the others wait, then go through."""

import threading
import time
from collections.abc import Callable

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient

from app.settings import Settings
from tests.api.test_hooks import PAYLOAD, signed


def _direct(client: TestClient) -> httpx.Response:
    return client.post(
        "/v1/articles/turns/revisions",
        content=b"The council met on Monday.",
        headers={"Content-Type": "text/plain"},
    )


def _hook(client: TestClient) -> httpx.Response:
    body, headers = signed(PAYLOAD)
    return client.post("/v1/hooks/publish", content=body, headers=headers)


@pytest.mark.parametrize("send", [_direct, _hook], ids=["direct", "hook"])
def test_an_ingest_waits_for_a_free_turn(
    make_client: Callable[..., TestClient], send: Callable[[TestClient], httpx.Response]
) -> None:
    client = make_client(INGEST_CONCURRENCY=1)
    turns = client.app.state.ingest_turns  # type: ignore[attr-defined]
    assert turns.total_tokens == 1
    holder = object()
    assert client.portal is not None
    client.portal.call(turns.acquire_on_behalf_of, holder)  # the only turn is taken
    answers: list[httpx.Response] = []
    request = threading.Thread(target=lambda: answers.append(send(client)))
    request.start()
    deadline = time.monotonic() + 10
    while turns.statistics().tasks_waiting == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert turns.statistics().tasks_waiting == 1, "the request did not queue for a turn"
    assert not answers
    client.portal.call(turns.release_on_behalf_of, holder)
    request.join(10)
    assert [a.status_code for a in answers] == [201]
    assert turns.statistics().borrowed_tokens == 0


@pytest.mark.parametrize(
    ("url", "given", "turns"),
    [
        ("sqlite:///x.db", None, 1),  # SQLite's writes take turns anyway
        ("postgresql+psycopg://u@h/db", None, 4),
        ("sqlite:///x.db", 3, 3),
    ],
)
def test_ingest_concurrency_defaults_by_database(url: str, given: int | None, turns: int) -> None:
    assert Settings(DATABASE_URL=url, INGEST_CONCURRENCY=given).ingest_concurrency == turns
