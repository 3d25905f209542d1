"""End to end through the real server: the Dockerfile's entry command, many workers."""

import contextlib
import json
import signal
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2 as httpx

from tests.api.conftest import serving

ROOT = Path(__file__).resolve().parents[2]
WRITERS = 50


def test_entry_command_migrates_and_serves(server: str) -> None:
    assert httpx.get(f"{server}/healthz").json() == {
        "status": "ok",
        "database": None,
        "migration": None,
    }
    ready = httpx.get(f"{server}/readyz").json()
    assert ready["status"] == "ok"
    assert ready["migration"]


def test_a_megabyte_of_request_headers_is_refused(server: str) -> None:
    """Headers are bounded before the app sees them: uvicorn's h11 parser refuses a
    request whose head passes 16 KB while it is still arriving. (Its httptools parser,
    which uvicorn picks whenever httptools is installed, buffers any size: it answered
    200 to 20 MB of one header.)"""
    host, port = server.removeprefix("http://").split(":")
    head = b"GET /healthz HTTP/1.1\r\nHost: a\r\nX-Padding: " + b"a" * 1_000_000 + b"\r\n\r\n"
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            connection.sendall(head)  # may be refused before all of it is sent
        status = connection.recv(100).split(b"\r\n")[0]
    assert status == b"HTTP/1.1 400 Bad Request"


def test_concurrent_publishes_get_gapless_numbers(server: str) -> None:
    def publish(k: int) -> httpx.Response:
        text = f"Breaking: update number {k} on the storm.\n\nOfficials said {k} homes lost power."
        return httpx.post(f"{server}/v1/articles/storm/revisions", json={"text": text}, timeout=60)

    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        responses = list(pool.map(publish, range(WRITERS)))
    assert [r.status_code for r in responses] == [201] * WRITERS, [
        r.text for r in responses if r.status_code != 201
    ]
    acknowledged = sorted(r.json()["revision"] for r in responses)
    assert acknowledged == list(range(1, WRITERS + 1))
    listed = []
    cursor = None
    while True:
        params = {"limit": 20} | ({"cursor": cursor} if cursor else {})
        page = httpx.get(f"{server}/v1/articles/storm/revisions", params=params).json()
        listed += [item["revision"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert listed == list(range(1, WRITERS + 1))
    for r in responses:
        got = httpx.get(f"{server}{r.headers['location']}")
        assert got.status_code == 200
        assert got.json()["content_sha256"] == r.json()["content_sha256"]
    history = httpx.get(f"{server}/v1/articles/storm/history").json()["items"]
    assert all(h["change"]["from_revision"] == h["revision"] - 1 for h in history[1:])


def test_sigterm_lets_requests_in_flight_finish(own_database_url: str, tmp_path: Path) -> None:
    """As a supervisor stops the service: SIGTERM arrives while an import is still
    streaming in; the import completes and the server exits cleanly."""

    def lines() -> Iterator[bytes]:
        for n in range(5):
            yield json.dumps({"article_id": "graceful", "text": f"Version {n}."}).encode() + b"\n"
            time.sleep(0.4)

    settings = {"WEB_CONCURRENCY": "2", "RATE_LIMIT_ANONYMOUS": ""}
    with serving(own_database_url, tmp_path / "server.log", **settings) as (base, proc):
        with ThreadPoolExecutor(1) as pool:
            upload = pool.submit(
                httpx.post,
                f"{base}/v1/import",
                content=lines(),
                headers={"Content-Type": "application/x-ndjson"},
                timeout=30,
            )
            time.sleep(0.6)  # the body is half sent
            proc.send_signal(signal.SIGTERM)
            answer = upload.result()
        assert answer.status_code == 200, answer.text
        assert answer.json()["created"] == 5
        assert proc.wait(timeout=30) == 0
