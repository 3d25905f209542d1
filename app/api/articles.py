"""Articles and their revisions: ingest and reads."""

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request, Response

from app.api import views
from app.api.access import ReadAccess, WriteAccess
from app.api.body import parse_revision_body
from app.api.deps import (
    ArticleId,
    BodyDep,
    Limit,
    NumberCursor,
    RevisionRef,
    SessionDep,
    SettingsDep,
    TimeCursor,
    WriteSessionDep,
    problems,
)
from app.api.schemas_openapi import REVISION_BODY
from app.observability import REVISIONS
from app.schemas import (
    ArticleRead,
    Blame,
    BlameBlock,
    History,
    IngestResult,
    Page,
    RevisionRead,
    RevisionSummary,
)
from app.services import articles, receipts
from app.services.content import ContentLimits
from app.services.ingest import ingest

router = APIRouter(prefix="/v1/articles", tags=["articles"])


@router.post(
    "/{article_id}/revisions",
    response_model=IngestResult,
    status_code=201,
    openapi_extra=REVISION_BODY,
    responses=problems(409, 413, 415, 422, 401, 403, 429)
    | {
        200: {
            "model": IngestResult,
            "description": "Same text as the latest revision: nothing new was stored",
        }
    },
    dependencies=[WriteAccess],
)
def create_revision(
    article_id: ArticleId,
    request: Request,
    body: BodyDep,
    session: WriteSessionDep,
    settings: SettingsDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> Response:
    """Store a published revision; retries with an Idempotency-Key never duplicate.

    The body is JSON with one of text, html or markdown; or the article itself,
    raw, with Content-Type text/plain, text/html or text/markdown (charset UTF-8
    unless said otherwise)."""
    content_type = request.headers.get("content-type") or ""
    new = parse_revision_body(content_type, body, max_json_depth=settings.MAX_JSON_DEPTH)
    claim = (
        receipts.for_idempotency_key(article_id, idempotency_key, content_type, body)
        if idempotency_key is not None
        else None
    )
    outcome = ingest(
        session,
        article_id=article_id,
        new=new,
        now=datetime.now(UTC),
        limits=ContentLimits.from_settings(settings),
        claim=claim,
    )
    session.commit()
    if outcome.created and not outcome.replayed:
        REVISIONS.labels("api").inc()
    return views.ingest_response(outcome)


@router.get(
    "",
    response_model=Page[ArticleRead],
    responses=problems(422, 401, 403, 429),
    dependencies=[ReadAccess],
)
def list_articles(
    session: SessionDep, limit: Limit = 50, cursor: TimeCursor = None
) -> Page[ArticleRead]:
    """Articles, most recently active first."""
    rows, next_cursor = articles.list_articles(session, limit=limit, cursor=cursor)
    return Page(items=[views.article_read(a) for a in rows], next_cursor=next_cursor)


@router.get(
    "/{article_id}",
    response_model=ArticleRead,
    responses=problems(404, 422, 401, 403, 429),
    dependencies=[ReadAccess],
)
def get_article(article_id: ArticleId, session: SessionDep) -> ArticleRead:
    """One article."""
    return views.article_read(articles.require_article(session, article_id))


@router.get(
    "/{article_id}/revisions",
    response_model=Page[RevisionSummary],
    responses=problems(404, 422, 401, 403, 429),
    dependencies=[ReadAccess],
)
def list_revisions(
    article_id: ArticleId, session: SessionDep, limit: Limit = 50, cursor: NumberCursor = None
) -> Response:
    """An article's revisions, oldest first."""
    article = articles.require_article(session, article_id)
    rows, next_cursor = articles.list_revisions(session, article, limit=limit, cursor=cursor)
    return views.revision_page(rows, next_cursor)


@router.get(
    "/{article_id}/revisions/{revision}",
    response_model=RevisionRead,
    responses=problems(404, 422, 401, 403, 429)
    | {200: {"content": {"text/plain": {}, "text/html": {}, "text/markdown": {}}}},
    dependencies=[ReadAccess],
)
def get_revision(
    article_id: ArticleId,
    revision: RevisionRef,
    session: SessionDep,
    view: Annotated[Literal["parsed", "original"], Query()] = "parsed",
) -> Response:
    """One revision with its normalized text and blocks; view=original returns the body as sent."""
    number = articles.parse_revision_ref(revision)
    if view == "parsed":
        return views.revision_json(articles.revision_view(session, article_id, number))
    article = articles.require_article(session, article_id)
    rev = articles.require_revision(session, article, number)
    return Response(
        articles.original_body(rev),
        media_type=f"{rev.original_media_type}; charset=utf-8",
        headers={
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


@router.get(
    "/{article_id}/history",
    response_model=History,
    responses=problems(404, 422, 401, 403, 429),
    dependencies=[ReadAccess],
)
def get_history(
    article_id: ArticleId, session: SessionDep, limit: Limit = 50, cursor: NumberCursor = None
) -> Response:
    """Every revision with its stored change record, oldest first, paginated."""
    article = articles.require_article(session, article_id)
    rows, next_cursor = articles.list_revisions(session, article, limit=limit, cursor=cursor)
    return views.revision_page(rows, next_cursor, article_id=article.external_id)


@router.get(
    "/{article_id}/revisions/{revision}/blame",
    response_model=Blame,
    responses=problems(404, 422, 401, 403, 429),
    dependencies=[ReadAccess],
)
def get_blame(article_id: ArticleId, revision: RevisionRef, session: SessionDep) -> Blame:
    """For every block: the revision it first appeared in, and the one its text dates from."""
    article = articles.require_article(session, article_id)
    rev = articles.require_revision(session, article, articles.parse_revision_ref(revision))
    return Blame(
        article_id=article.external_id,
        revision=rev.revision_no,
        blocks=[BlameBlock.model_validate(b, from_attributes=True) for b in articles.blame(rev)],
    )
