"""The diff viewer's pages: recent changes, the articles, an article's timeline, and a diff."""

from http import HTTPStatus
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs, urlencode, urlsplit

import orjson
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BeforeValidator, Field, StringConstraints

from app.api import views
from app.api.access import KEY_COOKIE, PageAccess, check_page_key
from app.api.deps import ArticleId, BodyDep, NumberCursor, RevisionRef, SessionDep, TimeCursor
from app.api.diffs import FromQuery, ToQuery
from app.engine import FEED_KINDS
from app.errors import Forbidden, InvalidInput, UnsupportedMediaType
from app.schemas import ARTICLE_ID_PATTERN, change_json
from app.services.articles import (
    blame,
    list_articles,
    list_revisions,
    parse_revision_ref,
    require_article,
    require_revision,
)
from app.services.diffs import diff_revisions
from app.services.feed import list_changes
from app.web.diffview import diff_view
from app.web.templating import PAGE_CSP, STATIC, render_page

router = APIRouter(prefix="/ui", include_in_schema=False)
static_files = StaticFiles(directory=STATIC)
PAGE_SIZE = 50
TIMELINE_SIZE = 100
# A diff of more blocks than this comes folded to FOLDED_CONTEXT unchanged blocks
# around each change (a 50,000-line page took seconds to build and to show).
FOLD_ABOVE = 500
FOLDED_CONTEXT = 3
KEY_COOKIE_DAYS = 30


def _blank_is_none(value: object) -> object:
    """An empty form field means 'no filter'."""
    return None if value == "" else value


KindFilter = Annotated[
    Annotated[str, StringConstraints(pattern=f"^({'|'.join(FEED_KINDS)})$")] | None,
    BeforeValidator(_blank_is_none),
    Query(),
]
ContextChoice = Annotated[str | None, Query(pattern=r"^(all|[0-9]{1,4})$")]
SignificanceFilter = Annotated[
    Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] | None,
    BeforeValidator(_blank_is_none),
    Query(),
]


def page(request: Request, body: str, status: int = 200) -> HTMLResponse:
    """A page, with the viewer's CSP; private when reads need a key."""
    settings = request.app.state.settings
    audience = "private" if settings.AUTH_REQUIRED_FOR_READS else "public"
    headers = {
        "Content-Security-Policy": PAGE_CSP,
        "Cache-Control": f"{audience}, no-cache",
        "Referrer-Policy": "same-origin",
        "X-Content-Type-Options": "nosniff",
    }
    return HTMLResponse(body, status_code=status, headers=headers)


@router.get("")
def home() -> RedirectResponse:
    return RedirectResponse("/ui/", status_code=308)


@router.get("/", dependencies=[PageAccess])
def feed_page(
    request: Request,
    session: SessionDep,
    kind: KindFilter = None,
    min_significance: SignificanceFilter = None,
    cursor: TimeCursor = None,
) -> HTMLResponse:
    """Recent changes across all articles, newest first."""
    rows, next_cursor = list_changes(
        session,
        limit=PAGE_SIZE,
        cursor=cursor,
        since=None,
        until=None,
        article_id=None,
        kinds=[kind] if kind else [],
        min_significance=min_significance,
    )
    items = []
    for change, article_id, title in rows:
        item = views.feed_item(change, article_id, title)
        history = f"/ui/articles/{article_id}"
        diff = f"{history}/diff?" + urlencode(
            {"from": item.from_revision or item.revision, "to": item.revision}
        )
        items.append({**item.model_dump(), "diff_url": diff, "history_url": history})
    next_url = None
    if next_cursor:
        query = {
            "kind": kind or "",
            "min_significance": min_significance or "",
            "cursor": next_cursor,
        }
        next_url = "/ui/?" + urlencode({k: v for k, v in query.items() if v != ""})
    body = render_page(
        "feed.html",
        page="feed",
        items=items,
        kinds=FEED_KINDS,
        kind=kind,
        min_significance=min_significance,
        next_url=next_url,
    )
    return page(request, body)


def _pasted(value: object) -> object:
    """An id pasted into the form, without the spaces that came with it; none if blank."""
    return _blank_is_none(value.strip() if isinstance(value, str) else value)


ArticleToOpen = Annotated[
    Annotated[str, StringConstraints(pattern=ARTICLE_ID_PATTERN)] | None,
    BeforeValidator(_pasted),
    Query(),
]


@router.get("/articles", dependencies=[PageAccess], response_model=None)
def articles_page(
    request: Request,
    session: SessionDep,
    article_id: ArticleToOpen = None,
    cursor: TimeCursor = None,
) -> HTMLResponse | RedirectResponse:
    """Every article, most recently active first (one never revised is in no change),
    and a form that opens an article by its id."""
    if article_id is not None:
        return RedirectResponse(f"/ui/articles/{article_id}", status_code=303)
    rows, next_cursor = list_articles(session, limit=PAGE_SIZE, cursor=cursor)
    next_url = "/ui/articles?" + urlencode({"cursor": next_cursor}) if next_cursor else None
    body = render_page(
        "articles.html",
        page="articles",
        articles=[views.article_read(a) for a in rows],
        next_url=next_url,
    )
    return page(request, body)


def _timeline_row(row: Any) -> dict[str, Any]:
    """A history row (storage.list_revisions) as the timeline shows it."""
    if row.record is None:  # the first revision: nothing to compare it with
        return {
            "revision": row.revision_no,
            "received_at": row.received_at,
            "published_at": row.published_at,
            "title": row.title,
            "change": None,
        }
    change = change_json(row.from_revision_no, orjson.loads(row.record))
    return {
        "revision": row.revision_no,
        "received_at": row.received_at,
        "published_at": row.published_at,
        "title": row.title,
        "revert_of": row.revert_of,
        "change": change,
        "words_added": change["summary"]["words_added"],
        "words_removed": change["summary"]["words_removed"],
        "significance": change["significance"],
        "kinds": change["kinds"],
    }


