"""The cross-article change feed."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from app import storage
from app.engine.changes import FEED_KINDS
from app.errors import InvalidInput
from app.models import Change
from app.services.articles import require_article
from app.services.pagination import decode_time_cursor, encode_time_cursor


def list_changes(
    session: Session,
    *,
    limit: int,
    cursor: str | None,
    since: datetime | None,
    until: datetime | None,
    article_id: str | None,
    kinds: Sequence[str],
    min_significance: float | None,
) -> tuple[list[tuple[Change, str, str | None]], str | None]:
    unknown = sorted(set(kinds) - set(FEED_KINDS))
    if unknown:
        raise InvalidInput(
            f"kind: unknown {', '.join(unknown)}; use any of {', '.join(FEED_KINDS)}"
        )
    article = require_article(session, article_id) if article_id is not None else None
    rows = storage.list_changes(
        session,
        limit=limit + 1,
        after=decode_time_cursor(cursor),
        since=since,
        until=until,
        article_id=article.id if article else None,
        kinds=kinds,
        min_significance=min_significance,
    )
    page = list(rows[:limit])
    more = len(rows) > limit
    return page, encode_time_cursor(page[-1][0].received_at, page[-1][0].id) if more else None
