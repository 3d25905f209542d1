"""The diff endpoints: stored revisions in three formats, and ad-hoc texts."""

from fastapi.testclient import TestClient
from selectolax.lexbor import LexborHTMLParser as HTMLParser


def publish(client: TestClient, article: str, text: str) -> None:
    r = client.post(
        f"/v1/articles/{article}/revisions",
        content=text.encode(),
        headers={"Content-Type": "text/plain"},
    )
    assert r.status_code in (200, 201), r.text


def test_seed_diff_over_http(client: TestClient, seeds) -> None:
    publish(client, "putin-china", seeds[0])
    publish(client, "putin-china", seeds[1])
    d = client.get("/v1/articles/putin-china/diff").json()
    assert (d["from_revision"], d["to_revision"]) == (1, 2)
    s = d["summary"]
    assert (
        s["paragraphs_removed"],
        s["paragraphs_added"],
        s["paragraphs_modified"],
        s["paragraphs_moved"],
        s["paragraphs_unchanged"],
    ) == (1, 0, 0, 0, 15)
    assert [(x["op"], x["heading"]) for x in d["sections"]] == [("delete", "Energy alliance")]
    changed = [(b["op"], b["kind"], b["old_text"]) for b in d["blocks"] if b["op"] != "equal"]
    assert ("delete", "heading", "Putin’s China visit") in changed
    assert ("delete", "boilerplate", "COMMents") in changed
    assert ("delete", "boilerplate", "SHARE") in changed
    assert len(changed) == 5
    back = client.get("/v1/articles/putin-china/diff", params={"from": 2, "to": 1}).json()
    assert back["summary"]["paragraphs_added"] == 1
    assert [(x["op"], x["heading"]) for x in back["sections"]] == [("insert", "Energy alliance")]


def test_formats_context_and_etag(client: TestClient, seeds) -> None:
    publish(client, "p", seeds[0])
    publish(client, "p", seeds[1])
    unified = client.get("/v1/articles/p/diff", params={"format": "unified", "context": 0})
    assert unified.headers["content-type"].startswith("text/plain")
    assert "--- p r1" in unified.text
    assert "- [heading] Energy alliance" in unified.text
    assert "Before leaving Moscow" not in unified.text
    html = client.get("/v1/articles/p/diff", params={"format": "html"})
    assert html.headers["content-type"].startswith("text/html")
    section = HTMLParser(html.text).css_first('section[data-op="delete"][data-kind="section"]')
    assert section is not None
    heading = section.css_first("h3 del")
    assert heading is not None
    assert heading.text() == "Energy alliance"
    assert html.headers["content-security-policy"].startswith("default-src 'none'; style-src")
    compact = client.get("/v1/articles/p/diff", params={"context": 1}).json()
    assert 5 < len(compact["blocks"]) < 20
    etag = html.headers["etag"]
    again = client.get(
        "/v1/articles/p/diff", params={"format": "html"}, headers={"If-None-Match": etag}
    )
    assert again.status_code == 304
    assert client.get("/v1/articles/p/diff", headers={"If-None-Match": etag}).status_code == 200


def test_a_diff_shows_the_titles_when_they_differ(client: TestClient) -> None:
    """A headline change is what newsroom watchers look for first: every format of a
    stored diff shows it (the change record had it; the diff showed nothing)."""
    for body in (
        {"text": "Rates rose.", "title": "Rates rise"},
        {"text": "Rates rose again."},  # no title sent: the old one stays in force
        {"text": "Rates rose again.", "title": "Rates <rise> again"},
    ):
        assert client.post("/v1/articles/t/revisions", json=body).status_code == 201
    same = client.get("/v1/articles/t/diff", params={"from": 1, "to": 2}).json()
    assert same["title_changed"] is None
    changed = client.get("/v1/articles/t/diff", params={"from": 1, "to": 3}).json()
    assert changed["title_changed"] == {"old": "Rates rise", "new": "Rates <rise> again"}
    back = client.get("/v1/articles/t/diff", params={"from": 3, "to": 1}).json()
    assert back["title_changed"] == {"old": "Rates <rise> again", "new": "Rates rise"}
    unified = client.get("/v1/articles/t/diff/unified", params={"from": 1, "to": 3}).text
    assert unified.splitlines()[3] == "# title changed: Rates rise → Rates <rise> again"
    assert "title" not in client.get("/v1/articles/t/diff/unified?from=1&to=2").text
    for path in ("/v1/articles/t/diff/html", "/ui/articles/t/diff"):
        page = HTMLParser(client.get(path, params={"from": 1, "to": 3}).text)
        shown = [node.text() for node in page.css(".ad-headline .ad-title del, .ad-title ins")]
        assert shown == ["Rates rise", "Rates <rise> again"], path  # escaped: text, not markup
        assert (
            HTMLParser(client.get(path, params={"from": 1, "to": 2}).text).css_first(".ad-title")
            is None
        )
    first = client.post("/v1/articles/u/revisions", json={"text": "Rates rose."})
    assert first.status_code == 201
    client.post("/v1/articles/u/revisions", json={"text": "Rates rose.", "title": "Rates rise"})
    titled = client.get("/v1/articles/u/diff/unified").text
    assert "# title changed: (none) → Rates rise" in titled


def test_post_diff(client: TestClient) -> None:
    r = client.post(
        "/v1/diff",
        json={"old": "Rates rose 5%.\n\nMarkets fell.", "new": "Rates rose 6%.\n\nMarkets fell."},
    )
    assert r.status_code == 200
    body = r.json()
    assert body["summary"]["paragraphs_modified"] == 1
    assert body["blocks"][0]["inline"] == [
        {"op": "equal", "text": "Rates rose "},
        {"op": "delete", "text": "5"},
        {"op": "insert", "text": "6"},
        {"op": "equal", "text": "%."},
    ]
    assert client.post("/v1/diff", json={"old": "x"}).status_code == 422


def test_post_diff_format_redirect_checks_the_body_first(client: TestClient) -> None:
    bad = client.post(
        "/v1/diff?format=html",
        content=b"{nope",
        follow_redirects=False,
        headers={"Content-Type": "application/json"},
    )
    assert bad.status_code == 422
    good = client.post(
        "/v1/diff?format=html", json={"old": "a b", "new": "a c"}, follow_redirects=False
    )
    assert good.status_code == 307
    assert good.headers["location"].endswith("/v1/diff/html")
    texts = {"old": "Rates rose 5% on Monday.", "new": "Rates rose 6% on Monday."}
    followed = client.post("/v1/diff?format=unified&context=0", json=texts)
    assert "~ Rates rose [-5-]{+6+}% on Monday." in followed.text


def test_post_diff_reads_html_and_markdown(client: TestClient) -> None:
    html = {
        "old": "<h2>Oil</h2><p>Prices rose 5%.</p><div class='share'>Share</div>",
        "new": "<h2>Oil</h2><p>Prices rose 6%.</p>",
        "input_format": "html",
    }
    body = client.post("/v1/diff", json=html).json()
    assert [(b["op"], b["kind"]) for b in body["blocks"]] == [
        ("equal", "heading"),
        ("modify", "paragraph"),
    ]
    markdown = {
        "old": "## Oil\n\nPrices *rose*.",
        "new": "## Oil\n\nPrices **rose**.",
        "input_format": "markdown",
    }
    assert client.post("/v1/diff", json=markdown).json()["summary"]["paragraphs_unchanged"] == 1
    as_text = client.post("/v1/diff", json=markdown | {"input_format": "text"}).json()
    assert as_text["summary"]["paragraphs_modified"] == 1  # read as text, the stars differ
