"""Subscriptions, and the events they are owed: written to the outbox (table
`delivery`) in the transaction that stores the revision, sent later by a
delivery worker (services.delivery).

A subscription's filter is a conjunction of the parts it sets: `article_ids`
(any of these CMS ids) or `article_prefix`, `kinds` (any of these change
kinds, as in the change feed), `min_significance`. An article's first revision
has no change record, so it matches only filters without kinds or significance.

Events follow the Standard Webhooks payload shape: {"type", "timestamp",
"data"}. Types: `revision.created` for every stored revision (single ingest and
bulk import alike), `change.rederived` when `python -m app rebuild` moves a
stored record's kinds or significance. Links in `data.links` are paths on this
service.
"""

import base64
import ipaddress
import re
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import orjson
from sqlalchemy.orm import Session

from app import storage
from app.engine import FEED_KINDS
from app.errors import InvalidInput, NotFound
from app.models import Change, Delivery, Revision, Subscription
from app.schemas import TARGET_URL_PATTERN, change_json

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
EVENT_CREATED = "revision.created"
EVENT_REDERIVED = "change.rederived"


def new_secret() -> str:
    """A Standard Webhooks signing secret: 'whsec_' and base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


@dataclass(frozen=True, slots=True)
class Filter:
    article_ids: list[str] | None = None
    article_prefix: str | None = None
    kinds: list[str] | None = None
    min_significance: float | None = None


def check_target(url: str, *, block_private: bool) -> str:
    """A subscriber URL: absolute http(s), with a host, no credentials, no fragment;
    with `block_private`, not a loopback or private address written out (names are
    resolved and checked again at every delivery)."""
    try:
        parts = httpx.URL(url)
        host = parts.raw_host.decode("ascii")  # as sent (IDNs in their xn-- form)
    except (httpx.InvalidURL, ValueError):  # IDNA errors are ValueErrors too
        raise InvalidInput("url: not a valid URL") from None
    if parts.scheme not in ("http", "https"):
        raise InvalidInput("url: must start with http:// or https://")
    if parts.userinfo:
        raise InvalidInput(
            "url: holds credentials; leave them out (each delivery is signed with the "
            "subscription's secret, which the receiver verifies)"
        )
    if parts.fragment or "#" in url:
        raise InvalidInput("url: a fragment (#…) is never sent; leave it out")
    if parts.port is not None and not 1 <= parts.port <= 65535:
        raise InvalidInput("url: the port must be a number from 1 to 65535")
    if not _TARGET_URL.match(url):
        raise InvalidInput(
            "url: write it as http(s)://host[:port][/path][?query] with an ASCII host name "
            "(IDNs in their xn-- form) or an IPv4 address"
        )
    if block_private and _private_host(host):
        raise InvalidInput(
            f"url: {host} is not a public address; this server refuses private "
            "targets (BLOCK_PRIVATE_TARGETS)"
        )
    return url


_TARGET_URL = re.compile(TARGET_URL_PATTERN)


def _private_host(host: str) -> bool:
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        return not ipaddress.ip_address(host).is_global
    except ValueError:  # a name
        return False


def create_subscription(
    session: Session,
    *,
    url: str,
    description: str | None,
    filter: Filter,
    now: datetime,
    block_private: bool,
) -> Subscription:
    subscription = Subscription(
        url=check_target(url, block_private=block_private),
        description=_checked_description(description),
        secret=new_secret(),
        created_at=now,
    )
    _set_filter(subscription, filter)
    storage.add(session, subscription)
    return subscription


def update_subscription(
    session: Session,
    subscription_id: int,
    changes: dict[str, Any],
    *,
    block_private: bool,
) -> Subscription:
    """Replace the fields given in `changes` (url, description, filter: a filter is
    replaced whole); the secret stays. Events not yet delivered go to the new URL."""
    subscription = require_subscription(session, subscription_id)
    if "url" in changes:
        subscription.url = check_target(changes["url"], block_private=block_private)
    if "description" in changes:
        subscription.description = _checked_description(changes["description"])
    if "filter" in changes:
        _set_filter(subscription, changes["filter"])
    session.flush()
    return subscription


def _checked_description(description: str | None) -> str | None:
    if description is not None and "\x00" in description:
        raise InvalidInput("description: must not contain NUL (\\u0000) characters")
    return description


def _set_filter(subscription: Subscription, filter: Filter) -> None:
    if filter.article_ids is not None and filter.article_prefix is not None:
        raise InvalidInput("filter: give article_ids or article_prefix, not both")
    unknown = sorted(set(filter.kinds or ()) - set(FEED_KINDS))
    if unknown:
        raise InvalidInput(f"filter.kinds: unknown {', '.join(unknown)}")
    subscription.article_ids = filter.article_ids
    subscription.article_prefix = filter.article_prefix
    subscription.kinds = filter.kinds
    subscription.min_significance = filter.min_significance


def require_subscription(session: Session, subscription_id: int) -> Subscription:
    subscription = storage.get_subscription(session, subscription_id)
    if subscription is None:
        raise NotFound(f"No subscription {subscription_id}")
    return subscription


def list_subscriptions(
    session: Session, *, after_id: int, limit: int
) -> tuple[Sequence[Subscription], int | None]:
    rows = storage.list_subscriptions(session, after_id, limit + 1)
    page = rows[:limit]
    return page, page[-1].id if len(rows) > limit else None


def delete_subscription(session: Session, subscription_id: int) -> None:
    storage.delete_subscription(session, require_subscription(session, subscription_id))


def rotate_secret(
    session: Session, subscription_id: int, *, now: datetime, grace: timedelta
) -> Subscription:
    """A new secret; the one it replaces also signs deliveries for `grace`."""
    subscription = require_subscription(session, subscription_id)
    subscription.previous_secret = subscription.secret
    subscription.previous_secret_until = now + grace
    subscription.secret = new_secret()
    session.flush()
    return subscription


def resume(session: Session, subscription_id: int, *, now: datetime) -> Subscription:
    """Deliver again to a paused subscription: its waiting events are due now."""
    subscription = require_subscription(session, subscription_id)
    subscription.paused_at = None
    subscription.paused_reason = None
    subscription.failing_since = None
    storage.resume_deliveries(session, subscription.id, now)
    session.flush()
    return subscription


def signing_secrets(subscription: Any, now: datetime) -> list[str]:
    """The secrets that sign a delivery now: the current one, and the previous one
    during its grace period (receivers verify either)."""
    found = [subscription.secret]
    until = subscription.previous_secret_until
    if subscription.previous_secret and until is not None and now < until:
        found.append(subscription.previous_secret)
    return found


def matches(subscription: Any, article_id: str, change: Change | None) -> bool:
    """Whether a subscription's filter (a Subscription, or a row of its filter
    columns) takes this revision."""
    if subscription.article_ids is not None and article_id not in subscription.article_ids:
        return False
    if subscription.article_prefix is not None and not article_id.startswith(
        subscription.article_prefix
    ):
        return False
    if subscription.kinds and (change is None or not set(change.kinds) & set(subscription.kinds)):
        return False
    return subscription.min_significance is None or (
        change is not None and change.significance >= subscription.min_significance
    )


def event_body(
    event_type: str, now: datetime, article_id: str, revision: Revision, change: Change | None
) -> str:
    """The JSON text sent for one event (the same bytes on every attempt)."""
    base = f"/v1/articles/{article_id}"
    number = revision.revision_no
    data = {
        "article_id": article_id,
        "revision": number,
        "received_at": revision.received_at,
        "published_at": revision.published_at,
        "title": revision.title,
        "url": revision.url,
        "change": None
        if change is None
        else change_json(change.from_revision_no, change.record.to_json()),
        "links": {
            "revision": f"{base}/revisions/{number}",
            "diff": None
            if change is None
            else f"{base}/diff?from={change.from_revision_no}&to={number}",
            "history": f"{base}/history",
        },
    }
    body = {"type": event_type, "timestamp": now, "data": data}
    return orjson.dumps(body, option=orjson.OPT_UTC_Z).decode()


def enqueue(
    session: Session,
    stored: Sequence[tuple[str, Revision, Change | None]],
    *,
    now: datetime,
    event_type: str = EVENT_CREATED,
    targets: Sequence[storage.SubscriptionFilter] | None = None,
) -> int:
    """Write the events owed for stored revisions (article CMS id, revision, change)
    to the outbox, in the caller's transaction; how many were written. `targets`: the
    subscriptions' filters when the caller has read them (else they are read here)."""
    if not stored:
        return 0
    if targets is None:
        targets = storage.subscription_filters(session)
    if not targets:
        return 0
    rows: list[dict[str, Any]] = []
    for article_id, revision, change in stored:
        owed = [s for s in targets if matches(s, article_id, change)]
        if not owed:
            continue
        body = event_body(event_type, now, article_id, revision, change)
        rows.extend(
            {
                "subscription_id": s.id,
                "article_id": revision.article_id,
                "revision_no": revision.revision_no,
                "event_id": f"msg_{uuid.uuid4().hex}",
                "event_type": event_type,
                "payload": body,
                "created_at": now,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
            }
            for s in owed
        )
    storage.add_deliveries(session, rows)
    return len(rows)


