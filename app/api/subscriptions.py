"""Subscriptions to change events, and their deliveries (admin keys only)."""

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.api import views
from app.api.access import AdminAccess
from app.api.body import load_json_body
from app.api.deps import (
    BodyDep,
    DeliveryId,
    IdCursor,
    Limit,
    SessionDep,
    SettingsDep,
    SubscriptionId,
    WriteSessionDep,
    problems,
)
from app.api.schemas_openapi import SUBSCRIPTION_BODY, SUBSCRIPTION_UPDATE_BODY
from app.schemas import (
    DeliveryRead,
    DeliveryStatus,
    Page,
    SecretRotated,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionRead,
    SubscriptionUpdate,
)
from app.services import notifications
from app.services.payloads import validate

router = APIRouter(prefix="/v1/subscriptions", tags=["subscriptions"], dependencies=[AdminAccess])
_ERRORS = problems(404, 422, 401, 403, 429)


@router.post(
    "",
    response_model=SubscriptionCreated,
    status_code=201,
    openapi_extra=SUBSCRIPTION_BODY,
    responses=problems(408, 413, 415, 422, 401, 403, 429),
)
def create_subscription(
    request: Request,
    response: Response,
    body: BodyDep,
    session: WriteSessionDep,
    settings: SettingsDep,
) -> SubscriptionCreated:
    """Subscribe a URL to change events; the answer holds its signing secret, once."""
    data = load_json_body(
        request.headers.get("content-type"), body, max_depth=settings.MAX_JSON_DEPTH
    )
    payload = validate(SubscriptionCreate, data)
    subscription = notifications.create_subscription(
        session,
        url=payload.url,
        description=payload.description,
        filter=notifications.Filter(**payload.filter.model_dump()),
        now=datetime.now(UTC),
        block_private=settings.BLOCK_PRIVATE_TARGETS,
    )
    session.commit()
    response.headers["Location"] = f"/v1/subscriptions/{subscription.id}"
    return SubscriptionCreated(
        **views.subscription_read(subscription).model_dump(), secret=subscription.secret
    )


@router.get("", response_model=Page[SubscriptionRead], responses=problems(422, 401, 403, 429))
def list_subscriptions(
    session: SessionDep, limit: Limit = 50, cursor: IdCursor = None
) -> Page[SubscriptionRead]:
    """Every subscription, oldest first (secrets are never shown again)."""
    rows, last = notifications.list_subscriptions(session, after_id=int(cursor or 0), limit=limit)
    return Page(
        items=[views.subscription_read(s) for s in rows],
        next_cursor=None if last is None else str(last),
    )


@router.get("/{subscription_id}", response_model=SubscriptionRead, responses=_ERRORS)
def get_subscription(subscription_id: SubscriptionId, session: SessionDep) -> SubscriptionRead:
    """One subscription: its filter and whether deliveries are flowing."""
    return views.subscription_read(notifications.require_subscription(session, subscription_id))


@router.patch(
    "/{subscription_id}",
    response_model=SubscriptionRead,
    openapi_extra=SUBSCRIPTION_UPDATE_BODY,
    responses=problems(404, 408, 413, 415, 422, 401, 403, 429),
)
def update_subscription(
    subscription_id: SubscriptionId,
    request: Request,
    body: BodyDep,
    session: WriteSessionDep,
    settings: SettingsDep,
) -> SubscriptionRead:
    """Change a subscription's URL, description or filter (a filter given replaces the
    whole filter); its secret stays, and events not yet delivered go to the new URL."""
    data = load_json_body(
        request.headers.get("content-type"), body, max_depth=settings.MAX_JSON_DEPTH
    )
    payload = validate(SubscriptionUpdate, data)
    changes = {name: getattr(payload, name) for name in payload.model_fields_set}
    if payload.filter is not None:
        changes["filter"] = notifications.Filter(**payload.filter.model_dump())
    subscription = notifications.update_subscription(
        session, subscription_id, changes, block_private=settings.BLOCK_PRIVATE_TARGETS
    )
    session.commit()
    return views.subscription_read(subscription)


@router.delete("/{subscription_id}", status_code=204, responses=_ERRORS)
def delete_subscription(subscription_id: SubscriptionId, session: WriteSessionDep) -> Response:
    """Stop and forget a subscription, with its undelivered events."""
    notifications.delete_subscription(session, subscription_id)
    session.commit()
    return Response(status_code=204)


@router.post("/{subscription_id}/rotate-secret", response_model=SecretRotated, responses=_ERRORS)
def rotate_secret(
    subscription_id: SubscriptionId, session: WriteSessionDep, settings: SettingsDep
) -> SecretRotated:
    """A new signing secret; the old one also signs for SECRET_ROTATION_GRACE_HOURS."""
    subscription = notifications.rotate_secret(
        session,
        subscription_id,
        now=datetime.now(UTC),
        grace=timedelta(hours=settings.SECRET_ROTATION_GRACE_HOURS),
    )
    session.commit()
    assert subscription.previous_secret_until is not None
    return SecretRotated(
        secret=subscription.secret,
        previous_secret_valid_until=subscription.previous_secret_until,
    )


@router.post("/{subscription_id}/resume", response_model=SubscriptionRead, responses=_ERRORS)
def resume_subscription(
    subscription_id: SubscriptionId, session: WriteSessionDep
) -> SubscriptionRead:
    """Deliver again after a pause: waiting events go out now, in order."""
    subscription = notifications.resume(session, subscription_id, now=datetime.now(UTC))
    session.commit()
    return views.subscription_read(subscription)


@router.get("/{subscription_id}/deliveries", response_model=Page[DeliveryRead], responses=_ERRORS)
def list_deliveries(
    subscription_id: SubscriptionId,
    session: SessionDep,
    limit: Limit = 50,
    cursor: IdCursor = None,
    status: Annotated[DeliveryStatus | None, Query()] = None,
) -> Page[DeliveryRead]:
    """Events owed to a subscription, newest first, with every attempt's status code,
    error and time."""
    rows, last = notifications.list_deliveries(
        session,
        subscription_id,
        before_id=None if cursor is None else int(cursor),
        status=status,
        limit=limit,
    )
    return Page(
        items=[views.delivery_read(*row) for row in rows],
        next_cursor=None if last is None else str(last),
    )


@router.post(
    "/{subscription_id}/deliveries/{delivery_id}/retry",
    response_model=DeliveryRead,
    status_code=202,
    responses=_ERRORS,
)
def retry_delivery(
    subscription_id: SubscriptionId, delivery_id: DeliveryId, session: WriteSessionDep
) -> DeliveryRead:
    """Send one event again (dead, delivered or waiting), now, with the same webhook-id."""
    row = notifications.retry_delivery(session, subscription_id, delivery_id, now=datetime.now(UTC))
    session.commit()
    return views.delivery_read(*row)
