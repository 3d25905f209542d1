"""Request ids, JSON log lines and Prometheus metrics, in the app and on the real server."""

import io
import json
import logging
import os
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import httpx2 as httpx
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from app.observability import configure_logging, request_id
from tests.api.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def count(
    scraped: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return scraped.get((name, frozenset(labels.items())), 0.0)


def test_the_request_id_is_taken_or_made_and_returned(client: TestClient) -> None:
    given = client.get("/healthz", headers={"X-Request-ID": "cms-7f3a:1"})
    assert given.headers["x-request-id"] == "cms-7f3a:1"
    made = client.get("/healthz")
    assert len(made.headers["x-request-id"]) == 32
    for bad in ("has space", "x" * 129, "naïve", 'a"b'):
        refused = client.get("/healthz", headers={b"X-Request-ID": bad.encode()})
        assert len(refused.headers["x-request-id"]) == 32  # a fresh one instead
    problem = client.get("/v1/articles/none", headers={"X-Request-ID": "abc"})
    assert problem.status_code == 404
    assert problem.headers["x-request-id"] == "abc"


def test_metrics_count_what_happened(client: TestClient) -> None:
    before = samples(client.get("/metrics").text)
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    assert client.post("/v1/articles/m/revisions", json={"text": "One."}).status_code == 201
    assert client.post("/v1/articles/m/revisions", json={"text": "Two."}).status_code == 201
    assert client.get("/v1/articles/m/diff?from=1&to=2").status_code == 200
    assert client.get("/v1/articles/nothing-here").status_code == 404
    assert client.get("/no/such/route").status_code == 404
    assert client.head("/healthz").status_code == 200
    assert client.get("/ui/static/viewer.js").status_code == 200
    response = client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    after = samples(response.text)

    def delta(name: str, **labels: str) -> float:
        return count(after, name, **labels) - count(before, name, **labels)

    requests = "articlediff_http_requests_total"
    assert delta(requests, method="GET", route="/healthz", status="200") == 3
    assert (
        delta(requests, method="POST", route="/v1/articles/{article_id}/revisions", status="201")
        == 2
    )
    assert delta(requests, method="GET", route="/v1/articles/{article_id}", status="404") == 1
    assert delta(requests, method="GET", route="unmatched", status="404") == 1
    assert delta(requests, method="GET", route="/ui/static/{path}", status="200") == 1
    assert delta("articlediff_revisions_ingested_total", via="api") == 2
    # One diff at ingest (revision 2 against 1), one read.
    assert delta("articlediff_diff_duration_seconds_count", use="ingest") == 1
    assert delta("articlediff_diff_duration_seconds_count", use="read") == 1
    assert delta("articlediff_diff_blocks_sum", use="read") == 2
    assert delta(requests, method="HEAD", route="/healthz", status="200") == 1
    latency = "articlediff_http_request_duration_seconds_count"
    assert delta(latency, method="GET", route="/healthz") == 3
    assert count(after, "articlediff_outbox_pending") == 0  # no subscriptions


def test_metrics_need_the_read_scope_when_reads_are_closed(
    make_client: Callable[..., TestClient],
) -> None:
    closed = make_client(AUTH_REQUIRED_FOR_READS=True)
    assert closed.get("/metrics").status_code == 401


def test_every_worker_is_counted(server: str) -> None:
    """bin/serve runs 2 workers: whichever answers the scrape counts both."""
    before = samples(httpx.get(f"{server}/metrics").text)
    with httpx.Client() as one_connection_each:
        for _ in range(30):
            one_connection_each.get(f"{server}/healthz", headers={"Connection": "close"})
    after = samples(httpx.get(f"{server}/metrics").text)
    key = {"method": "GET", "route": "/healthz", "status": "200"}
    done = count(after, "articlediff_http_requests_total", **key) - count(
        before, "articlediff_http_requests_total", **key
    )
    assert done == 30


def test_log_lines_are_json_with_the_request_id(tmp_path: Path) -> None:
    """The real server, on a database that is not migrated: the request's 503 has its
    id on the response, on the access line and on the warning logged inside it."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}",
        "DELIVERY_WORKER": "off",
    }
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "app.main:create_app",
                "--port",
                str(port),
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
        text = "The storm reached the coast; this sentence must never reach a log."
        response = httpx.post(
            f"{base}/v1/articles/a/revisions",
            json={"text": text},
            headers={"X-Request-ID": "trace-42", "Authorization": "Bearer adk_secretkey"},
        )
        assert response.status_code == 503
        assert response.headers["retry-after"] == "5"
        assert response.headers["x-request-id"] == "trace-42"
        time.sleep(0.3)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    ours = [line for line in lines if line.get("request_id") == "trace-42"]
    assert {line["logger"] for line in ours} == {"app.errors", "app.requests"}
    access = next(line for line in ours if line["logger"] == "app.requests")
    assert access["route"] == "/v1/articles/{article_id}/revisions"
    assert access["status"] == 503
    assert access["time"].endswith("+00:00")
    everything = log.read_text()
    assert "storm" not in everything
    assert "adk_secretkey" not in everything


def test_every_logger_writes_the_request_id_while_a_request_is_handled() -> None:
    """uvicorn's and SQLAlchemy's lines and Python warnings too, through the one handler."""
    configure_logging("json", "INFO")
    [handler] = [
        h
        for h in logging.getLogger().handlers
        if isinstance(h, logging.StreamHandler) and getattr(h, "article_diff_handler", False)
    ]
    assert isinstance(handler, logging.StreamHandler)
    written = io.StringIO()
    previous = handler.setStream(written)
    token = request_id.set("req-77")
    try:
        logging.getLogger("uvicorn.error").warning("from uvicorn")
        logging.getLogger("sqlalchemy.pool").warning("from sqlalchemy")
        with warnings.catch_warnings():  # pytest routes warnings its own way: route them
            warnings.simplefilter("always")  # to logging here, as configure_logging does
            logging.captureWarnings(False)
            logging.captureWarnings(True)
            warnings.warn("a library warning", UserWarning, stacklevel=1)
    finally:
        request_id.reset(token)
        handler.setStream(previous)
    lines = [json.loads(line) for line in written.getvalue().splitlines()]
    assert [(line["logger"], line["request_id"]) for line in lines] == [
        ("uvicorn.error", "req-77"),
        ("sqlalchemy.pool", "req-77"),
        ("py.warnings", "req-77"),
    ]
