"""The CMS publish web-hook (Standard Webhooks)."""

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from app.api import views
from app.api.articles import revision_location
from app.api.body import load_json, to_new_revision, validate
from app.api.deps import BodyDep, SessionDep, SettingsDep, problems
from app.api.schemas_openapi import PUBLISH_BODY
from app.schemas import IngestResult, PublishPayload
from app.services import receipts
from app.services.hooks import header_subset, verify_publish
from app.services.ingest import ingest_revision

router = APIRouter(tags=["hooks"])


@router.post(
    "/v1/hooks/publish",
    response_model=IngestResult,
    status_code=201,
    openapi_extra=PUBLISH_BODY,
    responses=problems(401, 413, 422, 503),
)
def publish(
    request: Request, body: BodyDep, session: SessionDep, settings: SettingsDep
) -> JSONResponse:
    """Signed publish event from the CMS; a repeated webhook-id is acknowledged, not re-stored."""
    now = datetime.now(UTC)
    headers = header_subset(request.headers)
    verify_publish(
        body,
        headers,
        secrets=settings.webhook_secrets,
        tolerance=timedelta(seconds=settings.WEBHOOK_TOLERANCE_SECONDS),
        now=now,
    )
    payload = validate(PublishPayload, load_json(body))

    def run() -> tuple[int, dict[str, object]]:
        outcome = ingest_revision(
            session,
            article_id=payload.article_id,
            new=to_new_revision(payload),
            now=now,
            max_metadata_bytes=settings.MAX_METADATA_BYTES,
        )
        return (201 if outcome.created else 200), views.ingest_result(outcome).model_dump(
            mode="json"
        )

    status, result, replayed = receipts.once(
        session,
        key=f"webhook:{headers['webhook-id']}",
        request_sha256=receipts.fingerprint(body),
        now=now,
        retention=timedelta(hours=settings.RECEIPT_RETENTION_HOURS),
        run=run,
    )
    session.commit()
    location = revision_location(payload.article_id, result["revision"])
    extra = {"Location": location}
    if replayed:
        extra["X-Duplicate-Delivery"] = "true"
    return JSONResponse(result, status_code=status, headers=extra)
