"""POST /v1/import: NDJSON streamed in, counted, failures by line, resumable by key."""

import gzip
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

NDJSON = {"Content-Type": "application/x-ndjson"}
A = "The storm reached the coast on Sunday night with winds of 120 km/h."
B = "Thousands of homes lost power and schools will stay closed on Monday."


def lines(*objects: object) -> bytes:
    return b"".join(json.dumps(o).encode() + b"\n" for o in objects)


def test_import_streams_lines_and_reports_each_failure(client: TestClient) -> None:
    body = (
        lines(
            {"article_id": "storm", "text": A, "title": "Storm"},
            {"article_id": "storm", "text": f"{A}\n\n{B}"},
            {"article_id": "storm", "text": f"{A}\n\n{B}"},
            {"article_id": "other", "html": f"<article><p>{B}</p></article>"},
        )
        + b"\n{oops\n"
        + lines({"article_id": "storm", "txt": A})
    )

    def chunks() -> Iterator[bytes]:  # a streamed (chunked) body, cut mid-line
        for start in range(0, len(body), 37):
            yield body[start : start + 37]

    answer = client.post("/v1/import", content=chunks(), headers=NDJSON)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert {k: result[k] for k in ("created", "unchanged", "skipped", "failed")} == {
        "created": 3,
        "unchanged": 1,
        "skipped": 0,
        "failed": 2,
    }
    assert [f["line"] for f in result["failures"]] == [6, 7]  # line 5 is blank
    assert "not valid JSON" in result["failures"][0]["detail"]
    assert "txt" in result["failures"][1]["detail"]
    history = client.get("/v1/articles/storm/revisions").json()["items"]
    assert [r["revision"] for r in history] == [1, 2]
    assert history[1]["change"]["kinds"] == ["paragraph_added"]
    assert client.get("/v1/articles/other").json()["latest_revision"] == 1


def test_lines_the_database_could_not_store_fail_alone(client: TestClient) -> None:
    """A time past year 9999 in UTC and a number past the float range: before, the first
    failed the database statement (503, the rest of the upload unread) and the second
    was stored as null."""
    body = (
        lines({"article_id": "edge", "text": A})
        + b'{"article_id": "edge", "text": "x", "published_at": "9999-12-31T23:59:59-14:00"}\n'
        + b'{"article_id": "edge", "text": "y", "metadata": {"n": 1e400}}\n'
        + lines({"article_id": "edge", "text": f"{A}\n\n{B}"})
    )
    answer = client.post("/v1/import", content=body, headers=NDJSON)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert (result["created"], result["failed"]) == (2, 2)
    assert [f["line"] for f in result["failures"]] == [2, 3]
    assert "years 1 to 9999" in result["failures"][0]["detail"]
    assert "1e400" in result["failures"][1]["detail"]
    assert client.get("/v1/articles/edge").json()["latest_revision"] == 2


def test_the_same_upload_again_with_its_key_skips_what_went_in(client: TestClient) -> None:
    objects = [{"article_id": "k", "text": A + " " * k + f" Update {k}."} for k in range(6)]
    key = NDJSON | {"Idempotency-Key": "backfill-2026-12"}
    first = client.post("/v1/import", content=lines(*objects[:4]), headers=key)
    assert first.json()["created"] == 4
    again = client.post("/v1/import", content=lines(*objects), headers=key)
    assert (again.json()["skipped"], again.json()["created"]) == (4, 2)
    assert client.get("/v1/articles/k").json()["latest_revision"] == 6


def test_import_refuses_other_media_types(client: TestClient) -> None:
    answer = client.post("/v1/import", content=lines({"article_id": "x", "text": A}))
    assert answer.status_code == 415
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "application/x-ndjson" in answer.json()["detail"]
    assert client.get("/v1/articles/x").status_code == 404


