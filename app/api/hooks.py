"""The CMS publish web-hook (Standard Webhooks)."""

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Request, Response

from app.api import views
from app.api.access import HookAccess
from app.api.body import load_json
from app.api.deps import BodyDep, SettingsDep, WriteSessionDep, problems
from app.api.schemas_openapi import PUBLISH_BODY
from app.observability import REVISIONS
from app.schemas import IngestResult, PublishPayload
from app.services import receipts
from app.services.content import ContentLimits
from app.services.hooks import header_subset, verify_publish
from app.services.ingest import ingest
from app.services.payloads import to_new_revision, validate

router = APIRouter(tags=["hooks"])


@router.post(
    "/v1/hooks/publish",
    response_model=IngestResult,
    status_code=201,
    openapi_extra=PUBLISH_BODY,
    responses=problems(401, 413, 422, 503, 429),
    dependencies=[HookAccess],
)
def publish(
    request: Request, body: BodyDep, session: WriteSessionDep, settings: SettingsDep
) -> Response:
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
    payload = validate(PublishPayload, load_json(body, max_depth=settings.MAX_JSON_DEPTH))
    outcome = ingest(
        session,
        article_id=payload.article_id,
        new=to_new_revision(payload),
        now=now,
        limits=ContentLimits.from_settings(settings),
        claim=receipts.for_webhook(headers["webhook-id"], body),
    )
    session.commit()
    if outcome.created and not outcome.replayed:
        REVISIONS.labels("hook").inc()
    return views.ingest_response(outcome)
