"""The change feed across all articles."""

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import StringConstraints

from app.api import views
from app.api.access import ReadAccess
from app.api.deps import Limit, SessionDep, TimeCursor, problems
from app.engine import FEED_KINDS
from app.schemas import ARTICLE_ID_PATTERN, FeedItem, Page, Rfc3339Datetime
from app.services.feed import list_changes

router = APIRouter(tags=["changes"])

_ONE_KIND = "|".join(FEED_KINDS)
# One kind, or several separated by commas: kind=a,b is kind=a&kind=b.
KindList = Annotated[str, StringConstraints(pattern=f"^({_ONE_KIND})(,({_ONE_KIND}))*$")]


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
    since: Annotated[
        Rfc3339Datetime | None, Query(description="RFC 3339 with a zone (+ as %2B); inclusive")
    ] = None,
    until: Annotated[
        Rfc3339Datetime | None, Query(description="RFC 3339 with a zone (+ as %2B); exclusive")
    ] = None,
    article_id: Annotated[str | None, Query(pattern=ARTICLE_ID_PATTERN)] = None,
    kind: Annotated[
        list[KindList] | None,
        Query(description="Any of these kinds: repeat the parameter, or separate with commas"),
    ] = None,
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
        kinds=[k for value in kind or () for k in value.split(",")],
        min_significance=min_significance,
    )
    items = [views.feed_item(c, ext, title) for c, ext, title in rows]
    return Page(items=items, next_cursor=next_cursor)
