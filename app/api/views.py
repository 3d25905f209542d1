"""Rows and engine records to wire schemas."""

from typing import Any

import orjson
from fastapi import Response
from pydantic_core import to_json

from app.models import Article, Change, Delivery, Subscription
from app.schemas import (
    ArticleRead,
    AttemptRead,
    ChangeRead,
    DeliveryRead,
    FeedItem,
    HeadingChanges,
    ImportFailure,
    ImportResult,
    IngestResult,
    SubscriptionFilter,
    SubscriptionRead,
    TitleChange,
    change_json,
)
from app.services.bulk import ImportReport
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


def ingest_response(outcome: IngestOutcome) -> Response:
    """201 (stored) or 200 (repeat of the latest), with the revision's Location; a
    replayed answer to a retried request says so in X-Duplicate-Delivery."""
    headers = {"Location": revision_location(outcome.article_id, outcome.revision.revision_no)}
    if outcome.replayed:
        headers["X-Duplicate-Delivery"] = "true"
    body = ingest_result(outcome).model_dump_json()
    return Response(
        body, status_code=outcome.status, headers=headers, media_type="application/json"
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


def feed_item(change: Change, article_id: str, title: str | None) -> FeedItem:
    record = change.record
    return FeedItem(
        article_id=article_id,
        title=title,
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


def revision_page(rows: list[Any], next_cursor: str | None, **extra: Any) -> Response:
    """A page of RevisionSummary items (a Page or a History), serialized directly."""
    items = [_summary_json(row) for row in rows]
    # OPT_UTC_Z writes times as the schemas do: 2026-05-01T12:00:00.123456Z.
    page = {**extra, "items": items, "next_cursor": next_cursor}
    body = orjson.dumps(page, option=orjson.OPT_UTC_Z)
    return Response(body, media_type="application/json")


def _summary_json(row: Any) -> dict[str, Any]:
    return {
        "revision": row.revision_no,
        "content_sha256": row.content_sha256,
        "received_at": row.received_at,
        "published_at": row.published_at,
        "title": row.title,
        "source_revision_id": row.source_revision_id,
        "revert_of": row.revert_of,
        "change": None
        if row.record is None
        else change_json(row.from_revision_no, orjson.loads(row.record)),
    }


def revision_json(row: Any) -> Response:
    """RevisionRead from a revision_view row, serialized once (pydantic-core: metadata
    may hold integers of any size)."""
    body = {
        **_summary_json(row),
        "article_id": row.external_id,
        "url": row.url,
        "metadata": row.meta,
        "original_media_type": row.original_media_type,
        "text": row.text,
        "blocks": row.blocks,
    }
    return Response(to_json(body), media_type="application/json")


def import_result(report: ImportReport) -> ImportResult:
    return ImportResult(
        created=report.created,
        unchanged=report.unchanged,
        skipped=report.skipped,
        failed=report.failed,
        failures=[ImportFailure(line=n, detail=d) for n, d in report.failures],
    )


def subscription_read(subscription: Subscription) -> SubscriptionRead:
    return SubscriptionRead(
        id=subscription.id,
        url=subscription.url,
        description=subscription.description,
        filter=SubscriptionFilter(
            article_ids=subscription.article_ids,
            article_prefix=subscription.article_prefix,
            kinds=subscription.kinds,  # type: ignore[arg-type]  # checked when stored
            min_significance=subscription.min_significance,
        ),
        created_at=subscription.created_at,
        status="paused" if subscription.paused_at else "active",
        failing_since=subscription.failing_since,
        paused_at=subscription.paused_at,
        paused_reason=subscription.paused_reason,
        previous_secret_valid_until=subscription.previous_secret_until,
    )


def delivery_read(delivery: Delivery, article_id: str, attempts: list[Any]) -> DeliveryRead:
    return DeliveryRead(
        id=delivery.id,
        event_id=delivery.event_id,
        event_type=delivery.event_type,
        article_id=article_id,
        revision=delivery.revision_no,
        status=delivery.status,  # type: ignore[arg-type]  # one of DeliveryStatus
        created_at=delivery.created_at,
        next_attempt_at=delivery.next_attempt_at if delivery.status == "pending" else None,
        delivered_at=delivery.delivered_at,
        attempts=[
            AttemptRead(
                attempted_at=a.attempted_at,
                duration_ms=a.duration_ms,
                status_code=a.status_code,
                error=a.error,
                worker=a.worker,
            )
            for a in attempts
        ],
    )
