"""Prometheus metrics: every process's counters, and the outbox backlog."""

from datetime import UTC, datetime

from fastapi import APIRouter, Response

from app.api.access import ReadAccess
from app.api.deps import SessionDep, problems
from app.api.schemas_openapi import text_response
from app.observability import render_metrics
from app.services import notifications

router = APIRouter(tags=["health"])


@router.get(
    "/metrics",
    response_class=Response,
    responses=text_response("text/plain", "Prometheus text exposition format")
    | problems(401, 403, 429),
    dependencies=[ReadAccess],
)
def get_metrics(session: SessionDep) -> Response:
    """Requests by route and status, latencies, revisions stored, diff times and sizes,
    degraded diffs, deliveries by outcome, the outbox backlog (read scope)."""
    body, media_type = render_metrics(lambda: notifications.backlog(session, datetime.now(UTC)))
    return Response(body, media_type=media_type)
