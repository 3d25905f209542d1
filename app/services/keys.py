"""API keys: made, listed, revoked, and checked on every request that needs one.

A key is `adk_` and 43 characters of base64url (256 random bits). Only its
SHA-256 digest is stored, under a unique index: a request's key is hashed and
looked up by digest, then compared in constant time.
"""

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, get_args

from sqlalchemy.orm import Session

from app import storage
from app.errors import InvalidInput, NotFound
from app.models import API_KEY_NAME_WIDTH, ApiKey

Scope = Literal["read", "write", "admin"]
SCOPES: tuple[Scope, ...] = get_args(Scope)
KEY_PREFIX = "adk_"
VISIBLE_CHARS = 12  # "adk_" and 8 random characters, shown by `keys list`
# last_used_at is written at most this often per key, so reads stay reads.
TOUCH_INTERVAL = timedelta(seconds=60)


_RANK: dict[str, int] = {scope: rank for rank, scope in enumerate(SCOPES)}


def grants(held: str, needed: Scope) -> bool:
    """Scopes nest: write includes read, admin includes both.

    >>> grants("write", "read"), grants("read", "write"), grants("admin", "write")
    (True, False, True)
    """
    return _RANK.get(held, -1) >= _RANK[needed]


def digest_of(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class NewKey:
    key: ApiKey
    secret: str  # the key itself: shown once, never stored


def create_key(session: Session, *, name: str, scope: Scope, now: datetime) -> NewKey:
    if not name.strip():
        raise InvalidInput("A key needs a name: who or what uses it, e.g. cms")
    if len(name) > API_KEY_NAME_WIDTH:
        raise InvalidInput(
            f"A key's name is at most {API_KEY_NAME_WIDTH} characters, not {len(name)}"
        )
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(
        name=name,
        prefix=secret[:VISIBLE_CHARS],
        digest=digest_of(secret),
        scope=scope,
        created_at=now,
    )
    storage.add(session, row)
    return NewKey(row, secret)


def list_keys(session: Session) -> Sequence[ApiKey]:
    return storage.list_api_keys(session)


def revoke_key(session: Session, key_id: int, *, now: datetime) -> ApiKey:
    row = storage.get_api_key(session, key_id)
    if row is None:
        raise NotFound(f"No API key with id {key_id}; `keys list` shows them")
    if row.revoked_at is None:
        row.revoked_at = now
        session.flush()
    return row


def authenticate(session: Session, secret: str) -> ApiKey | None:
    """The live key whose secret this is, or None (unknown, malformed or revoked)."""
    if not secret.startswith(KEY_PREFIX) or len(secret) > 200:
        return None
    digest = digest_of(secret)
    row = storage.get_api_key_by_digest(session, digest)
    if row is None or not hmac.compare_digest(row.digest, digest) or row.revoked_at is not None:
        return None
    return row


def needs_touch(row: ApiKey, now: datetime) -> bool:
    return row.last_used_at is None or now - row.last_used_at >= TOUCH_INTERVAL


def touch(session: Session, key_id: int, now: datetime) -> None:
    storage.touch_api_key(session, key_id, now)
