"""Read use cases: revision references, pagination, blame, the feed's validation."""

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from app.errors import InvalidInput, NotFound
from app.services import articles
from app.services.content import ContentLimits, NewRevision
from app.services.diffs import diff_revisions
from app.services.feed import list_changes
from app.services.ingest import ingest

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def publish(session: Session, article: str, body: str) -> None:
    ingest(
        session,
        article_id=article,
        new=NewRevision(body_format="text", body=body),
        now=NOW,
        limits=ContentLimits(),
    )


@pytest.mark.parametrize(("ref", "expected"), [("latest", None), ("1", 1), ("42", 42)])
def test_revision_references(ref: str, expected: int | None) -> None:
    assert articles.parse_revision_ref(ref) == expected


@pytest.mark.parametrize("ref", ["0", "-1", "first", "1.0", ""])
def test_bad_revision_references(ref: str) -> None:
    with pytest.raises(InvalidInput, match="latest"):
        articles.parse_revision_ref(ref)


def test_unknown_article_and_revision(session: Session) -> None:
    with pytest.raises(NotFound, match="'nope'"):
        articles.require_article(session, "nope")
    publish(session, "a", "One paragraph of text here.")
    article = articles.require_article(session, "a")
    assert articles.require_revision(session, article, None).revision_no == 1
    with pytest.raises(NotFound, match="revisions 1 to 1"):
        articles.require_revision(session, article, 2)


@pytest.mark.parametrize(
    ("from_ref", "to_ref", "ends"),
    [
        (None, None, (2, 3)),  # the latest against the one before it
        (None, "2", (1, 2)),
        ("1", None, (1, 3)),
        ("latest", "1", (3, 1)),  # backwards
        ("1", "latest", (1, 3)),
        ("2", "2", (2, 2)),
    ],
)
def test_a_diff_finds_its_ends(
    session: Session, from_ref: str | None, to_ref: str | None, ends: tuple[int, int]
) -> None:
    for body in ("Alpha.", "Alpha.\n\nBeta.", "Alpha.\n\nBeta.\n\nGamma."):
        publish(session, "d", body)
    found = diff_revisions(session, "d", from_ref=from_ref, to_ref=to_ref)
    assert (found.old.revision_no, found.new.revision_no) == ends
    pinned = from_ref is not None and to_ref is not None and "latest" not in (from_ref, to_ref)
    assert found.pinned == pinned


def test_a_diff_names_what_is_missing(session: Session) -> None:
    with pytest.raises(NotFound, match="No article with id 'gone'"):
        diff_revisions(session, "gone", from_ref="1", to_ref="2")
    publish(session, "d", "Alpha.")
    publish(session, "d", "Alpha.\n\nBeta.")
    for from_ref, to_ref, number in (("1", "3", 3), ("4", "1", 4), ("1", str(2**40), 2**40)):
        with pytest.raises(NotFound, match=f"has no revision {number}; it has revisions 1 to 2"):
            diff_revisions(session, "d", from_ref=from_ref, to_ref=to_ref)
    with pytest.raises(InvalidInput, match="no predecessor"):
        diff_revisions(session, "d", from_ref=None, to_ref="1")


def test_revisions_paginate_by_cursor(session: Session) -> None:
    for k in range(5):
        publish(session, "p", f"Paragraph number {k} of the story.")
    article = articles.require_article(session, "p")
    seen: list[int] = []
    cursor = None
    while True:
        rows, cursor = articles.list_revisions(session, article, limit=2, cursor=cursor)
        seen += [row.revision_no for row in rows]
        if cursor is None:
            break
    assert seen == [1, 2, 3, 4, 5]
    with pytest.raises(InvalidInput, match="cursor"):
        articles.list_revisions(session, article, limit=2, cursor="bm90IGEgY3Vyc29y")


def test_blame_is_typed_per_block(session: Session) -> None:
    a = "The storm reached the coast on Sunday night with winds of 120 km/h."
    b = "Thousands of homes lost power and schools will stay closed on Monday."
    publish(session, "b", a)
    publish(session, "b", f"{a}\n\n{b}")
    article = articles.require_article(session, "b")
    origins = articles.blame(articles.require_revision(session, article, 2))
    assert [(o.index, o.kind, o.origin_revision, o.text_revision) for o in origins] == [
        (0, "paragraph", 1, 1),
        (1, "paragraph", 2, 2),
    ]


def test_feed_refuses_unknown_kinds_and_articles(session: Session) -> None:
    def feed(article_id: str | None, kinds: list[str]) -> object:
        return list_changes(
            session,
            limit=10,
            cursor=None,
            since=None,
            until=None,
            article_id=article_id,
            kinds=kinds,
            min_significance=None,
        )

    with pytest.raises(InvalidInput, match="unknown nonsense"):
        feed(None, ["nonsense"])
    with pytest.raises(NotFound):
        feed("missing", [])
