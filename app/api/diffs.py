"""Diffs: between stored revisions, and between two texts sent by a developer."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from app.api.access import ReadAccess
from app.api.deps import ArticleId, SessionDep, problems
from app.engine import compare, render_html, render_unified
from app.schemas import DiffCreate, DiffRead
from app.services.diffs import diff_revisions

router = APIRouter(tags=["diffs"])

Format = Literal["json", "unified", "html"]
_MEDIA = {
    "json": "application/json",
    "unified": "text/plain; charset=utf-8",
    "html": "text/html; charset=utf-8",
}


@router.get(
    "/v1/articles/{article_id}/diff",
    response_model=DiffRead,
    responses=problems(404, 422, 401, 403, 429)
    | {200: {"content": {"text/plain": {}, "text/html": {}}}, 304: {"description": "Not modified"}},
    dependencies=[ReadAccess],
)
def get_diff(
    article_id: ArticleId,
    request: Request,
    session: SessionDep,
    from_: Annotated[int | None, Query(alias="from", ge=1, description="Default: to − 1")] = None,
    to: Annotated[int | None, Query(ge=1, description="Default: the latest revision")] = None,
    format: Annotated[Format, Query()] = "json",
    context: Annotated[
        int | None,
        Query(ge=0, le=1000, description="Unchanged blocks kept around each change; default all"),
    ] = None,
) -> Response:
    """Compare any two revisions of an article, in either direction."""
    result = diff_revisions(session, article_id, from_no=from_, to_no=to)
    etag = result.etag(f"{format}:{context}")
    headers = {"ETag": etag, "Cache-Control": "public, max-age=86400"}
    if etag in (request.headers.get("if-none-match") or ""):
        return Response(status_code=304, headers=headers)
    if format == "unified":
        body = render_unified(
            result.diff,
            context=context,
            old_label=f"{article_id} r{result.old.revision_no}",
            new_label=f"{article_id} r{result.new.revision_no}",
        )
    elif format == "html":
        body = render_html(result.diff, context=context)
    else:
        payload = DiffRead(
            article_id=result.article_id,
            from_revision=result.old.revision_no,
            to_revision=result.new.revision_no,
            **result.diff.to_dict(context=context),
        )
        body = payload.model_dump_json()
    return Response(body, media_type=_MEDIA[format], headers=headers)


@router.post(
    "/v1/diff",
    response_model=DiffRead,
    responses=problems(413, 422, 401, 403, 429),
    dependencies=[ReadAccess],
)
def post_diff(payload: DiffCreate) -> DiffRead:
    """Diff two texts without storing anything."""
    diff = compare(payload.old, payload.new, granularity=payload.granularity)
    return DiffRead(**diff.to_dict())
