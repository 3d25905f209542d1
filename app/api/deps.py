"""Dependencies and route parameters shared by the routers."""

import asyncio
import zlib
from collections.abc import AsyncIterator, Iterable
from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request
from pydantic import BeforeValidator, Field, StringConstraints
from sqlalchemy.orm import Session, sessionmaker

from app.api.body import inflate, inflater
from app.errors import InvalidInput, PayloadTooLarge, RequestTimeout
from app.schemas import ARTICLE_ID_PATTERN, Problem
from app.services.pagination import (
    ID_CURSOR_PATTERN,
    NUMBER_CURSOR_PATTERN,
    TIME_CURSOR_PATTERN,
)
from app.settings import Settings

# These dependencies are `async` although they wait for nothing: FastAPI runs a plain
# `def` dependency in the thread pool, a hand-off each way per request. Opening a
# session does no I/O (it connects at its first statement, in the endpoint's thread);
# closing one returns its connection, which after a commit or a PostgreSQL read has
# nothing to roll back (a failed write's rollback is one short round trip, a SQLite
# read's a local call).


async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_session(request: Request) -> AsyncIterator[Session]:
    """A session for a request that only reads (on SQLite: a deferred transaction)."""
    factory: sessionmaker[Session] = request.app.state.sessions.read
    with factory() as session:
        yield session


async def get_write_session(request: Request) -> AsyncIterator[Session]:
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
# A revision number (1, 2, …, in ASCII digits) or 'latest'. Numbers past the last
# revision are 404s, so the pattern need not bound their size.
REVISION_REF_PATTERN = r"^(latest|[1-9][0-9]{0,18})$"


def _ascii_integer(value: object) -> object:
    """Query integers as plain ASCII digits: no '+3', ' 3', '3.0', '1_000' or '٣'."""
    if isinstance(value, str) and not (value.isascii() and value.isdigit() and len(value) <= 19):
        raise ValueError("must be a whole number written with the digits 0-9")
    return value


RevisionRef = Annotated[
    str, Path(pattern=REVISION_REF_PATTERN, description="A revision number, or 'latest'")
]
RevisionQuery = Annotated[str | None, StringConstraints(pattern=REVISION_REF_PATTERN)]
Limit = Annotated[
    Annotated[int, Field(ge=1, le=500), BeforeValidator(_ascii_integer)],
    Query(description="Page size (1–500)"),
]
_CURSOR_HELP = "next_cursor from the previous page, unchanged"
NumberCursor = Annotated[str | None, Query(pattern=NUMBER_CURSOR_PATTERN, description=_CURSOR_HELP)]
TimeCursor = Annotated[str | None, Query(pattern=TIME_CURSOR_PATTERN, description=_CURSOR_HELP)]
IdCursor = Annotated[str | None, Query(pattern=ID_CURSOR_PATTERN, description=_CURSOR_HELP)]
MAX_ROW_ID = 2**63 - 1


def row_id(description: str) -> Any:
    """A path parameter holding a row id: ASCII digits, 1 to 2^63 - 1."""
    return Annotated[
        Annotated[int, Field(ge=1, le=MAX_ROW_ID), BeforeValidator(_ascii_integer)],
        Path(description=description),
    ]


SubscriptionId = row_id("A subscription's id")
DeliveryId = row_id("A delivery's id (GET …/deliveries)")
Context = Annotated[
    Annotated[int, Field(ge=0, le=1000), BeforeValidator(_ascii_integer)] | None,
    Query(description="Unchanged blocks kept around each change; default: the whole document"),
]


async def read_body(request: Request) -> bytes:
    """The request body, inflated when sent with `Content-Encoding: gzip`: 413 as soon as
    it passes MAX_BODY_BYTES (inflated), 408 when it takes longer than
    BODY_READ_TIMEOUT_SECONDS to arrive (a slow client holds no worker)."""
    settings: Settings = request.app.state.settings
    limit = settings.MAX_BODY_BYTES
    gzip = inflater(request.headers.get("content-encoding"))
    declared = request.headers.get("content-length")
    if declared and declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"The body is {declared} bytes; at most {limit} are accepted.")
    chunks: list[bytes] = []
    size = 0

    def take(pieces: Iterable[bytes | None]) -> None:
        nonlocal size
        for piece in pieces:
            if not piece:  # the end of a gzip body (None), or nothing
                continue
            size += len(piece)
            if size > limit:
                verb = "inflates to" if gzip is not None else "is"
                raise PayloadTooLarge(f"The body {verb} over {limit} bytes, the most accepted.")
            chunks.append(piece)

    try:
        async with asyncio.timeout(settings.BODY_READ_TIMEOUT_SECONDS):
            async for chunk in request.stream():
                # Inflated by pieces no larger than what the limit leaves: a small chunk
                # may inflate to a great deal.
                take(inflate(gzip, chunk, limit - size + 1) if gzip is not None else [chunk])
        if gzip is not None:
            take(inflate(gzip, None))
    except TimeoutError:
        raise RequestTimeout(
            f"The body did not arrive within {settings.BODY_READ_TIMEOUT_SECONDS:g} s; "
            "send it in one go",
            headers={"Connection": "close"},
        ) from None
    except zlib.error as exc:
        raise InvalidInput(
            f"The body is not valid gzip ({exc}); send it whole, or without Content-Encoding"
        ) from exc
    return b"".join(chunks)


BodyDep = Annotated[bytes, Depends(read_body)]


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: the problem statuses it can answer with."""
    return {s: {"model": Problem, "content": {"application/problem+json": {}}} for s in statuses}
