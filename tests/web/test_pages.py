"""The viewer's pages through the app (TestClient, both databases): what they show,
what they escape, how they fail and how they take a key."""

import hashlib
import re
from base64 import b64encode
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from hypothesis import given, settings
from hypothesis import strategies as st
from selectolax.lexbor import LexborHTMLParser as HTMLParser
from selectolax.lexbor import LexborNode
from sqlalchemy.orm import Session

from app.services import keys
from app.web import pages

OPS = {"insert", "delete", "modify", "move", "split", "merge"}
KINDS = {"section", "heading", "paragraph", "boilerplate"}
HOSTILE = '<script>alert("x")</script> <img src=x onerror="alert(1)"> & “quotes”'


def publish(client: TestClient, article: str, text: str, title: str | None = None) -> None:
    body = {"text": text} | ({"title": title} if title else {})
    r = client.post(f"/v1/articles/{article}/revisions", json=body)
    assert r.status_code in (200, 201), r.text


def one(node: HTMLParser | LexborNode, selector: str) -> LexborNode:
    """The first element matching `selector`, which must exist."""
    found = node.css_first(selector)
    assert found is not None, f"no {selector}"
    return found


def attr(node: LexborNode, name: str) -> str:
    value = node.attributes.get(name)
    assert value is not None, f"no {name} on {node.html}"
    return value


def parse(response: Response) -> HTMLParser:
    assert response.headers["content-type"].startswith("text/html"), response.text
    return HTMLParser(response.text)


def assert_safe_page(response: Response) -> HTMLParser:
    """A page runs only its served script and styles: the CSP says so, and the page
    itself has no inline script, no inline style and no handler attributes."""
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "style-src 'self'" in csp
    assert "unsafe-inline" not in csp
    tree = parse(response)
    assert [s.attributes.get("src") for s in tree.css("script")] == ["/ui/static/viewer.js"]
    assert tree.css("style") == []
    for node in tree.css("*"):
        assert "style" not in node.attributes
        assert not [a for a in node.attributes if a.startswith("on")], node.html
    return tree


def test_the_seed_diff_page(client: TestClient, seeds: tuple[str, str]) -> None:
    publish(client, "seed", seeds[0])
    publish(client, "seed", seeds[1])
    r = client.get("/ui/articles/seed/diff", params={"from": 1, "to": 2})
    assert r.status_code == 200
    tree = assert_safe_page(r)
    changes = tree.css("[data-op]")
    assert {c.attributes["data-op"] for c in changes} <= OPS
    assert {c.attributes["data-kind"] for c in changes} <= KINDS
    (section,) = tree.css('[data-op="delete"][data-kind="section"]')
    assert "Energy alliance" in one(section, "header").text()
    assert one(section, "h3 del").text() == "Energy alliance"
    assert "Noting that Russia already supplies oil" in section.text()
    lone = tree.css('.ad-inline > [data-op="delete"][data-kind="heading"]')
    assert [h.text(deep=True).strip().endswith("Putin’s China visit") for h in lone] == [True]
    # Page chrome is collapsed, with its changes inside.
    (chrome,) = tree.css("details.ad-chrome")
    assert "open" not in chrome.attributes
    assert [d.text() for d in chrome.css('[data-kind="boilerplate"] del')] == ["COMMents", "SHARE"]
    # Unchanged paragraphs are not changes.
    assert len(changes) == 1 + 2 + 1 + 2  # the section, its two blocks, a heading, chrome
    headline = [li.text() for li in tree.css(".ad-headline li")]
    assert headline[0] == "Section removed: Energy alliance"
    one(tree, ".ad-legend")
    toggle = attr(one(tree, "#view-side"), "href")
    assert toggle == "/ui/articles/seed/diff?from=1&to=2&view=side"


