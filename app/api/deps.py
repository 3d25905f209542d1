"""Dependencies and route parameters shared by the routers."""

import asyncio
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request
from sqlalchemy.orm import Session, sessionmaker

from app.errors import PayloadTooLarge, RequestTimeout
from app.schemas import ARTICLE_ID_PATTERN, Problem
from app.settings import Settings


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """A session for a request that only reads (on SQLite: a deferred transaction)."""
    factory: sessionmaker[Session] = request.app.state.sessions.read
    with factory() as session:
        yield session


def get_write_session(request: Request) -> Iterator[Session]:
    """A session for a request that writes; the router commits it once."""
    factory: sessionmaker[Session] = request.app.state.sessions.write
    with factory() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
WriteSessionDep = Annotated[Session, Depends(get_write_session)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]

ArticleId = Annotated[
    str,
    Path(pattern=ARTICLE_ID_PATTERN, description="The CMS's id: 1–200 of A-Z a-z 0-9 . _ ~ : -"),
]
RevisionRef = Annotated[str, Path(description="A revision number, or 'latest'")]
Limit = Annotated[int, Query(ge=1, le=500, description="Page size (at most 500)")]
Cursor = Annotated[str | None, Query(description="next_cursor from the previous page")]


async def read_body(request: Request) -> bytes:
    """The request body: 413 as soon as it passes MAX_BODY_BYTES, 408 when it takes
    longer than BODY_READ_TIMEOUT_SECONDS to arrive (a slow client holds no worker)."""
    settings: Settings = request.app.state.settings
    limit = settings.MAX_BODY_BYTES
    declared = request.headers.get("content-length")
    if declared and declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"The body is {declared} bytes; at most {limit} are accepted.")
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(settings.BODY_READ_TIMEOUT_SECONDS):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLarge(f"The body is over {limit} bytes, the most accepted.")
                chunks.append(chunk)
    except TimeoutError:
        raise RequestTimeout(
            f"The body did not arrive within {settings.BODY_READ_TIMEOUT_SECONDS:g} s; "
            "send it in one go",
            headers={"Connection": "close"},
        ) from None
    return b"".join(chunks)


BodyDep = Annotated[bytes, Depends(read_body)]


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: the problem statuses it can answer with."""
    return {s: {"model": Problem, "content": {"application/problem+json": {}}} for s in statuses}