@router.get("/articles/{article_id}", dependencies=[PageAccess])
def article_page(
    request: Request, article_id: ArticleId, session: SessionDep, cursor: NumberCursor = None
) -> HTMLResponse:
    """An article's timeline: one row per revision, newest first; pick two to compare."""
    article = require_article(session, article_id)
    found, next_cursor = list_revisions(
        session, article, limit=TIMELINE_SIZE, cursor=cursor, newest_first=True
    )
    rows = [_timeline_row(row) for row in found]
    scale = max((max(r["words_added"], r["words_removed"]) for r in rows if r["change"]), default=0)
    latest = article.latest_revision_no
    next_url = f"/ui/articles/{article.external_id}?cursor={next_cursor}" if next_cursor else None
    body = render_page(
        "article.html",
        page="article",
        article=article,
        rows=rows,
        scale=scale,
        default_to=latest,
        default_from=max(latest - 1, 1),
        next_url=next_url,
    )
    return page(request, body)


@router.get("/articles/{article_id}/diff", dependencies=[PageAccess])
def diff_page(
    request: Request,
    article_id: ArticleId,
    session: SessionDep,
    from_: FromQuery = None,
    to: ToQuery = None,
    view: Literal["inline", "side"] = "inline",
    context: ContextChoice = None,
) -> HTMLResponse:
    """Two revisions compared, inline or side by side. Long articles come folded (three
    unchanged blocks around each change) unless `context` says otherwise."""
    result = diff_revisions(session, article_id, from_ref=from_, to_ref=to)
    if context is None:
        folded = FOLDED_CONTEXT if len(result.diff.entries) > FOLD_ABOVE else None
    else:
        folded = None if context == "all" else int(context)
    base = f"/ui/articles/{result.article_id}/diff?"
    ends = {"from": result.old.revision_no, "to": result.new.revision_no}
    kept = {} if context is None else {"context": context}
    body = render_page(
        "diff.html",
        page="diff",
        article_id=result.article_id,
        old=result.old,
        new=result.new,
        titles=result.titles,
        view=diff_view(result.diff, context=folded),
        layout=view,
        inline_url=base + urlencode({**ends, **kept}),
        side_url=base + urlencode({**ends, "view": "side", **kept}),
        whole_url=base + urlencode({**ends, "view": view, "context": "all"}),
        folded=folded is not None,
    )
    return page(request, body)


@router.get("/articles/{article_id}/revisions/{revision}", dependencies=[PageAccess])
def revision_page(
    request: Request, article_id: ArticleId, revision: RevisionRef, session: SessionDep
) -> HTMLResponse:
    """One revision to read, each block marked with the revision it dates from."""
    article = require_article(session, article_id)
    found = require_revision(session, article, parse_revision_ref(revision))
    body = render_page(
        "revision.html",
        page="revision",
        article=article,
        revision=found,
        blocks=blame(found),
    )
    return page(request, body)


def _next_url(value: str | None) -> str:
    """Where to go after the key form: a page of the viewer, never another site."""
    if value and value.startswith("/ui/") and not urlsplit(value).netloc and "\\" not in value:
        return value
    return "/ui/"


@router.get("/key")
def key_page(request: Request, next: str | None = None) -> HTMLResponse:
    """The form that keeps an API key for these pages."""
    body = render_page(
        "key.html",
        page="key",
        has_key=KEY_COOKIE in request.cookies,
        message="",
        next_url=_next_url(next),
    )
    return page(request, body)


def _form(request: Request, body: bytes) -> dict[str, list[str]]:
    """The key form's fields (an HTML form's urlencoded body)."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/x-www-form-urlencoded":
        raise UnsupportedMediaType("Send the key form as application/x-www-form-urlencoded")
    try:
        return parse_qs(body.decode("utf-8"), max_num_fields=4, strict_parsing=False)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput(f"The key form could not be read: {exc}") from None


@router.post("/key")
def set_key(request: Request, body: BodyDep) -> Response:
    """Keep the key from the form in an HTTP-only cookie for /ui/ (an empty key forgets it)."""
    origin = request.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != request.url.netloc:
        raise Forbidden("The key form must be sent from this site's own /ui/key page")
    form = _form(request, body)
    key = form.get("key", [""])[0].strip()
    target = _next_url(form.get("next", [""])[0])
    if not key:
        response: Response = page(
            request,
            render_page(
                "key.html", page="key", has_key=False, message="Key forgotten.", next_url=target
            ),
        )
        response.delete_cookie(KEY_COOKIE, path="/ui")
        return response
    check_page_key(request, key)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        KEY_COOKIE,
        key,
        max_age=KEY_COOKIE_DAYS * 86400,
        path="/ui",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
    return response


def problem_page(request: Request, status: int, detail: str) -> Response | None:
    """An error on a viewer page, as a page (None: not a page; answer with JSON)."""
    path = request.url.path
    if not path.startswith("/ui/") or path.startswith("/ui/static/"):
        return None
    accept = request.headers.get("accept", "")
    if "json" in accept and "text/html" not in accept:
        return None
    here = path + (f"?{request.url.query}" if request.url.query else "")
    body = render_page(
        "error.html",
        page="error",
        status=status,
        title=HTTPStatus(status).phrase,
        detail=detail,
        next_url=_next_url(here),
    )
    return page(request, body, status)
