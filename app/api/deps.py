"""Dependencies shared by the routers."""

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from app.errors import PayloadTooLarge
from app.schemas import Problem
from app.settings import Settings


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.session_factory() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


async def read_body(request: Request) -> bytes:
    """The request body, refused with 413 as soon as it passes MAX_BODY_BYTES."""
    limit = request.app.state.settings.MAX_BODY_BYTES
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"The body is {declared} bytes; at most {limit} are accepted.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"The body is over {limit} bytes, the most accepted.")
        chunks.append(chunk)
    return b"".join(chunks)


BodyDep = Annotated[bytes, Depends(read_body)]


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: the problem statuses it can answer with."""
    return {s: {"model": Problem, "content": {"application/problem+json": {}}} for s in statuses}
