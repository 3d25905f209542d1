"""Diffs: between stored revisions, and between two texts sent by a developer."""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.orm import Session

from app.api.access import ReadAccess
from app.api.body import load_json_body
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
from app.api.schemas_openapi import (
    DIFF_BODY,
    FORMAT_REDIRECT,
    NOT_MODIFIED,
    text_response,
)
from app.engine import Diff
from app.schemas import DiffCreate, DiffRead
from app.services.content import ContentLimits
from app.services.diffs import MEDIA_TYPES, Format, diff_revisions, diff_texts, render
from app.services.payloads import validate
from app.settings import Settings
from app.web.templating import FRAGMENT_CSP, VIEW_VERSION, render_fragment

router = APIRouter(tags=["diffs"])
FormatQuery = Annotated[
    Format,
    Query(description="json (default); unified and html answer 307 to …/unified and …/html"),
]
_STORED = "/v1/articles/{article_id}/diff"
_ERRORS = problems(404, 422, 401, 403, 429)


def _format_redirect(request: Request, format: Format) -> Response:
    """?format=unified|html: the same query at the path that serves that format."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "format"]
    target = request.url.replace(path=f"{request.url.path}/{format}", query=urlencode(query))
    return Response(status_code=307, headers={"Location": str(target)})


def _stored_diff(
    request: Request,
    session: Session,
    settings: Settings,
    article_id: str,
    from_: str | None,
    to: str | None,
    format: Format,
    context: int | None,
) -> Response:
    result = diff_revisions(session, article_id, from_ref=from_, to_ref=to)
    etag = result.etag(format, context, markup=VIEW_VERSION if format == "html" else 0)
    audience = "private" if settings.AUTH_REQUIRED_FOR_READS else "public"
    freshness = "max-age=86400" if result.pinned else "no-cache"
    headers = {"ETag": etag, "Cache-Control": f"{audience}, {freshness}"}
    if if_none_match(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    title = f"{result.article_id}: revision {result.old.revision_no} → {result.new.revision_no}"
    return _answer(
        result.diff,
        format,
        context,
        headers,
        title=title,
        article_id=result.article_id,
        from_no=result.old.revision_no,
        to_no=result.new.revision_no,
        titles=result.titles,
    )


def _answer(
    diff: Diff,
    format: Format,
    context: int | None,
    headers: dict[str, str],
    *,
    title: str = "",
    article_id: str | None = None,
    from_no: int | None = None,
    to_no: int | None = None,
    titles: tuple[str | None, str | None] | None = None,
) -> Response:
    """The diff in `format`; HTML is the styled fragment, under its own CSP. `titles`:
    the two revisions' titles, when they differ."""
    if format == "html":
        body = render_fragment(diff, context=context, title=title, titles=titles)
        headers = {**headers, "Content-Security-Policy": FRAGMENT_CSP}
    else:
        body = render(
            diff,
            format,
            context=context,
            article_id=article_id,
            from_no=from_no,
            to_no=to_no,
            titles=titles,
        )
    return Response(body, media_type=MEDIA_TYPES[format], headers=headers)


FromQuery = Annotated[
    RevisionQuery, Query(alias="from", description="A number or 'latest'; default: to − 1")
]
ToQuery = Annotated[RevisionQuery, Query(description="A number or 'latest' (the default)")]


@router.get(
    _STORED,
    response_model=DiffRead,
    responses=_ERRORS | NOT_MODIFIED | FORMAT_REDIRECT,
    dependencies=[ReadAccess],
)
def get_diff(
    article_id: ArticleId,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    from_: FromQuery = None,
    to: ToQuery = None,
    format: FormatQuery = "json",
    context: Context = None,
) -> Response:
    """Compare any two revisions of an article, in either direction.

    Between two revisions named by number the answer is fixed and cached for a
    day; otherwise it must be revalidated (ETag, If-None-Match → 304)."""
    if format != "json":
        return _format_redirect(request, format)
    return _stored_diff(request, session, settings, article_id, from_, to, "json", context)


def _stored_text_route(format: Format, media_type: str, summary: str) -> None:
    """GET …/diff/unified and …/diff/html: the stored diff in one text format."""

    def route(
        article_id: ArticleId,
        request: Request,
        session: SessionDep,
        settings: SettingsDep,
        from_: FromQuery = None,
        to: ToQuery = None,
        context: Context = None,
    ) -> Response:
        return _stored_diff(request, session, settings, article_id, from_, to, format, context)

    router.add_api_route(
        f"{_STORED}/{format}",
        route,
        methods=["GET"],
        name=f"get_diff_{format}",
        description=summary,
        response_class=Response,
        responses=text_response(media_type, summary) | _ERRORS | NOT_MODIFIED,
        dependencies=[ReadAccess],
    )


_stored_text_route(
    "unified", "text/plain", "The diff as unified text: one line per block, words [-…-]{+…+}."
)
_stored_text_route(
    "html",
    "text/html",
    "The diff as a styled, self-contained HTML fragment: summary, legend, <ins>/<del>.",
)


def _texts(request: Request, body: bytes, settings: Settings) -> DiffCreate:
    data = load_json_body(
        request.headers.get("content-type"), body, max_depth=settings.MAX_JSON_DEPTH
    )
    return validate(DiffCreate, data)


def _texts_diff(
    request: Request, body: bytes, settings: Settings, format: Format, context: int | None
) -> Response:
    payload = _texts(request, body, settings)
    diff = diff_texts(
        payload.old,
        payload.new,
        body_format=payload.input_format,
        granularity=payload.granularity,
        limits=ContentLimits.from_settings(settings),
    )
    return _answer(diff, format, context, {})


_TEXTS_ERRORS = problems(408, 413, 415, 422, 401, 403, 429)


@router.post(
    "/v1/diff",
    response_model=DiffRead,
    openapi_extra=DIFF_BODY,
    responses=_TEXTS_ERRORS | FORMAT_REDIRECT,
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
    if format != "json":
        _texts(request, body, settings)  # a bad body is refused here, not after the redirect
        return _format_redirect(request, format)
    return _texts_diff(request, body, settings, "json", context)


def _texts_text_route(format: Format, media_type: str, summary: str) -> None:
    """POST /v1/diff/unified and /v1/diff/html: two texts diffed, in one text format."""

    def route(
        request: Request, body: BodyDep, settings: SettingsDep, context: Context = None
    ) -> Response:
        return _texts_diff(request, body, settings, format, context)

    router.add_api_route(
        f"/v1/diff/{format}",
        route,
        methods=["POST"],
        name=f"post_diff_{format}",
        description=summary,
        openapi_extra=DIFF_BODY,
        response_class=Response,
        responses=text_response(media_type, summary) | _TEXTS_ERRORS,
        dependencies=[ReadAccess],
    )


_texts_text_route("unified", "text/plain", "Two texts diffed, as unified text.")
_texts_text_route("html", "text/html", "Two texts diffed, as a styled HTML fragment.")
