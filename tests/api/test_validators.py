"""Conditional GETs beyond the diff: every stored-data read carries an ETag of its body,
must be revalidated, and answers 304 to a matching If-None-Match."""

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.api.http import body_etag
from app.services import keys

READS = [
    "/v1/articles",
    "/v1/articles/a",
    "/v1/articles/a/revisions",
    "/v1/articles/a/revisions/1",
    "/v1/articles/a/revisions/latest",
    "/v1/articles/a/revisions/2?view=original",
    "/v1/articles/a/revisions/2/blame",
    "/v1/articles/a/history",
    "/v1/changes",
]


def publish(client: TestClient, text: str) -> None:
    r = client.post("/v1/articles/a/revisions", json={"text": text})
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("path", READS)
def test_a_read_revalidates_to_304(client: TestClient, path: str) -> None:
    publish(client, "Rates rose.\n\nMarkets fell.")
    publish(client, "Rates rose sharply.\n\nMarkets fell.")
    first = client.get(path)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert etag.startswith('W/"')
    assert first.headers["cache-control"] == "no-cache"
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert (again.headers["etag"], again.headers["cache-control"]) == (etag, "no-cache")
    assert "content-length" not in again.headers or again.headers["content-length"] == "0"
    assert client.head(path).headers["etag"] == etag
    listed = client.get(path, headers={"If-None-Match": f'"other", {etag}'})
    assert listed.status_code == 304
    other = client.get(path, headers={"If-None-Match": '"other"'})
    assert (other.status_code, other.content) == (200, first.content)


def test_the_tag_changes_exactly_when_the_answer_does(client: TestClient) -> None:
    publish(client, "Rates rose.")
    history = client.get("/v1/articles/a/history")
    revision = client.get("/v1/articles/a/revisions/1")
    latest = client.get("/v1/articles/a/revisions/latest")
    publish(client, "Rates fell.")
    tags = {h: h.headers["etag"] for h in (history, revision, latest)}
    assert client.get("/v1/articles/a/revisions/1").headers["etag"] == tags[revision]
    for old in (history, latest):
        now = client.get(str(old.url), headers={"If-None-Match": tags[old]})
        assert now.status_code == 200
        assert now.headers["etag"] != tags[old]
        assert now.content != old.content


def test_a_compressed_answer_revalidates_with_the_same_tag(client: TestClient) -> None:
    """Weak tags: the gzip-coded and identity bodies are the same representation."""
    for n in range(30):
        publish(client, f"Paragraph number {n} of a history long enough to be compressed.")
    plain = client.get("/v1/articles/a/history", headers={"Accept-Encoding": "identity"})
    packed = client.get("/v1/articles/a/history", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.headers["etag"] == plain.headers["etag"]
    assert packed.content == plain.content  # as decoded by the client
    again = client.get(
        "/v1/articles/a/history",
        headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["etag"]},
    )
    assert again.status_code == 304
    assert "content-encoding" not in again.headers


def test_errors_and_writes_carry_no_tag(client: TestClient) -> None:
    missing = client.get("/v1/articles/nope")
    assert missing.status_code == 404
    assert "etag" not in missing.headers
    created = client.post("/v1/articles/a/revisions", json={"text": "Rates rose."})
    assert "etag" not in created.headers
    assert client.get("/healthz").headers.get("etag") is None


def test_the_diff_keeps_its_own_tag(client: TestClient) -> None:
    publish(client, "Rates rose.")
    publish(client, "Rates fell.")
    diff = client.get("/v1/articles/a/diff", params={"from": 1, "to": 2})
    assert diff.headers["cache-control"] == "public, max-age=86400"
    assert diff.headers["etag"] != body_etag(diff.content)  # the diff's, not the body's
    assert (
        client.get(
            "/v1/articles/a/diff",
            params={"from": 1, "to": 2},
            headers={"If-None-Match": diff.headers["etag"]},
        ).status_code
        == 304
    )


def test_reads_that_need_a_key_are_private(
    make_client: Callable[..., TestClient], session: Session
) -> None:
    client = make_client(AUTH_REQUIRED_FOR_READS=True)
    made = keys.create_key(session, name="r", scope="read", now=datetime.now(UTC))
    session.commit()
    response = client.get("/v1/articles", headers={"Authorization": f"Bearer {made.secret}"})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "private, no-cache"
