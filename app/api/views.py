"""Rows to wire schemas."""

from typing import Any

from app.models import Article, Change, Revision
from app.schemas import (
    ArticleRead,
    ChangeRead,
    FeedItem,
    IngestResult,
    RevisionRead,
    RevisionSummary,
)
from app.services.ingest import IngestOutcome


def change_read(change: Change | None) -> ChangeRead | None:
    if change is None:
        return None
    record: dict[str, Any] = change.record
    return ChangeRead(
        from_revision=change.from_revision_no,
        summary=record["summary"],
        kinds=record["kinds"],
        significance=record["significance"],
        sections_added=record["sections_added"],
        sections_removed=record["sections_removed"],
        headings=record["headings"],
        edit_classes=record["edit_classes"],
        title_changed=record.get("title_changed"),
        revert_of=record.get("revert_of"),
    )


def ingest_result(outcome: IngestOutcome) -> IngestResult:
    rev = outcome.revision
    return IngestResult(
        article_id=outcome.article_id,
        revision=rev.revision_no,
        created=outcome.created,
        content_sha256=rev.content_sha256,
        received_at=rev.received_at,
        revert_of=rev.revert_of,
        change=change_read(outcome.change),
    )


def article_read(article: Article) -> ArticleRead:
    return ArticleRead(
        article_id=article.external_id,
        title=article.title,
        url=article.url,
        latest_revision=article.latest_revision_no,
        created_at=article.created_at,
        updated_at=article.updated_at,
    )


def revision_summary(rev: Revision, change: Change | None) -> RevisionSummary:
    return RevisionSummary(
        revision=rev.revision_no,
        content_sha256=rev.content_sha256,
        received_at=rev.received_at,
        published_at=rev.published_at,
        title=rev.title,
        source_revision_id=rev.source_revision_id,
        revert_of=rev.revert_of,
        change=change_read(change),
    )


def revision_read(article: Article, rev: Revision, change: Change | None) -> RevisionRead:
    return RevisionRead(
        **revision_summary(rev, change).model_dump(),
        article_id=article.external_id,
        url=rev.url,
        metadata=rev.meta,
        original_media_type=rev.original_media_type,
        text=rev.text,
        blocks=rev.blocks,
    )


def feed_item(change: Change, article_id: str) -> FeedItem:
    record = change.record
    return FeedItem(
        article_id=article_id,
        revision=change.revision_no,
        from_revision=change.from_revision_no,
        received_at=change.received_at,
        published_at=change.published_at,
        kinds=change.kinds,
        significance=change.significance,
        summary=record["summary"],
        sections_added=record["sections_added"],
        sections_removed=record["sections_removed"],
        title_changed=record.get("title_changed"),
        revert_of=record.get("revert_of"),
    )
