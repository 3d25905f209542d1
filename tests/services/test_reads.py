"""Read use cases: revision references, pagination, blame, the feed's validation."""

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from app.errors import InvalidInput, NotFound
from app.services import articles
from app.services.content import ContentLimits, NewRevision
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
