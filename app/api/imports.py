"""Bulk import: NDJSON revisions streamed into the database (see services.bulk)."""

import asyncio
import zlib
from typing import Annotated

from fastapi import APIRouter, Header, Request
from starlette.concurrency import run_in_threadpool

from app.api import views
from app.api.access import WriteAccess
from app.api.body import codec_name, inflate, inflater, media_type
from app.api.deps import SettingsDep, problems
from app.api.schemas_openapi import IMPORT_BODY
from app.errors import InvalidInput, RequestTimeout, UnsupportedMediaType
from app.observability import REVISIONS
from app.schemas import ImportResult
from app.services.bulk import BATCH_BYTES, BATCH_LINES, Importer, LineSplitter
from app.services.content import ContentLimits
from app.services.receipts import API_RUN_PREFIX

router = APIRouter(prefix="/v1", tags=["import"])

NDJSON_TYPES = ("application/x-ndjson", "application/jsonl")


@router.post(
    "/import",
    response_model=ImportResult,
    openapi_extra=IMPORT_BODY,
    responses=problems(408, 415, 422, 503, 401, 403, 429),
    dependencies=[WriteAccess],
)
async def import_revisions(
    request: Request,
    settings: SettingsDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> ImportResult:
    """Backfill revisions from NDJSON (`application/x-ndjson`), one revision per line.

    Each line is a JSON object like a revision's JSON body plus its `article_id`:
    `{"article_id", "text" | "html" | "markdown", "title", "url", "published_at",
    "source_revision_id", "metadata"}` (the ImportLine schema). Lines are applied in
    order, in batches as they stream in; a bad line fails alone and is reported
    with its number. Each line may be as large as a single revision's body
    (MAX_BODY_BYTES); the whole body has no size limit, and may be sent
    gzip-compressed (`Content-Encoding: gzip`: it is inflated as it streams).

    With an `Idempotency-Key`, the lines applied are remembered per article: the
    same upload sent again with the same key (after a dropped connection, say)
    skips them and applies only the rest."""
    media, charset = media_type(request.headers.get("content-type"))
    if media not in NDJSON_TYPES:
        raise UnsupportedMediaType(
            f"Content-Type '{media or '(none)'}' is not accepted; send application/x-ndjson, "
            "one JSON revision per line"
        )
    if charset is not None and codec_name(charset) != "utf-8":
        # Read as UTF-8 regardless, every line failed on its own ("not valid UTF-8").
        raise UnsupportedMediaType(
            f"charset '{charset}' is not accepted: NDJSON is UTF-8; convert the file "
            f"first (e.g. iconv -f {charset} -t UTF-8)"
        )
    gzip = inflater(request.headers.get("content-encoding"))
    run = f"{API_RUN_PREFIX}{idempotency_key}" if idempotency_key is not None else None
    importer = Importer(request.app.state.sessions, run=run)
    limits = ContentLimits.from_settings(settings)
    splitter = LineSplitter(settings.MAX_BODY_BYTES)
    pending: list[tuple[int, bytes | None]] = []
    size = 0

    def apply(lines: list[tuple[int, bytes | None]]) -> None:
        done = importer.take(
            lines,
            limits=limits,
            max_json_depth=settings.MAX_JSON_DEPTH,
            max_line_bytes=settings.MAX_BODY_BYTES,
        )
        REVISIONS.labels("import").inc(done.created)

    stream = request.stream().__aiter__()
    while True:
        try:
            # A client that stops sending for this long holds no worker.
            async with asyncio.timeout(settings.BODY_READ_TIMEOUT_SECONDS):
                chunk = await anext(stream, None)
        except TimeoutError:
            raise RequestTimeout(
                f"No part of the body arrived for {settings.BODY_READ_TIMEOUT_SECONDS:g} s; "
                f"{importer.report.lines} lines were handled before (resend with the same "
                "Idempotency-Key to skip those applied)",
                headers={"Connection": "close"},
            ) from None
        pieces = inflate(gzip, chunk) if gzip is not None else iter([chunk])
        try:
            for piece in pieces:  # lazily: a small chunk may inflate to a great deal
                lines = splitter.close() if piece is None else splitter.feed(piece)
                for line in lines:
                    pending.append(line)
                    size += len(line[1] or b"")
                    if len(pending) >= BATCH_LINES or size >= BATCH_BYTES:
                        await run_in_threadpool(apply, pending)
                        pending, size = [], 0
                if pending and piece is None:
                    await run_in_threadpool(apply, pending)
                    pending, size = [], 0
        except zlib.error as exc:
            raise InvalidInput(
                f"The body is not valid gzip ({exc}); {importer.report.lines} lines were "
                "handled before it broke off"
            ) from exc
        if chunk is None:
            break
    return views.import_result(importer.report)
