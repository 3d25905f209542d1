"""Diffs: between stored revisions, and between two texts sent by a developer."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.api.access import ReadAccess
from app.api.body import load_json_body, validate
from app.api.deps import (
    ArticleId,
    BodyDep,
    Context,
    RevisionQuery,
    SessionDep,
    SettingsDep,
    problems,
)
from app.api.http import if_none_match
from app.api.schemas_openapi import DIFF_BODY, DIFF_RESPONSES
from app.schemas import DiffCreate, DiffRead
from app.services.content import ContentLimits
from app.services.diffs import MEDIA_TYPES, Format, diff_revisions, diff_texts, render

router = APIRouter(tags=["diffs"])
FormatQuery = Annotated[
    Format, Query(description="json (default), unified text, or an HTML fragment")
]


@router.get(
    "/v1/articles/{article_id}/diff",
    response_model=DiffRead,
    responses=problems(404, 422, 401, 403, 429) | DIFF_RESPONSES,
    dependencies=[ReadAccess],
)
def get_diff(
    article_id: ArticleId,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    from_: Annotated[
        RevisionQuery, Query(alias="from", description="A number or 'latest'; default: to − 1")
    ] = None,
    to: Annotated[RevisionQuery, Query(description="A number or 'latest' (the default)")] = None,
    format: FormatQuery = "json",
    context: Context = None,
) -> Response:
    """Compare any two revisions of an article, in either direction.

    Between two revisions named by number the answer is fixed and cached for a
    day; otherwise it must be revalidated (ETag, If-None-Match → 304)."""
    result = diff_revisions(session, article_id, from_ref=from_, to_ref=to)
    etag = result.etag(format, context)
    audience = "private" if settings.AUTH_REQUIRED_FOR_READS else "public"
    freshness = "max-age=86400" if result.pinned else "no-cache"
    headers = {"ETag": etag, "Cache-Control": f"{audience}, {freshness}"}
    if if_none_match(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    body = render(
        result.diff,
        format,
        context=context,
        article_id=result.article_id,
        from_no=result.old.revision_no,
        to_no=result.new.revision_no,
    )
    return Response(body, media_type=MEDIA_TYPES[format], headers=headers)


@router.post(
    "/v1/diff",
    response_model=DiffRead,
    openapi_extra=DIFF_BODY,
    responses=problems(408, 413, 415, 422, 401, 403, 429) | DIFF_RESPONSES,
    dependencies=[ReadAccess],
)
def post_diff(
    request: Request,
    body: BodyDep,
    settings: SettingsDep,
    format: FormatQuery = "json",
    context: Context = None,
) -> Response:
    """Diff two texts without storing anything."""
    data = load_json_body(
        request.headers.get("content-type"), body, max_depth=settings.MAX_JSON_DEPTH
    )
    payload = validate(DiffCreate, data)
    diff = diff_texts(
        payload.old,
        payload.new,
        granularity=payload.granularity,
        limits=ContentLimits.from_settings(settings),
    )
    return Response(render(diff, format, context=context), media_type=MEDIA_TYPES[format])
