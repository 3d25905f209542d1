"""One error hierarchy, rendered as RFC 9457 problem details by add_exception_handlers."""

import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match
from starlette.types import Scope

PROBLEM_MEDIA_TYPE = "application/problem+json"
DATABASE_RETRY_SECONDS = 5
log = logging.getLogger(__name__)


class AppError(Exception):
    status: int = 400
    code: str = "bad_request"

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}


class InvalidInput(AppError):
    status, code = 422, "invalid_input"


class NotFound(AppError):
    status, code = 404, "not_found"


class UnsupportedMediaType(AppError):
    status, code = 415, "unsupported_media_type"


class PayloadTooLarge(AppError):
    status, code = 413, "payload_too_large"


class Unauthorized(AppError):
    status, code = 401, "unauthorized"


class Forbidden(AppError):
    status, code = 403, "forbidden"


class TooManyRequests(AppError):
    status, code = 429, "too_many_requests"


class RequestTimeout(AppError):
    status, code = 408, "request_timeout"


class Conflict(AppError):
    status, code = 409, "conflict"


class NotConfigured(AppError):
    status, code = 503, "not_configured"


class Unavailable(AppError):
    """The database failed in the middle of the work (what was committed stays)."""

    status, code = 503, "unavailable"


def problem(status: int, code: str, detail: str, instance: str, **extra: Any) -> JSONResponse:
    body = {
        "type": f"about:blank#{code}" if code else "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": instance,
        "code": code,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE)


# What a parameter refused by its pattern should look like, in words.
_SHAPES = {
    "revision": "a revision number (1, 2, …) or 'latest'",
    "from": "a revision number (1, 2, …) or 'latest'",
    "to": "a revision number (1, 2, …) or 'latest'",
    "cursor": "the next_cursor of the previous page, unchanged",
    "article_id": "1–200 of A-Z a-z 0-9 . _ ~ : -, starting with a letter or digit",
    "kind": "one or more change kinds, comma-separated (see the README)",
    "context": "a number of unchanged paragraphs to show around each change (0–9999) or 'all'",
}


def _describe(errors: list[dict[str, Any]]) -> str:
    parts = []
    for err in errors[:5]:
        loc = [str(p) for p in err.get("loc", ()) if p != "body"]
        where = ".".join(loc) or "request"
        message = err.get("msg", "invalid")
        name = next((p for p in reversed(loc) if p in _SHAPES), None)
        if err.get("type") == "string_pattern_mismatch" and name:
            message = f"must be {_SHAPES[name]}"
        parts.append(f"{where}: {message}")
    return "; ".join(parts)


_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(routes: list[BaseRoute], scope: Scope) -> list[str]:
    """Every method some route serves at this request's path, HEAD wherever GET is.

    Asked through the routes' own matching, so nested routers count too.
    """
    methods = [
        method
        for method in _METHODS
        if any(route.matches({**scope, "method": method})[0] == Match.FULL for route in routes)
    ]
    if "GET" in methods:
        methods.insert(1, "HEAD")
    return methods


# An error on a web page may be answered with a page (None: answer with the problem).
ProblemPage = Callable[[Request, int, str], Response | None]


def add_exception_handlers(app: FastAPI, pages: ProblemPage | None = None) -> None:
    def answer(request: Request, status: int, code: str, detail: str, **extra: Any) -> Response:
        shown = pages(request, status, detail) if pages is not None else None
        return shown or problem(status, code, detail, request.url.path, **extra)

    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> Response:
        response = answer(request, exc.status, exc.code, exc.detail)
        response.headers.update(exc.headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in exc.errors()]
        return answer(request, 422, "invalid_input", _describe(errors), errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = HTTPStatus(exc.status_code).phrase.lower().replace(" ", "_")
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        headers = dict(exc.headers or {})
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"No route matches {request.method} {request.url.path}."
        if exc.status_code == 405:
            # Starlette names only the first route's methods; the path may have more.
            allow = allowed_methods(request.app.routes, request.scope)
            headers["Allow"] = ", ".join(allow)
            detail = f"{request.method} is not allowed here; use {', '.join(allow)}."
        response = answer(request, exc.status_code, code, detail)
        response.headers.update(headers)
        return response

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    @app.exception_handler(DisconnectionError)
    @app.exception_handler(PoolTimeout)
    @app.exception_handler(TimeoutError)  # SQLite: this process's writers queue (app.db)
    async def _database_away(request: Request, exc: Exception) -> Response:
        log.warning(
            "database unavailable on %s %s: %s",
            request.method,
            request.url.path,
            exc.__class__.__name__,
        )
        response = answer(
            request,
            503,
            "database_unavailable",
            "The database is unreachable or busy; nothing was stored. Retry after "
            f"{DATABASE_RETRY_SECONDS} s (with the same Idempotency-Key, if you sent one).",
        )
        response.headers["Retry-After"] = str(DATABASE_RETRY_SECONDS)
        return response

    @app.exception_handler(DataError)
    async def _refused_value(request: Request, exc: DataError) -> Response:
        # A backstop: values are checked before they are written, but a value the
        # database still refuses (out of range, NUL in text) is the request's fault.
        problem_text = str(exc.orig).splitlines()[0] if exc.orig else exc.__class__.__name__
        return answer(
            request,
            422,
            "invalid_input",
            f"The database refused a value in the request ({problem_text}); nothing was stored.",
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(
            500,
            "internal_error",
            "The server failed unexpectedly; nothing was stored.",
            request.url.path,
        )
