"""Who may call what: API keys with nested scopes, and rate limits per key or address.

A route declares the scope it needs with `Depends(access("read"))`. A request
that presents a key must present a live one (else 401) with the scope (else
403), whatever the AUTH_REQUIRED_* settings say; a request without a key is
anonymous, which those settings allow or refuse. Every request that passes is
counted against RATE_LIMIT (per key) or RATE_LIMIT_ANONYMOUS (per address).
"""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

import limits
from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

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


def access(scope: keys.Scope) -> Callable[..., Caller]:
    """A dependency that lets a request through when it may use `scope`."""

    def dependency(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
    ) -> Caller:
        settings: Settings = request.app.state.settings
        limiter: RateLimiter = request.app.state.rate_limiter
        header = request.headers.get("authorization")
        if header is not None and credentials is None:
            raise Unauthorized(
                "The Authorization header must be 'Bearer <API key>'",
                headers={"WWW-Authenticate": f'{REALM}, error="invalid_request"'},
            )
        if credentials is None:
            required = (
                settings.AUTH_REQUIRED_FOR_READS
                if scope == "read"
                else settings.AUTH_REQUIRED_FOR_WRITES
            )
            if required or scope == "admin":
                raise Unauthorized(
                    f"This needs an API key with the '{scope}' scope: send "
                    "'Authorization: Bearer <key>'",
                    headers={"WWW-Authenticate": REALM},
                )
            address = request.client.host if request.client else "unknown"
            limiter.check(f"address:{address}", keyed=False)
            return Caller(None, None)
        caller = _authenticate(request, credentials.credentials)
        if not keys.grants(caller.scope or "", scope):
            raise Forbidden(
                f"This API key has the '{caller.scope}' scope; this needs '{scope}'",
                headers={
                    "WWW-Authenticate": f'{REALM}, error="insufficient_scope", scope="{scope}"'
                },
            )
        limiter.check(f"key:{caller.key_id}", keyed=True)
        return caller

    return dependency


ReadAccess = Depends(access("read"))
WriteAccess = Depends(access("write"))
AdminAccess = Depends(access("admin"))


def _hook_limit(request: Request) -> None:
    """The publish web-hook authenticates by its signature; it is rate limited per address."""
    limiter: RateLimiter = request.app.state.rate_limiter
    address = request.client.host if request.client else "unknown"
    limiter.check(f"hook:{address}", keyed=True)


HookAccess = Depends(_hook_limit)
