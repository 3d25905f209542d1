"""Rows and engine records to wire schemas."""

from fastapi.responses import JSONResponse

from app.models import Article, Change, Revision
from app.schemas import (
    ArticleRead,
    BlockRead,
    ChangeRead,
    FeedItem,
    HeadingChanges,
    IngestResult,
    RevisionRead,
    RevisionSummary,
    TitleChange,
)
from app.services.ingest import IngestOutcome


def revision_location(article_id: str, number: int) -> str:
    return f"/v1/articles/{article_id}/revisions/{number}"


def _title_change(change: Change) -> TitleChange | None:
    title = change.record.title_changed
    return None if title is None else TitleChange(old=title.old, new=title.new)


def change_read(change: Change | None) -> ChangeRead | None:
    if change is None:
        return None
    record = change.record
    return ChangeRead(
        from_revision=change.from_revision_no,
        summary=record.summary,
        kinds=list(record.kinds),
        significance=record.significance,
        sections_added=list(record.sections_added),
        sections_removed=list(record.sections_removed),
        headings=HeadingChanges(
            added=list(record.headings.added),
            removed=list(record.headings.removed),
            changed=[list(pair) for pair in record.headings.changed],
        ),
        edit_classes=list(record.edit_classes),
        title_changed=_title_change(change),
        revert_of=record.revert_of,
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


def ingest_response(outcome: IngestOutcome) -> JSONResponse:
    """201 (stored) or 200 (repeat of the latest), with the revision's Location; a
    replayed answer to a retried request says so in X-Duplicate-Delivery."""
    headers = {"Location": revision_location(outcome.article_id, outcome.revision.revision_no)}
    if outcome.replayed:
        headers["X-Duplicate-Delivery"] = "true"
    body = ingest_result(outcome).model_dump(mode="json")
    return JSONResponse(body, status_code=outcome.status, headers=headers)


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
        blocks=[BlockRead.model_validate(b) for b in rev.blocks],
    )


def feed_item(change: Change, article_id: str) -> FeedItem:
    record = change.record
    return FeedItem(
        article_id=article_id,
        revision=change.revision_no,
        from_revision=change.from_revision_no,
        received_at=change.received_at,
        published_at=change.published_at,
        kinds=list(record.kinds),
        significance=record.significance,
        summary=record.summary,
        sections_added=list(record.sections_added),
        sections_removed=list(record.sections_removed),
        title_changed=_title_change(change),
        revert_of=record.revert_of,
    )
