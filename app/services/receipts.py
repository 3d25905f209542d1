"""At-most-once processing for retried requests (web-hook ids, Idempotency-Key)."""

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from app import storage
from app.errors import InvalidInput


def fingerprint(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def once(
    session: Session,
    *,
    key: str,
    request_sha256: str,
    now: datetime,
    retention: timedelta,
    run: Callable[[], tuple[int, dict[str, Any]]],
) -> tuple[int, dict[str, Any], bool]:
    """Run `run` once per key; later requests with the key get the stored answer.

    Returns (status, body, replayed). The receipt is written in the caller's
    transaction, so a failed request leaves no receipt and can be retried.
    """
    storage.purge_receipts(session, now - retention)
    earlier = storage.claim_receipt(session, key, request_sha256, now)
    if earlier is not None:
        if earlier.request_sha256 != request_sha256:
            raise InvalidInput(
                "This idempotency key was already used with a different request body; "
                "use a new key for a new request"
            )
        return earlier.status_code, earlier.response, True
    status, body = run()
    storage.complete_receipt(session, key, status, body)
    return status, body, False
