"""Bad input gets an RFC 9457 problem that says what to fix, and nothing is stored."""

import gzip
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient

PROBLEM = "application/problem+json"


def assert_problem(response: httpx.Response, status: int, *words: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["title"]
    assert body["type"]
    assert body["instance"]
    assert body["code"]
    for word in words:
        assert word.lower() in body["detail"].lower(), body["detail"]
    return body


def nothing_stored(client: TestClient, article: str = "a") -> None:
    assert client.get(f"/v1/articles/{article}").status_code == 404
    assert client.get("/v1/articles").json()["items"] == []


@pytest.mark.parametrize(
    ("body", "content_type", "status", "words"),
    [
        (b'{"text": "unterminated', "application/json", 422, ["not valid JSON"]),
        (b'{"title": "no text"}', "application/json", 422, ["exactly one of"]),
        (b'{"text": "a", "html": "<p>b</p>"}', "application/json", 422, ["exactly one of"]),
        (b'["text"]', "application/json", 422, ["object"]),
        (b'{"text": 42}', "application/json", 422, ["text"]),
        (b'{"text": "   \\n\\t "}', "application/json", 422, ["empty"]),
        (b"   \n\n  ", "text/plain", 422, ["empty"]),
        (b"", "text/plain", 422, ["empty"]),
        (b"caf\xe9 au lait", "text/plain", 422, ["utf-8"]),
        (b'{"text": "caf\xe9"}', "application/json", 422, ["utf-8"]),
        (b'{"text": "\\ud800 lone surrogate"}', "application/json", 422, ["surrogate"]),
        (b'{"text": "ok", "title": "nul\\u0000"}', "application/json", 422, ["NUL"]),
        (b'{"text": "ok", "published_at": "yesterday"}', "application/json", 422, ["published_at"]),
        (
            b'{"text": "ok", "published_at": "2024-01-01T10:00:00"}',
            "application/json",
            422,
            ["zone"],
        ),
        (b"text", "application/x-www-form-urlencoded", 415, ["Content-Type", "text/plain"]),
        (b"text", "", 415, ["Content-Type"]),
        (b"text", "text/plain; charset=klingon", 415, ["charset"]),
    ],
)
def test_bad_bodies(
    client: TestClient, body: bytes, content_type: str, status: int, words: list[str]
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post("/v1/articles/a/revisions", content=body, headers=headers)
    assert_problem(response, status, *words)
    nothing_stored(client)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b'{"text": "ok", "titel": "Typo"}', ["unknown field(s) titel", "title"]),
        (b'{"text": null, "html": "<p>x</p>"}', ["text", "leave the field out"]),
        (b'{"text": "ok", "published_at": "0.5"}', ["published_at", "RFC 3339"]),
        (b'{"text": "ok", "published_at": 1700000000}', ["published_at", "RFC 3339"]),
        (b'{"text": "ok", "metadata": ' + b'{"a": ' * 40 + b"1" + b"}" * 41, ["nests", "32"]),
        (b'{"text": "ok", "metadata": ' + b"[" * 5000 + b"]" * 5000 + b"}", ["nests"]),
        (b"<div>" * 300 + b"x", ["nested at least 257"]),
    ],
    ids=[
        "unknown-field",
        "null-body",
        "number-as-time",
        "unix-time",
        "deep-json",
        "json-5000-deep",
        "deep-html",
    ],
)
def test_refused_shapes_say_what_to_fix(client: TestClient, body: bytes, words: list[str]) -> None:
    content_type = "text/html" if body.startswith(b"<") else "application/json"
    response = client.post(
        "/v1/articles/a/revisions", content=body, headers={"Content-Type": content_type}
    )
    assert_problem(response, 422, *words)
    nothing_stored(client)


