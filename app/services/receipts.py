"""At-most-once processing for retried requests (web-hook ids, Idempotency-Key).

A receipt is claimed in the request's own transaction, so a request that fails
leaves no receipt and can be retried. It remembers which revision the request
produced; a retry is answered from that revision, exactly as the first time.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from app import storage
from app.errors import InvalidInput
from app.models import Receipt

# Runs of POST /v1/import are named by their Idempotency-Key under this prefix; their
# cursors are forgotten with the receipts.
API_RUN_PREFIX = "api:"


@dataclass(frozen=True, slots=True)
class Claim:
    """A key for one logical request, with a fingerprint of what was sent under it."""

    key: str
    fingerprint: str


def _fingerprint(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def for_webhook(message_id: str, body: bytes) -> Claim:
    """A publish web-hook delivery, keyed by its `webhook-id`."""
    return Claim(f"webhook:{message_id}", _fingerprint(body))


def for_idempotency_key(article_id: str, key: str, content_type: str, body: bytes) -> Claim:
    """A direct ingest call with an `Idempotency-Key` (scoped to the article)."""
    return Claim(f"idem:{article_id}:{key}", _fingerprint(content_type.encode(), body))


def claim(session: Session, claim: Claim, now: datetime) -> Receipt | None:
    """Claim the key; returns the earlier, completed receipt when the key was used before.

    Reusing a key for a different request is the caller's mistake: 422.
    """
    earlier = storage.claim_receipt(session, claim.key, claim.fingerprint, now)
    if earlier is not None and earlier.request_sha256 != claim.fingerprint:
        raise InvalidInput(
            "This idempotency key was already used with a different request body; "
            "use a new key for a new request"
        )
    return earlier


def complete(
    session: Session, claim: Claim, *, status: int, article_id: str, revision: int, created: bool
) -> None:
    storage.complete_receipt(
        session,
        claim.key,
        status,
        {"article_id": article_id, "revision": revision, "created": created},
    )


def purge_expired(session: Session, *, now: datetime, retention: timedelta) -> int:
    """Forget receipts older than `retention`, and the cursors of HTTP imports (keyed by
    their Idempotency-Key too) not written for as long; returns how many were removed."""
    removed = storage.purge_receipts(session, now - retention)
    return removed + storage.purge_import_cursors(session, API_RUN_PREFIX, now - retention)
