"""The change feed across all articles."""

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from app.api import views
from app.api.access import ReadAccess
from app.api.deps import Limit, SessionDep, TimeCursor, problems
from app.schemas import ARTICLE_ID_PATTERN, FeedItem, Page
from app.services.feed import list_changes

router = APIRouter(tags=["changes"])


@router.get(
    "/v1/changes",
    response_model=Page[FeedItem],
    responses=problems(404, 422, 401, 403, 429),
    dependencies=[ReadAccess],
)
def get_changes(
    session: SessionDep,
    limit: Limit = 50,
    cursor: TimeCursor = None,
    since: Annotated[AwareDatetime | None, Query(description="RFC 3339; inclusive")] = None,
    until: Annotated[AwareDatetime | None, Query(description="RFC 3339; exclusive")] = None,
    article_id: Annotated[str | None, Query(pattern=ARTICLE_ID_PATTERN)] = None,
    kind: Annotated[list[str] | None, Query(description="Any of these kinds (repeatable)")] = None,
    min_significance: Annotated[float | None, Query(ge=0, le=1)] = None,
) -> Page[FeedItem]:
    """Every stored change, newest first, filtered by time, article, kind and significance."""
    rows, next_cursor = list_changes(
        session,
        limit=limit,
        cursor=cursor,
        since=since,
        until=until,
        article_id=article_id,
        kinds=[k for value in kind or () for k in value.split(",") if k],
        min_significance=min_significance,
    )
    return Page(items=[views.feed_item(c, ext) for c, ext in rows], next_cursor=next_cursor)