def test_side_by_side(client: TestClient, seeds: tuple[str, str]) -> None:
    publish(client, "seed", seeds[0])
    publish(client, "seed", seeds[1])
    tree = assert_safe_page(client.get("/ui/articles/seed/diff?from=1&to=2&view=side"))
    table = one(tree, "table.ad-side")
    assert [th.text() for th in table.css("thead th")] == ["Revision 1", "Revision 2"]
    section = one(table, 'tbody[data-op="delete"][data-kind="section"]')
    assert "Energy alliance" in one(section, "th").text()
    rows = section.css("tr[data-op]")
    assert [r.css("td")[1].attributes.get("class") for r in rows] == ["ad-empty", "ad-empty"]
    assert tree.css_first(".ad-inline") is None


def test_moves_splits_and_merges_are_marked_and_linked(client: TestClient) -> None:
    publish(
        client, "m", "A one two.\n\nB three four. B five six.\n\nC seven.\n\nD eight.\n\nE nine."
    )
    publish(
        client, "m", "B three four.\n\nB five six.\n\nC seven. D eight.\n\nE nine.\n\nA one two."
    )
    tree = assert_safe_page(client.get("/ui/articles/m/diff"))
    (move,) = tree.css('[data-op="move"]')
    link = attr(one(move, ".ad-note a"), "href")
    assert link == "#ad-old-1"
    (away,) = tree.css("#ad-old-1")
    assert attr(one(away, "a"), "href") == "#" + attr(move, "id")
    (split,) = tree.css('[data-op="split"]')
    assert [p.text() for p in split.css("p")] == ["B three four.", "B five six."]
    (merge,) = tree.css('[data-op="merge"]')
    assert "¶ 3, 4 merged into one" in merge.text()
    side = assert_safe_page(client.get("/ui/articles/m/diff?view=side"))
    # Side by side, the moved paragraph's old text is on the row of the place it left.
    assert one(side, "tr#ad-old-1").css("td")[0].text() == "A one two."
    moved = one(side, 'tr[data-op="move"]').css("td")
    assert attr(moved[0], "class") == "ad-empty"
    assert moved[1].text().endswith("A one two.")


def test_hostile_text_shows_as_text(client: TestClient) -> None:
    publish(client, "h", "Calm words.", title=HOSTILE)
    publish(client, "h", f"Calm words.\n\n{HOSTILE}", title=HOSTILE)
    for path in ("/ui/articles/h/diff", "/ui/articles/h/diff?view=side", "/ui/articles/h"):
        r = client.get(path)
        tree = assert_safe_page(r)
        assert tree.css("img") == []
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in r.text
    feed = assert_safe_page(client.get("/ui/"))
    assert feed.css("img") == []
    assert one(feed, ".feed-headline").text() == HOSTILE
    page = client.get("/ui/articles/h/diff")
    assert HOSTILE in one(parse(page), '[data-op="insert"] ins').text()
    assert HOSTILE in one(parse(page), "h1").text()


def test_the_timeline(client: TestClient) -> None:
    publish(client, "t", "First words here.", title="One")
    publish(client, "t", "First words here.\n\nA second paragraph of five words.", title="Two")
    publish(client, "t", "First words here.", title="Three")
    tree = assert_safe_page(client.get("/ui/articles/t"))
    rows = tree.css("table.timeline tbody tr")
    assert [one(r, "th").text() for r in rows] == ["3", "2", "1"]  # newest first
    assert [r.css("td")[3].text() for r in rows] == ["Three", "Two", "One"]
    assert one(rows[0], ".count-removed").text() == "−6"
    assert one(rows[1], ".count-added").text() == "+6"
    bar = one(rows[1], "rect.bar-added")
    assert bar.attributes["width"] == "60"  # the page's largest change: full width
    assert attr(one(rows[0], "rect.bar-added"), "width") == "0"
    checked = {i.attributes["name"]: i.attributes["value"] for i in tree.css("input[checked]")}
    assert checked == {"from": "2", "to": "3"}
    form = one(tree, "form.timeline-form")
    assert form.attributes["action"] == "/ui/articles/t/diff"