def test_too_many_blocks_are_refused(make_client: Callable[..., TestClient]) -> None:
    client = make_client(MAX_BLOCKS=10)
    text = "\n\n".join(f"Paragraph {k} of the story." for k in range(11))
    response = client.post(
        "/v1/articles/a/revisions", content=text.encode(), headers={"Content-Type": "text/plain"}
    )
    assert_problem(response, 422, "11 paragraphs", "at most 10")
    nothing_stored(client)


def test_markup_only_html_is_an_empty_revision(client: TestClient) -> None:
    page = "<script>x()</script><div class='share'>Share</div>"
    first = client.post("/v1/articles/a/revisions", json={"text": "The story as it stood."})
    emptied = client.post(
        "/v1/articles/a/revisions", content=page.encode(), headers={"Content-Type": "text/html"}
    )
    assert (first.status_code, emptied.status_code) == (201, 201)
    assert emptied.json()["change"]["summary"]["paragraphs_removed"] == 1
    revision = client.get("/v1/articles/a/revisions/2").json()
    assert revision["blocks"] == []
    assert client.get("/v1/articles/a/revisions/2", params={"view": "original"}).text == page


def test_metadata_keeps_nul_escapes(client: TestClient) -> None:
    metadata = {"k\u0000": "a\u0000b", "nested": [{"x": "\u0000"}]}
    response = client.post("/v1/articles/a/revisions", json={"text": "ok", "metadata": metadata})
    assert response.status_code == 201, response.text
    assert client.get("/v1/articles/a/revisions/1").json()["metadata"] == metadata


def test_metadata_over_the_limit(client: TestClient) -> None:
    response = client.post(
        "/v1/articles/a/revisions", json={"text": "ok", "metadata": {"blob": "x" * 20_000}}
    )
    assert_problem(response, 422, "metadata", "bytes")
    nothing_stored(client)


def test_body_over_the_limit(client: TestClient) -> None:
    response = client.post(
        "/v1/articles/a/revisions",
        content=b"x" * (1024 * 1024 + 1),
        headers={"Content-Type": "text/plain"},
    )
    assert_problem(response, 413, "bytes")
    nothing_stored(client)


