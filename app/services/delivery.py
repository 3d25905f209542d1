"""Sending the outbox: claim due deliveries under a lease, POST each one signed per
Standard Webhooks, record the attempt, and schedule a retry or give up.

A claim is a lease (`DELIVERY_LEASE_SECONDS`, longer than the request timeout):
while it runs no other worker takes the delivery, and a crashed worker's leases
simply expire. The webhook-id is the delivery's own, the same on every retry;
the timestamp and signature are made at each attempt. Failures (no answer, a
non-2xx status, a refused address) wait `DELIVERY_RETRY_SECONDS` in turn, each
stretched by up to a quarter at random so that retries of many events spread
out; after the last, the delivery is dead. A subscription whose deliveries
have all failed for `DELIVERY_PAUSE_AFTER_SECONDS` is paused, saying why.

Server-side request forgery: with `BLOCK_PRIVATE_TARGETS` the host is resolved
once, refused unless every address is global, and the request goes to that
address (the host name kept for TLS and the Host header). Redirects are never
followed.
"""

import ipaddress
import random
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.orm import Session
from standardwebhooks import Webhook

from app import storage
from app.models import DeliveryAttempt
from app.services.notifications import signing_secrets

USER_AGENT = "article-diff-webhooks/1"
ERROR_BODY_BYTES = 300  # of a refusing receiver's answer, kept with the attempt


@dataclass(frozen=True, slots=True)
class Policy:
    retry_seconds: tuple[float, ...]
    timeout: float
    lease: float
    pause_after: float
    block_private: bool


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    event_id: str
    payload: str
    attempts: int  # before this one
    subscription_id: int
    url: str
    secrets: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Outcome:
    status_code: int | None
    error: str | None
    duration_ms: float
    retry_after: float | None = None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def any_due(session: Session, now: datetime) -> bool:
    return storage.any_due_delivery(session, now)


def claim(
    session: Session, *, worker: str, now: datetime, lease: float, limit: int
) -> list[Claimed]:
    """Lease up to `limit` due deliveries (the caller commits at once)."""
    rows = storage.claim_deliveries(
        session, now=now, until=now + timedelta(seconds=lease), worker=worker, limit=limit
    )
    return [
        Claimed(
            row.id,
            row.event_id,
            row.payload,
            row.attempts,
            row.subscription_id,
            row.url,
            tuple(signing_secrets(row, now)),
        )
        for row in rows
    ]


class Refused(Exception):
    """A target this service will not call (BLOCK_PRIVATE_TARGETS)."""


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global


def pinned(url: str) -> tuple[httpx.URL, dict[str, str], dict[str, Any]]:
    """Where to connect for `url` when private targets are blocked: the URL with its
    host replaced by a public address it resolves to, the Host header, and the TLS
    server name; Refused if the host resolves to any address that is not global."""
    target = httpx.URL(url)
    host = target.raw_host.decode("ascii")
    port = target.port or (443 if target.scheme == "https" else 80)
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise Refused(f"cannot resolve {host}: {exc}") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
    private = [a for a in addresses if not _is_public(a)]
    if not addresses or private:
        raise Refused(
            f"{host} resolves to {', '.join(private) or 'nothing'}, not a public address "
            "(BLOCK_PRIVATE_TARGETS is on)"
        )
    headers = {"Host": target.netloc.decode("ascii")}
    extensions = {"sni_hostname": host} if target.scheme == "https" else {}
    return target.copy_with(host=addresses[0]), headers, extensions


def sign(claimed: Claimed, at: datetime) -> dict[str, str]:
    """The Standard Webhooks headers for one attempt at `at` (aware, UTC): one
    signature per live secret, space-separated."""
    signatures = " ".join(
        Webhook(secret).sign(claimed.event_id, at, claimed.payload) for secret in claimed.secrets
    )
    return {
        "webhook-id": claimed.event_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signatures,
    }