@pytest.mark.parametrize("charset", ["latin-1", "utf-16", "nonsense"])
def test_ndjson_in_another_charset_is_refused_whole(client: TestClient, charset: str) -> None:
    """Read as UTF-8 regardless, every line of a Latin-1 file failed on its own."""
    body = (
        lines({"article_id": "enc", "text": "Caf\u00e9 au lait."})
        .decode()
        .encode("latin-1" if charset == "nonsense" else charset)
    )
    answer = client.post(
        "/v1/import",
        content=body,
        headers={"Content-Type": f"application/x-ndjson; charset={charset}"},
    )
    assert answer.status_code == 415
    assert f"charset '{charset}' is not accepted: NDJSON is UTF-8" in answer.json()["detail"]
    assert client.get("/v1/articles/enc").status_code == 404
    utf8 = client.post(
        "/v1/import",
        content=lines({"article_id": "enc", "text": "Caf\u00e9 au lait."}),
        headers={"Content-Type": "application/x-ndjson; charset=UTF8"},
    )
    assert utf8.json()["created"] == 1


def test_an_empty_upload_imports_nothing(client: TestClient) -> None:
    answer = client.post("/v1/import", content=b"\n\n", headers=NDJSON)
    assert answer.json() == {
        "created": 0,
        "unchanged": 0,
        "skipped": 0,
        "failed": 0,
        "failures": [],
    }


def test_a_byte_order_mark_opening_the_file_is_ignored(client: TestClient) -> None:
    """Windows tools open UTF-8 files with a BOM: line 1 used to fail ("Unexpected UTF-8
    BOM"), so the article's history began at line 2. Sent in small chunks, the BOM is
    split across them."""
    body = b"\xef\xbb\xbf" + lines(
        {"article_id": "bom", "text": A}, {"article_id": "bom", "text": B}
    )
    answer = client.post("/v1/import", content=iter([body[:2], body[2:]]), headers=NDJSON)
    assert answer.json()["created"] == 2, answer.text
    assert client.get("/v1/articles/bom/revisions/1").json()["text"] == A


def test_a_line_over_the_body_limit_fails_alone(make_client) -> None:
    client = make_client(MAX_BODY_BYTES=2000)
    big = {"article_id": "big", "text": "word " * 1000}
    body = lines({"article_id": "small", "text": A}, big, {"article_id": "small", "text": B})
    result = client.post("/v1/import", content=body, headers=NDJSON).json()
    assert (result["created"], result["failed"]) == (2, 1)
    assert result["failures"][0]["line"] == 2
    assert "MAX_BODY_BYTES" in result["failures"][0]["detail"]


def test_a_gzip_upload_is_inflated_as_it_streams(client: TestClient) -> None:
    body = lines(*({"article_id": "zipped", "text": f"{A} Update {k}."} for k in range(30)))
    packed = gzip.compress(body)
    chunks = [packed[k : k + 500] for k in range(0, len(packed), 500)]
    answer = client.post(
        "/v1/import", content=iter(chunks), headers=NDJSON | {"Content-Encoding": "gzip"}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["created"] == 30
    assert client.get("/v1/articles/zipped").json()["latest_revision"] == 30


def test_broken_gzip_and_other_encodings_are_refused(client: TestClient) -> None:
    body = lines({"article_id": "z", "text": A})
    broken = client.post(
        "/v1/import",
        content=gzip.compress(body)[:-12],
        headers=NDJSON | {"Content-Encoding": "gzip"},
    )
    assert broken.status_code == 422
    assert "not valid gzip" in broken.json()["detail"]
    other = client.post("/v1/import", content=body, headers=NDJSON | {"Content-Encoding": "br"})
    assert other.status_code == 415
    assert "Content-Encoding 'br'" in other.json()["detail"]


def test_a_database_failure_midway_is_a_503_that_says_what_is_stored(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches already committed stay; the problem says how many lines were handled
    and how to resume, never a 500 claiming nothing was stored."""
    import app.services.bulk as bulk

    real_apply, calls = bulk.apply, []

    def failing_apply(*args: Any, **kwargs: Any) -> bulk.ImportReport:
        calls.append(1)
        if len(calls) > 1:
            raise OperationalError("INSERT …", {}, Exception("server closed the connection"))
        return real_apply(*args, **kwargs)

    monkeypatch.setattr(bulk, "apply", failing_apply)
    monkeypatch.setattr("app.api.imports.BATCH_LINES", 2)
    body = lines(*({"article_id": "cut", "text": f"{A} Update {k}."} for k in range(5)))
    answer = client.post("/v1/import", content=body, headers=NDJSON)
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "5"
    assert "after 2 lines were handled; those are stored" in answer.json()["detail"]
    assert client.get("/v1/articles/cut").json()["latest_revision"] == 2
