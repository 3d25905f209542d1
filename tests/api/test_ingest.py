"""Ingest: revisions numbered 1, 2, 3…, deduplicated, and readable back."""

from fastapi.testclient import TestClient


def post_text(client: TestClient, article: str, text: str, **headers: str):
    return client.post(
        f"/v1/articles/{article}/revisions",
        content=text.encode(),
        headers={"Content-Type": "text/plain", **headers},
    )


def test_first_revision_creates_the_article(client: TestClient, seeds) -> None:
    response = post_text(client, "putin-china", seeds[0])
    assert response.status_code == 201
    body = response.json()
    assert body["article_id"] == "putin-china"
    assert body["revision"] == 1
    assert body["created"] is True
    assert body["change"] is None
    assert len(body["content_sha256"]) == 64
    assert response.headers["location"] == "/v1/articles/putin-china/revisions/1"
    article = client.get("/v1/articles/putin-china").json()
    assert article["latest_revision"] == 1


def test_second_revision_carries_the_diff_summary(client: TestClient, seeds) -> None:
    post_text(client, "putin-china", seeds[0])
    response = client.post(
        "/v1/articles/putin-china/revisions",
        json={
            "text": seeds[1],
            "title": "Putin heads to China",
            "url": "https://example.com/a",
            "published_at": "2014-05-19T10:00:00+02:00",
            "source_revision_id": "cms-7",
            "metadata": {"desk": "world"},
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert body["revision"] == 2
    summary = body["change"]["summary"]
    assert summary["paragraphs_removed"] == 1
    assert summary["sections_removed"] == 1
    assert body["change"]["sections_removed"] == ["Energy alliance"]
    rev = client.get("/v1/articles/putin-china/revisions/2").json()
    assert rev["title"] == "Putin heads to China"
    assert rev["published_at"] == "2014-05-19T08:00:00Z"
    assert rev["source_revision_id"] == "cms-7"
    assert rev["metadata"] == {"desk": "world"}
    assert rev["blocks"][0] == {
        "kind": "paragraph",
        "text": seeds[1].strip().split("\n")[0],
    }


def test_resending_the_same_text_is_not_a_new_revision(client: TestClient, seeds) -> None:
    first = post_text(client, "a1", seeds[1])
    # Same text, reformatted: CRLF line ends, trailing spaces, single line breaks.
    reformatted = "\r\n".join(line + "  " for line in seeds[1].split("\n") if line)
    again = post_text(client, "a1", reformatted)
    assert again.status_code == 200
    assert again.json()["created"] is False
    assert again.json()["revision"] == 1
    assert again.json()["content_sha256"] == first.json()["content_sha256"]
    assert client.get("/v1/articles/a1").json()["latest_revision"] == 1


def test_revision_reads_latest_and_text(client: TestClient, seeds) -> None:
    post_text(client, "a2", seeds[0])
    post_text(client, "a2", seeds[1])
    latest = client.get("/v1/articles/a2/revisions/latest").json()
    assert latest["revision"] == 2
    assert "Energy alliance" not in latest["text"]
    first = client.get("/v1/articles/a2/revisions/1").json()
    kinds = [b["kind"] for b in first["blocks"]]
    assert kinds.count("heading") == 2
    assert kinds.count("boilerplate") == 2
    assert "Energy alliance\n\nNoting that" in first["text"]


def test_revision_list_is_oldest_first_and_paginates(client: TestClient) -> None:
    for k in range(5):
        post_text(client, "a3", f"Paragraph number {k} of the story is here.")
    page = client.get("/v1/articles/a3/revisions", params={"limit": 2}).json()
    assert [r["revision"] for r in page["items"]] == [1, 2]
    seen = [r["revision"] for r in page["items"]]
    while page["next_cursor"]:
        page = client.get(
            "/v1/articles/a3/revisions", params={"limit": 2, "cursor": page["next_cursor"]}
        ).json()
        seen += [r["revision"] for r in page["items"]]
    assert seen == [1, 2, 3, 4, 5]
    assert page["items"][-1]["change"]["summary"]["paragraphs_modified"] == 1


def test_articles_list_newest_activity_first(client: TestClient) -> None:
    for name in ("old", "mid", "new"):
        post_text(client, name, f"The {name} story begins with this sentence.")
    post_text(client, "old", "The old story begins with a new sentence now.")
    page = client.get("/v1/articles", params={"limit": 2}).json()
    assert [a["article_id"] for a in page["items"]] == ["old", "new"]
    rest = client.get("/v1/articles", params={"limit": 2, "cursor": page["next_cursor"]}).json()
    assert [a["article_id"] for a in rest["items"]] == ["mid"]
    assert rest["next_cursor"] is None


def test_html_and_markdown_bodies(client: TestClient) -> None:
    html = client.post(
        "/v1/articles/h1/revisions",
        content=b"<h2>Oil</h2><p>Prices rose.</p>",
        headers={"Content-Type": "text/html; charset=utf-8"},
    )
    assert html.status_code == 201
    md = client.post("/v1/articles/h1/revisions", json={"markdown": "## Oil\n\nPrices *rose*."})
    assert md.status_code == 200, "same blocks as the HTML revision: not a new revision"
    blocks = client.get("/v1/articles/h1/revisions/1").json()["blocks"]
    assert blocks == [
        {"kind": "heading", "text": "Oil"},
        {"kind": "paragraph", "text": "Prices rose."},
    ]


def test_original_body_is_kept_as_sent(client: TestClient) -> None:
    page = "<p>Prices rose <script>alert(1)</script>today.</p>"
    client.post("/v1/articles/o1/revisions", json={"html": page})
    original = client.get("/v1/articles/o1/revisions/1", params={"view": "original"})
    assert original.status_code == 200
    assert original.text == page
    assert original.headers["content-type"].startswith("text/html")
    assert "sandbox" in original.headers["content-security-policy"]
    parsed = client.get("/v1/articles/o1/revisions/1").json()
    assert parsed["text"] == "Prices rose today."


def test_metadata_reads_back_exactly(client: TestClient) -> None:
    """JSON columns are written by orjson, and by json.dumps for what orjson refuses: an
    integer past 64 bits, text beyond ASCII and nesting all come back as sent."""
    metadata = {"id": 2**70, "byline": "Zoë Müller — 東京", "tags": [{"n": -1.5e-7}, None]}
    posted = client.post(
        "/v1/articles/meta/revisions", json={"text": "Hello there.", "metadata": metadata}
    )
    assert posted.status_code == 201, posted.text
    read = client.get("/v1/articles/meta/revisions/1").json()
    assert read["metadata"] == metadata


def _page(headline: str) -> bytes:
    """A page whose article is always the same; only its head names another headline."""
    return (
        f"<!doctype html><html><head><title>{headline} | The Daily</title>"
        f'<meta property="og:title" content="{headline}"></head>'
        "<body><nav>Home</nav><article><p>Crews worked through the night.</p></article>"
        "</body></html>"
    ).encode()


def test_a_whole_page_gives_its_own_headline(client: TestClient) -> None:
    """A raw page has no title field: its og:title (else <title>) is its title, so a
    headline changed on a page that is otherwise the same is a change (it was 200,
    nothing new, and no title anywhere)."""
    url = "/v1/articles/page/revisions"
    html = {"Content-Type": "text/html"}
    first = client.post(url, content=_page("Storm nears the coast"), headers=html)
    assert first.status_code == 201
    assert client.get("/v1/articles/page").json()["title"] == "Storm nears the coast"
    again = client.post(url, content=_page("Storm nears the coast"), headers=html)
    assert (again.status_code, again.json()["created"]) == (200, False)
    retitled = client.post(url, content=_page("Storm hits the coast"), headers=html)
    assert retitled.status_code == 201
    change = retitled.json()["change"]
    assert change["title_changed"] == {
        "old": "Storm nears the coast",
        "new": "Storm hits the coast",
    }
    assert change["kinds"] == ["title_changed"]
    # A title sent says it all: the page's own is not read.
    given = client.post(
        url,
        json={"html": _page("Page headline").decode(), "title": "Given title"},
    )
    assert given.json()["change"]["title_changed"]["new"] == "Given title"
    # A fragment names nothing: the title in force stays.
    fragment = client.post(url, content=b"<p>Crews rested.</p>", headers=html)
    assert client.get(f"{url}/{fragment.json()['revision']}").json()["title"] == "Given title"