def send(client: httpx.Client, claimed: Claimed, policy: Policy) -> Outcome:
    """One attempt: POST the event; what came back (never raises for the receiver's
    faults)."""
    started = time.perf_counter()

    def took() -> float:
        return round((time.perf_counter() - started) * 1000, 1)

    try:
        if policy.block_private:
            url, headers, extensions = pinned(claimed.url)
        else:
            url, headers, extensions = httpx.URL(claimed.url), {}, {}
        headers |= sign(claimed, datetime.now(UTC))
        headers |= {"Content-Type": "application/json", "User-Agent": USER_AGENT}
        with client.stream(
            "POST",
            url,
            content=claimed.payload.encode(),
            headers=headers,
            extensions=extensions,
            timeout=policy.timeout,
        ) as response:
            if 200 <= response.status_code < 300:
                return Outcome(response.status_code, None, took())
            return Outcome(
                response.status_code,
                _refusal(response),
                took(),
                _retry_after(response.headers.get("retry-after")),
            )
    except Refused as exc:
        return Outcome(None, f"refused: {exc}", took())
    except httpx.TimeoutException:
        return Outcome(None, f"no answer within {policy.timeout:g} s", took())
    except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
        return Outcome(None, f"{exc.__class__.__name__}: {exc}"[:500], took())


def _refusal(response: httpx.Response) -> str:
    what = f"HTTP {response.status_code}"
    if 300 <= response.status_code < 400:
        return f"{what}: redirects are not followed; subscribe the final URL"
    head = b""
    for chunk in response.iter_bytes():
        head += chunk
        if len(head) >= ERROR_BODY_BYTES:
            break
    text = head[:ERROR_BODY_BYTES].decode("utf-8", "replace").strip()
    return f"{what}: {text}" if text else what


def _retry_after(value: str | None) -> float | None:
    return float(value) if value and value.isascii() and value.isdigit() else None


def next_wait(
    attempts: int, policy: Policy, retry_after: float | None, rng: Callable[[], float]
) -> float | None:
    """Seconds before the next attempt after `attempts` failed ones (None: give up).

    >>> p = Policy((5, 30), 10, 60, 86400, False)
    >>> next_wait(1, p, None, lambda: 0.0), next_wait(2, p, None, lambda: 1.0)
    (5.0, 37.5)
    >>> next_wait(3, p, None, lambda: 0.0) is None, next_wait(1, p, 20, lambda: 0.0)
    (True, 20.0)
    """
    schedule = policy.retry_seconds
    if attempts > len(schedule):
        return None
    wait = schedule[attempts - 1] * (1 + rng() / 4)
    if retry_after is not None:  # the receiver asked for longer: up to the longest wait
        wait = max(wait, min(retry_after, max(schedule)))
    return float(wait)


def record(
    session: Session,
    claimed: Claimed,
    outcome: Outcome,
    *,
    worker: str,
    now: datetime,
    policy: Policy,
    rng: Callable[[], float] = random.random,
) -> str | None:
    """Store one attempt and what follows from it; the delivery's new status (None if
    this worker's lease was lost meanwhile: the attempt is kept, the state is not
    touched; or if the delivery was deleted with its subscription)."""
    delivery = storage.lock_delivery(session, claimed.id)
    subscription = storage.get_subscription(session, claimed.subscription_id)
    if delivery is None or subscription is None:
        return None
    session.add(
        DeliveryAttempt(
            delivery_id=claimed.id,
            attempted_at=now,
            duration_ms=outcome.duration_ms,
            status_code=outcome.status_code,
            error=outcome.error,
            worker=worker,
        )
    )
    if delivery.leased_by != worker:
        return None
    delivery.lease_until = None
    delivery.leased_by = None
    if outcome.delivered:
        delivery.status = "delivered"
        delivery.delivered_at = now
        subscription.failing_since = None
        return delivery.status
    delivery.attempts += 1
    wait = next_wait(delivery.attempts, policy, outcome.retry_after, rng)
    if wait is None:
        delivery.status = "dead"
    else:
        delivery.next_attempt_at = now + timedelta(seconds=wait)
    if subscription.failing_since is None:
        subscription.failing_since = now
    elif subscription.paused_at is None and now - subscription.failing_since >= timedelta(
        seconds=policy.pause_after
    ):
        subscription.paused_at = now
        subscription.paused_reason = (
            f"Every delivery since {subscription.failing_since:%Y-%m-%dT%H:%M:%SZ} failed; "
            f"the last: {outcome.error}. Fix the receiver, then POST "
            f"/v1/subscriptions/{subscription.id}/resume."
        )
    return delivery.status


def release(session: Session, worker: str, ids: Sequence[int]) -> None:
    """Give back claims never tried (a worker stopping)."""
    if ids:
        storage.release_deliveries(session, worker, ids)