def list_deliveries(
    session: Session,
    subscription_id: int,
    *,
    before_id: int | None,
    status: str | None,
    limit: int,
) -> tuple[list[tuple[Delivery, str, list[Any]]], int | None]:
    """A subscription's deliveries, newest first, each with its article's CMS id and
    its attempts (oldest first); the id to continue before, if there is more."""
    require_subscription(session, subscription_id)
    rows = storage.list_deliveries(
        session, subscription_id, before_id=before_id, status=status, limit=limit + 1
    )
    page = rows[:limit]
    attempts = storage.delivery_attempts(session, [d.id for d, _ in page])
    more = len(rows) > limit
    return [(d, ext, attempts[d.id]) for d, ext in page], page[-1][0].id if more else None


def purge_old_deliveries(session: Session, *, now: datetime, retention: timedelta) -> int:
    """Forget delivered and dead events older than `retention`; pending ones stay."""
    return storage.purge_deliveries(session, now - retention)


def backlog(session: Session, now: datetime) -> list[tuple[str, str, float]]:
    """Outbox gauges for /metrics: (name, help, value)."""
    pending, dead, oldest = storage.outbox_counts(session)
    age = (now - oldest).total_seconds() if oldest is not None else 0.0
    return [
        ("articlediff_outbox_pending", "Events waiting to be delivered", float(pending)),
        ("articlediff_outbox_dead", "Events whose every attempt failed (kept)", float(dead)),
        ("articlediff_outbox_oldest_pending_seconds", "Age of the oldest waiting event", age),
    ]


def retry_delivery(
    session: Session, subscription_id: int, delivery_id: int, *, now: datetime
) -> tuple[Delivery, str, list[Any]]:
    """Queue one delivery again (dead, delivered or waiting), due now, with a fresh
    retry schedule; it keeps its webhook-id."""
    found = storage.get_delivery(session, subscription_id, delivery_id)
    if found is None:
        raise NotFound(f"No delivery {delivery_id} for subscription {subscription_id}")
    delivery, article_id = found
    delivery.status = "pending"
    delivery.attempts = 0
    delivery.next_attempt_at = now
    delivery.delivered_at = None
    session.flush()
    return delivery, article_id, storage.delivery_attempts(session, [delivery.id])[delivery.id]