def test_the_articles_page_lists_every_article_and_opens_one(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An article never revised is in no change of the feed: the list finds it."""
    publish(client, "older", "First words here.", title="Older story")
    publish(client, "older", "First words here, edited.", title="Older story")
    publish(client, "new:1", "Only one revision.")
    tree = assert_safe_page(client.get("/ui/articles"))
    assert one(tree, 'nav a[aria-current="page"]').text() == "Articles"
    rows = tree.css("table.listing tbody tr")
    assert [[c.text() for c in r.css("th, td")][:3] for r in rows] == [
        ["new:1", "", "1"],  # most recently active first
        ["older", "Older story", "2"],
    ]
    assert attr(one(rows[0], "th a"), "href") == "/ui/articles/new%3A1"
    assert client.get("/ui/articles/new%3A1").status_code == 200
    for typed in ("older", " older\n"):  # pasted with the spaces around it
        opened = client.get("/ui/articles", params={"article_id": typed}, follow_redirects=False)
        assert (opened.status_code, opened.headers["location"]) == (303, "/ui/articles/older")
    missing = client.get("/ui/articles", params={"article_id": "nope"})
    assert missing.status_code == 404
    assert "nope" in one(parse(missing), ".problem").text()
    blank = client.get("/ui/articles", params={"article_id": ""})
    assert blank.status_code == 200
    monkeypatch.setattr(pages, "PAGE_SIZE", 1)
    first = parse(client.get("/ui/articles"))
    older = attr(one(first, 'a[rel="next"]'), "href")
    rest = parse(client.get(older))
    assert [one(r, "th").text() for r in rest.css("tbody tr")] == ["older"]
    assert rest.css_first('a[rel="next"]') is None


def test_the_timeline_says_when_a_revision_was_published(client: TestClient) -> None:
    """A backfilled archive is received all at once: the time it was published tells
    its revisions apart."""
    for text, published in (("First words.", "2019-03-01T09:30:00Z"), ("Second words.", None)):
        body = {"text": text} | ({"published_at": published} if published else {})
        assert client.post("/v1/articles/old/revisions", json=body).status_code == 201
    rows = parse(client.get("/ui/articles/old")).css("table.timeline tbody tr")
    assert [r.css_first(".published") is None for r in rows] == [True, False]
    shown = one(rows[1], ".published")
    assert shown.text() == "published 2019-03-01 09:30 UTC"
    assert attr(one(shown, "time"), "datetime") == "2019-03-01T09:30:00+00:00"


def test_article_text_takes_its_own_direction(client: TestClient) -> None:
    """Persian or Arabic text in the pages' left-to-right layout lay out left to right,
    its full stop at the wrong end: every element of article text says dir="auto"."""
    publish(client, "fa", "روسیه نفت می‌فروشد.\n\nپایان.", title="روسیه و چین")
    publish(client, "fa", "روسیه گاز می‌فروشد.\n\nپایان.", title="روسیه، چین")
    pages = {
        "/ui/articles/fa/diff": [".ad-piece", "h1", ".ad-title del", ".ad-title ins"],
        "/ui/articles/fa/diff?view=side": [".ad-piece"],
        "/ui/articles/fa/revisions/2": [".revision .ad-same p", "h1"],
        "/ui/articles/fa": ["h1", "tbody td:nth-child(5)"],
        "/ui/articles": ["tbody td:nth-child(2)"],
        "/ui/": [".feed-headline", ".feed-title del", ".feed-title ins"],
    }
    for path, selectors in pages.items():
        tree = parse(client.get(path))
        for selector in selectors:
            found = tree.css(selector)
            assert found, (path, selector)
            assert {node.attributes.get("dir") for node in found} == {"auto"}, (path, selector)


def test_timeline_pages(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pages, "TIMELINE_SIZE", 2)
    for n in range(5):
        publish(client, "long", f"Revision number {n} of this.")
    first = parse(client.get("/ui/articles/long"))
    assert [one(r, "th").text() for r in first.css("tbody tr")] == ["5", "4"]
    older = attr(one(first, 'a[rel="next"]'), "href")
    second = parse(client.get(older))
    assert [one(r, "th").text() for r in second.css("tbody tr")] == ["3", "2"]
    last = parse(client.get(attr(one(second, 'a[rel="next"]'), "href")))
    assert [one(r, "th").text() for r in last.css("tbody tr")] == ["1"]
    assert last.css_first('a[rel="next"]') is None


def test_the_feed_filters_and_pages(
    client: TestClient, seeds: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    publish(client, "seed", seeds[0])
    publish(client, "seed", seeds[1])
    publish(client, "other", "Prices rose 5% on Monday.")
    publish(client, "other", "Prices rose 6% on Monday.")
    tree = assert_safe_page(client.get("/ui/"))
    items = tree.css("li.feed-item")
    assert [one(i, ".feed-diff").text() for i in items] == [
        "other · revision 2 (from 1)",
        "seed · revision 2 (from 1)",
    ]
    assert attr(one(items[0], ".feed-diff"), "href") == ("/ui/articles/other/diff?from=1&to=2")
    assert [i.css_first(".feed-headline") for i in items] == [None, None]  # no titles sent
    seed_badges = [b.text() for b in items[1].css(".badge")]
    assert "section removed" in seed_badges
    assert "numbers changed" in [b.text() for b in items[0].css(".badge")]
    assert attr(one(items[1], "meter"), "value").startswith("0.9")
    only = parse(client.get("/ui/", params={"kind": "section_removed", "min_significance": ""}))
    assert [one(i, ".feed-diff").text() for i in only.css("li.feed-item")] == [
        "seed · revision 2 (from 1)"
    ]
    selected = one(only, "option[selected]")
    assert selected.attributes["value"] == "section_removed"
    high = parse(client.get("/ui/", params={"kind": "", "min_significance": "0.8"}))
    assert len(high.css("li.feed-item")) == 1
    monkeypatch.setattr(pages, "PAGE_SIZE", 1)
    paged = parse(client.get("/ui/", params={"kind": "", "min_significance": "0"}))
    older = attr(one(paged, 'a[rel="next"]'), "href")
    assert older.startswith("/ui/?min_significance=0") is False  # 0 is no filter to carry
    assert "cursor=" in older
    rest = parse(client.get(older))
    assert [one(i, ".feed-diff").text() for i in rest.css("li.feed-item")] == [
        "seed · revision 2 (from 1)"
    ]


@pytest.mark.parametrize(
    ("path", "status", "says"),
    [
        ("/ui/articles/nope", 404, "nope"),
        ("/ui/articles/nope/diff", 404, "nope"),
        ("/ui/articles/seed/diff?from=1&to=9", 404, "9"),
        ("/ui/articles/seed/diff?from=x", 422, "from"),
        ("/ui/articles/seed/diff?view=sideways", 422, "view"),
        ("/ui/articles/seed/diff?context=three", 422, "context: must be a number of unchanged"),
        ("/ui/?kind=everything", 422, "kind"),
        ("/ui/?min_significance=2", 422, "min_significance"),
        ("/ui/?min_significance=nan", 422, "min_significance"),
        ("/ui/articles/bad%20id", 422, "article_id"),
        ("/ui/articles?article_id=bad%20id", 422, "article_id"),
        ("/ui/articles?cursor=zzz", 422, "cursor"),
        ("/ui/no/such/page", 404, "/ui/no/such/page"),
    ],
)
def test_errors_are_pages_for_browsers_and_problems_for_clients(
    client: TestClient, seeds: tuple[str, str], path: str, status: int, says: str
) -> None:
    publish(client, "seed", seeds[0])
    publish(client, "seed", seeds[1])
    page = client.get(path, headers={"Accept": "text/html,*/*;q=0.8"})
    assert page.status_code == status
    tree = assert_safe_page(page)
    assert one(tree, "h1").text().startswith(str(status))
    assert says in one(tree, ".problem").text()
    problem = client.get(path, headers={"Accept": "application/problem+json"})
    assert problem.status_code == status
    assert problem.headers["content-type"] == "application/problem+json"
    assert says in problem.json()["detail"]


def test_static_files(client: TestClient) -> None:
    js = client.get("/ui/static/viewer.js")
    assert js.status_code == 200
    assert js.headers["content-type"].split(";")[0] in ("text/javascript", "application/javascript")
    assert "keydown" in js.text
    css = client.get("/ui/static/diff.css")
    assert css.headers["content-type"].startswith("text/css")
    assert "prefers-color-scheme: dark" in css.text
    assert client.get("/ui/static/../pages.py").status_code == 404
    assert client.get("/ui", follow_redirects=False).headers["location"] == "/ui/"


def test_the_html_format_is_a_styled_fragment_under_its_own_csp(
    client: TestClient, seeds: tuple[str, str]
) -> None:
    publish(client, "seed", seeds[0])
    publish(client, "seed", seeds[1])
    r = client.get("/v1/articles/seed/diff/html")
    body = r.text
    assert body.startswith('<div class="article-diff">')
    assert "<html" not in body
    (style,) = re.findall(r"<style>(.*?)</style>", body, flags=re.S)
    digest = b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert r.headers["content-security-policy"] == (
        f"default-src 'none'; style-src 'sha256-{digest}'; base-uri 'none'"
    )
    tree = HTMLParser(body)
    assert tree.css("script") == []
    one(tree, ".ad-legend")
    one(tree, '[data-op="delete"][data-kind="section"]')
    # The same markup as the page's inline view: one set of templates.
    page = HTMLParser(client.get("/ui/articles/seed/diff").text)
    assert one(tree, ".ad-inline").html == one(page, ".ad-inline").html
    posted = client.post("/v1/diff/html", json={"old": "a <b>", "new": "a <i>"})
    assert "&lt;i&gt;" in posted.text
    assert "<i>" not in posted.text


def test_pages_take_a_key_as_the_api_does_or_from_the_form(
    make_client: Callable[..., TestClient], session: Session, seeds: tuple[str, str]
) -> None:
    now = datetime.now(UTC)
    reader = keys.create_key(session, name="reader", scope="read", now=now).secret
    session.commit()
    client = make_client(AUTH_REQUIRED_FOR_READS=True)
    refused = client.get("/ui/")
    assert refused.status_code == 401
    form = one(assert_safe_page(refused), 'form[action="/ui/key"]')
    assert attr(one(form, 'input[name="next"]'), "value") == "/ui/"
    assert client.get("/ui/", headers={"Authorization": f"Bearer {reader}"}).status_code == 200
    assert client.get("/ui/", headers={"Authorization": "Basic eDp5"}).status_code == 401
    wrong = client.post("/ui/key", data={"key": "adk_wrong", "next": "/ui/"})
    assert wrong.status_code == 401
    assert "set-cookie" not in wrong.headers
    foreign = client.post(
        "/ui/key", data={"key": reader}, headers={"Origin": "https://evil.example"}
    )
    assert foreign.status_code == 403
    assert client.post("/ui/key", json={"key": reader}).status_code == 415
    kept = client.post(
        "/ui/key",
        data={"key": reader, "next": "/ui/articles/x?cursor=1"},
        follow_redirects=False,
    )
    assert kept.status_code == 303
    assert kept.headers["location"] == "/ui/articles/x?cursor=1"
    cookie = kept.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert "path=/ui" in cookie
    assert client.get("/ui/").status_code == 200  # the cookie is sent back
    assert client.get("/v1/changes").status_code == 401  # the API takes no cookie
    away = client.post(
        "/ui/key", data={"key": reader, "next": "//evil.example/"}, follow_redirects=False
    )
    assert away.headers["location"] == "/ui/"
    forgotten = client.post("/ui/key", data={"key": ""})
    assert forgotten.status_code == 200
    assert (
        "Max-Age=0" in forgotten.headers["set-cookie"]
        or "expires" in forgotten.headers["set-cookie"].lower()
    )
    client.cookies.clear()
    assert client.get("/ui/").status_code == 401


_ANY_VALUE = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", "1", "2", "latest", "0", "-1", "1e3", "nan", "side", "inline", "9" * 30]),
)


def test_any_query_gets_a_page_never_a_crash(
    make_client: Callable[..., TestClient], seeds: tuple[str, str]
) -> None:
    client = make_client(RATE_LIMIT_ANONYMOUS="")
    publish(client, "seed", seeds[0])
    publish(client, "seed", seeds[1])

    @given(
        path=st.sampled_from(
            [
                "/ui/",
                "/ui/articles",
                "/ui/articles/seed",
                "/ui/articles/seed/diff",
                "/ui/key",
                "/ui/articles/seed/revisions/2",
            ]
        ),
        query=st.dictionaries(
            st.sampled_from(
                ["from", "to", "view", "kind", "min_significance", "cursor", "next", "article_id"]
            ),
            _ANY_VALUE,
            max_size=4,
        ),
    )
    @settings(max_examples=100, deadline=None)
    def check(path: str, query: dict[str, str]) -> None:
        r = client.get(path, params=query)
        assert r.status_code in (200, 404, 422), r.text
        tree = assert_safe_page(r)
        if r.status_code != 200:
            assert one(tree, ".problem").text().strip()

    check()


def test_long_diffs_come_folded(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pages, "FOLD_ABOVE", 5)
    paragraphs = [f"Paragraph number {n} of the story." for n in range(12)]
    publish(client, "long", "\n\n".join(paragraphs))
    paragraphs[6] = "Paragraph number six, rewritten, of the story."
    publish(client, "long", "\n\n".join(paragraphs))
    folded = parse(client.get("/ui/articles/long/diff"))
    assert [g.text() for g in folded.css(".ad-gap")] == [
        "… 3 unchanged blocks …",
        "… 2 unchanged blocks …",
    ]
    assert len(folded.css(".ad-same")) == 6
    whole = attr(one(folded, ".folded a"), "href")
    assert whole == "/ui/articles/long/diff?from=1&to=2&view=inline&context=all"
    everything = parse(client.get(whole))
    assert everything.css(".ad-gap") == []
    assert everything.css_first(".folded") is None
    assert len(everything.css(".ad-same")) == 11
    side = attr(one(everything, "#view-side"), "href")
    assert side == "/ui/articles/long/diff?from=1&to=2&view=side&context=all"
    only = parse(client.get("/ui/articles/long/diff?context=0"))
    assert only.css(".ad-same") == []
    assert len(only.css('[data-op="modify"]')) == 1


def test_a_revision_to_read_says_where_each_paragraph_came_from(client: TestClient) -> None:
    a = "The storm reached the coast on Sunday night."
    b = "Thousands of homes lost power."
    publish(client, "storm", a, title="Storm")
    publish(client, "storm", f"{a}\n\n{b}", title="Storm")
    publish(client, "storm", f"{a}\n\nTens of thousands of homes lost power.\n\n{HOSTILE}")
    tree = assert_safe_page(client.get("/ui/articles/storm/revisions/latest"))
    assert one(tree, ".meta").text().startswith("Revision 3 of 3")
    blocks = tree.css(".revision .ad-same")
    assert [one(b, "p").text() for b in blocks] == [
        a,
        "Tens of thousands of homes lost power.",
        HOSTILE,
    ]
    notes = [one(b, ".origin").text() for b in blocks]
    assert notes == [
        "since revision 1",
        "since revision 2, words from revision 3",
        "since revision 3",
    ]
    links = [attr(x, "href") for x in blocks[1].css(".origin a")]
    assert links == ["/ui/articles/storm/diff?from=1&to=2", "/ui/articles/storm/diff?from=2&to=3"]
    assert attr(one(tree, 'a[rel="prev"]'), "href") == "/ui/articles/storm/revisions/2"
    assert tree.css_first('a[rel="next"]') is None
    first = parse(client.get("/ui/articles/storm/revisions/1"))
    assert first.css_first('a[rel="prev"]') is None
    assert attr(one(first, 'a[rel="next"]'), "href") == "/ui/articles/storm/revisions/2"
    timeline = parse(client.get("/ui/articles/storm"))
    assert attr(one(timeline, "tbody th a"), "href") == "/ui/articles/storm/revisions/3"
    missing = client.get("/ui/articles/storm/revisions/9")
    assert missing.status_code == 404
    assert "it has revisions 1 to 3" in one(parse(missing), ".problem").text()