def test_streamed_body_over_the_limit(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(20):
            yield b"y" * 65536

    response = client.post(
        "/v1/articles/a/revisions", content=chunks(), headers={"Content-Type": "text/plain"}
    )
    assert_problem(response, 413)
    nothing_stored(client)


def test_a_json_body_opening_with_a_byte_order_mark_is_read(client: TestClient) -> None:
    """RFC 8259 lets a parser ignore a BOM; it was a 422 that said to "decode using utf-8-sig"."""
    body = "\ufeff" + json.dumps({"text": "The storm reached the coast."})
    response = client.post(
        "/v1/articles/a/revisions",
        content=body.encode(),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.text


def test_gzip_body_is_inflated(client: TestClient) -> None:
    text = "The storm reached the coast.\n\nThousands lost power."
    response = client.post(
        "/v1/articles/a/revisions",
        content=gzip.compress(text.encode()),
        headers={"Content-Type": "text/plain", "Content-Encoding": "gzip"},
    )
    assert response.status_code == 201, response.text
    assert client.get("/v1/articles/a/revisions/1").json()["text"] == text


def test_gzip_body_inflating_past_the_limit(client: TestClient) -> None:
    bomb = gzip.compress(b"x" * (1024 * 1024 + 1))  # 1 KB sent, 1 MB + 1 inflated
    assert len(bomb) < 4096
    response = client.post(
        "/v1/articles/a/revisions",
        content=bomb,
        headers={"Content-Type": "text/plain", "Content-Encoding": "gzip"},
    )
    assert_problem(response, 413, "inflates", "bytes")
    nothing_stored(client)


@pytest.mark.parametrize(
    "content",
    [b"plain text, not gzip", gzip.compress(b"cut short " * 100)[:-12]],
    ids=["not-gzip", "truncated"],
)
def test_broken_gzip_body(client: TestClient, content: bytes) -> None:
    response = client.post(
        "/v1/articles/a/revisions",
        content=content,
        headers={"Content-Type": "text/plain", "Content-Encoding": "gzip"},
    )
    assert_problem(response, 422, "gzip")
    nothing_stored(client)


def test_unknown_content_encoding(client: TestClient) -> None:
    response = client.post(
        "/v1/articles/a/revisions",
        content=b"text",
        headers={"Content-Type": "text/plain", "Content-Encoding": "br"},
    )
    assert_problem(response, 415, "Content-Encoding 'br'", "gzip")
    nothing_stored(client)


@pytest.mark.parametrize("article_id", ["-starts-with-dash", "has space", "x" * 201, "a/b", "é"])
def test_invalid_article_ids(client: TestClient, article_id: str) -> None:
    response = client.post(
        f"/v1/articles/{article_id}/revisions",
        content=b"Hello there.",
        headers={"Content-Type": "text/plain"},
    )
    assert response.status_code in (404, 422)  # a slash changes the route itself
    if "/" not in article_id:
        assert_problem(response, 422, "article_id")
    nothing_stored(client)


def test_longest_valid_article_id(client: TestClient) -> None:
    article_id = "A" + "b.c_d~e:f-" * 19 + "123456789"
    assert len(article_id) == 200
    response = client.post(
        f"/v1/articles/{article_id}/revisions",
        content=b"Hello there.",
        headers={"Content-Type": "text/plain"},
    )
    assert response.status_code == 201


def test_unknown_article_and_revision(client: TestClient) -> None:
    assert_problem(client.get("/v1/articles/nope"), 404, "nope")
    assert_problem(client.get("/v1/articles/nope/revisions"), 404)
    client.post(
        "/v1/articles/a/revisions", content=b"Hello there.", headers={"Content-Type": "text/plain"}
    )
    assert_problem(client.get("/v1/articles/a/revisions/2"), 404, "revisions 1 to 1")
    assert_problem(client.get("/v1/articles/a/revisions/0"), 422, "latest")
    assert_problem(client.get("/v1/articles/a/revisions/first"), 422, "latest")
    assert_problem(client.get("/v1/articles/a/diff"), 422, "from")
    assert_problem(client.get("/v1/articles/a/diff", params={"from": 1, "to": 9}), 404)


def test_bad_list_parameters(client: TestClient) -> None:
    assert_problem(client.get("/v1/articles", params={"limit": 0}), 422, "limit")
    assert_problem(client.get("/v1/articles", params={"limit": 501}), 422, "limit")
    assert_problem(client.get("/v1/articles", params={"cursor": "garbage!"}), 422, "cursor")
    assert_problem(client.get("/v1/changes", params={"kind": "nonsense"}), 422, "kind")
    assert_problem(client.get("/v1/changes", params={"since": "noon"}), 422, "since")


def test_unknown_route_and_method(client: TestClient) -> None:
    assert_problem(client.get("/v2/nothing"), 404, "no route")
    refused = assert_problem(client.delete("/v1/articles/a/revisions"), 405, "GET, HEAD, POST")
    assert refused["status"] == 405
    assert client.delete("/v1/articles/a/revisions").headers["allow"] == "GET, HEAD, POST"
    assert client.put("/v1/changes").headers["allow"] == "GET, HEAD"


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/v1/articles/a/revisions/%C2%B2", ["revision", "'latest'"]),
        ("/v1/changes?kind=%2B", ["change kinds"]),
        ("/v1/changes?since=2020-01-01T12:00:00+02:00", ["RFC 3339", "%2B"]),
        ("/v1/articles/a/revisions?cursor=abc", ["next_cursor"]),
    ],
)
def test_parameter_problems_say_what_the_value_should_look_like(
    client: TestClient, path: str, words: list[str]
) -> None:
    body = assert_problem(client.get(path), 422, *words)
    assert "should match pattern" not in body["detail"]
