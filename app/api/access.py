"""Who may call what: API keys with nested scopes, and rate limits per key or address.

A route declares the scope it needs with `Depends(access("read"))`. A request
that presents a key must present a live one (else 401) with the scope (else
403), whatever the AUTH_REQUIRED_* settings say; a request without a key is
anonymous, which those settings allow or refuse. Every request that passes is
counted against RATE_LIMIT (per key) or RATE_LIMIT_ANONYMOUS (per address).
"""

import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

import limits
from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from app.errors import Forbidden, TooManyRequests, Unauthorized
from app.services import keys
from app.settings import Settings

bearer = HTTPBearer(
    auto_error=False,
    description="An API key from `python -m app keys create`, as `Authorization: Bearer adk_…`.",
)
REALM = 'Bearer realm="article-diff"'


@dataclass(frozen=True, slots=True)
class Caller:
    key_id: int | None  # None: anonymous
    scope: str | None


class RateLimiter:
    """The `limits` library's moving window, per key or per client address."""

    def __init__(self, settings: Settings) -> None:
        store = limits.storage.storage_from_string(settings.RATE_LIMIT_STORAGE_URI)
        # Counting in this process's memory waits for nothing (Redis would).
        self.in_memory = isinstance(store, limits.storage.MemoryStorage)
        self._limiter = limits.strategies.MovingWindowRateLimiter(store)
        self._keyed = limits.parse_many(settings.RATE_LIMIT) if settings.RATE_LIMIT else []
        self._anonymous = (
            limits.parse_many(settings.RATE_LIMIT_ANONYMOUS)
            if settings.RATE_LIMIT_ANONYMOUS
            else []
        )

    def check(self, identity: str, *, keyed: bool) -> None:
        for item in self._keyed if keyed else self._anonymous:
            if not self._limiter.hit(item, identity):
                reset = self._limiter.get_window_stats(item, identity).reset_time
                retry = max(1, math.ceil(reset - time.time()))
                raise TooManyRequests(
                    f"Rate limit of {item} reached; retry in {retry} s",
                    headers={"Retry-After": str(retry)},
                )


def _authenticate(request: Request, secret: str) -> Caller:
    factory: sessionmaker[Session] = request.app.state.sessions.read
    now = datetime.now(UTC)
    with factory() as session:
        row = keys.authenticate(session, secret)
        if row is None:
            raise Unauthorized(
                "The API key is unknown or revoked; ask an administrator for a new one",
                headers={"WWW-Authenticate": f'{REALM}, error="invalid_token"'},
            )
        caller = Caller(row.id, row.scope)
        stale = keys.needs_touch(row, now)
    if stale:  # last_used_at, at most once a minute, in its own short write
        writer: sessionmaker[Session] = request.app.state.sessions.write
        with writer() as session:
            keys.touch(session, row.id, now)
            session.commit()
    return caller


def _admit(request: Request, secret: str | None, scope: keys.Scope, how: str) -> Caller:
    """Let a request with this key (or none) through to `scope`, or raise 401/403/429."""
    settings: Settings = request.app.state.settings
    limiter: RateLimiter = request.app.state.rate_limiter
    if secret is None:
        required = (
            settings.AUTH_REQUIRED_FOR_READS
            if scope == "read"
            else settings.AUTH_REQUIRED_FOR_WRITES
        )
        if required or scope == "admin":
            raise Unauthorized(
                f"This needs an API key with the '{scope}' scope: {how}",
                headers={"WWW-Authenticate": REALM},
            )
        address = request.client.host if request.client else "unknown"
        limiter.check(f"address:{address}", keyed=False)
        return Caller(None, None)
    caller = _authenticate(request, secret)
    if not keys.grants(caller.scope or "", scope):
        raise Forbidden(
            f"This API key has the '{caller.scope}' scope; this needs '{scope}'",
            headers={"WWW-Authenticate": f'{REALM}, error="insufficient_scope", scope="{scope}"'},
        )
    limiter.check(f"key:{caller.key_id}", keyed=True)
    return caller


def _bearer_secret(
    request: Request, credentials: HTTPAuthorizationCredentials | None
) -> str | None:
    if request.headers.get("authorization") is not None and credentials is None:
        raise Unauthorized(
            "The Authorization header must be 'Bearer <API key>'",
            headers={"WWW-Authenticate": f'{REALM}, error="invalid_request"'},
        )
    return None if credentials is None else credentials.credentials


def access(scope: keys.Scope) -> Callable[..., Awaitable[Caller]]:
    """A dependency that lets a request through when it may use `scope`."""

    def admit(request: Request, secret: str | None) -> Caller:
        return _admit(request, secret, scope, "send 'Authorization: Bearer <key>'")

    async def dependency(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
    ) -> Caller:
        secret = _bearer_secret(request, credentials)
        limiter: RateLimiter = request.app.state.rate_limiter
        if secret is None and limiter.in_memory:  # nothing to wait for: no thread hand-off
            return admit(request, secret)
        return await run_in_threadpool(admit, request, secret)  # a key lookup, Redis

    return dependency


# The viewer's pages take the key as the API does, or from this cookie, which the
# form at /ui/key sets (HTTP-only, for /ui/ only): a browser cannot add a header.
KEY_COOKIE = "article_diff_key"


def page_access(request: Request) -> Caller:
    """Read access for the viewer's pages: a bearer key, else the key cookie."""
    scheme, token = get_authorization_scheme_param(request.headers.get("authorization"))
    credentials = (
        HTTPAuthorizationCredentials(scheme=scheme, credentials=token)
        if scheme.lower() == "bearer" and token
        else None
    )
    secret = _bearer_secret(request, credentials) or request.cookies.get(KEY_COOKIE) or None
    return _admit(
        request, secret, "read", "enter it at /ui/key, or send 'Authorization: Bearer <key>'"
    )


ReadAccess = Depends(access("read"))
WriteAccess = Depends(access("write"))
AdminAccess = Depends(access("admin"))
PageAccess = Depends(page_access)


def check_page_key(request: Request, secret: str) -> Caller:
    """A key typed into the viewer's key form: live, with the read scope (401/403)."""
    return _admit(request, secret, "read", "enter one at /ui/key")


def _hook_limit(request: Request) -> None:
    """The publish web-hook authenticates by its signature; it is rate limited per address."""
    limiter: RateLimiter = request.app.state.rate_limiter
    address = request.client.host if request.client else "unknown"
    limiter.check(f"hook:{address}", keyed=True)


HookAccess = Depends(_hook_limit)
