"""ORM tables. Revisions are immutable once written; changes are derived at ingest."""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import JSON, TypeDecorator, TypeEngine

from app.db import Base, BigId, JSONType, UTCDateTime, only_on
from app.engine import ChangeRecord

# Characters in a receipt key or an import run name (storage.fit_key shortens longer ones).
KEY_WIDTH = 300
API_KEY_NAME_WIDTH = 100  # characters in an API key's name (keys.create_key checks it)


class ChangeRecordJSON(TypeDecorator[ChangeRecord]):
    """The engine's ChangeRecord, stored as its JSON form (JSONB on PostgreSQL)."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(JSONB() if dialect.name == "postgresql" else JSON())

    def process_bind_param(
        self, value: ChangeRecord | None, dialect: Dialect
    ) -> dict[str, Any] | None:
        return None if value is None else value.to_json()

    def process_result_value(
        self, value: dict[str, Any] | None, dialect: Dialect
    ) -> ChangeRecord | None:
        return None if value is None else ChangeRecord.from_json(value)


class Article(Base):
    __tablename__ = "article"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    latest_revision_no: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_article_activity", "updated_at", "id"),)


class Revision(Base):
    __tablename__ = "revision"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    article_id: Mapped[int] = mapped_column(BigId, ForeignKey("article.id", ondelete="CASCADE"))
    revision_no: Mapped[int] = mapped_column(Integer)
    content_sha256: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    blocks: Mapped[list[dict[str, str]]] = mapped_column(JSONType)  # Block.to_dict()
    # Per block [origin_revision, text_revision], carried forward at ingest.
    provenance: Mapped[list[list[int]]] = mapped_column(JSONType)
    original_body: Mapped[bytes] = mapped_column(LargeBinary)  # zlib-compressed, as received
    original_media_type: Mapped[str] = mapped_column(String(100))
    title: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    source_revision_id: Mapped[str | None] = mapped_column(String(200))
    # Plain JSON, not JSONB, on PostgreSQL: it stores what the CMS sent, "\u0000" included.
    meta: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSON())
    revert_of: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        UniqueConstraint("article_id", "revision_no"),
        Index("ix_revision_article_sha", "article_id", "content_sha256"),
        # SQLite: a history or revision listing read from the index alone. SQLite keeps a
        # row's columns in one record and these come after the text and blocks, so the
        # table itself is read by walking each revision's overflow pages (a 500-revision
        # history: 5.1 → 0.9 ms). PostgreSQL keeps large values apart (TOAST).
        only_on(
            "sqlite",
            Index(
                "ix_revision_listing",
                "article_id",
                "revision_no",
                "content_sha256",
                "received_at",
                "published_at",
                "title",
                "source_revision_id",
                "revert_of",
            ),
        ),
    )


class Change(Base):
    """The stored record of the diff of one revision against the previous one."""

    __tablename__ = "change"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    article_id: Mapped[int] = mapped_column(BigId, ForeignKey("article.id", ondelete="CASCADE"))
    revision_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("revision.id", ondelete="CASCADE"), unique=True
    )
    revision_no: Mapped[int] = mapped_column(Integer)
    from_revision_no: Mapped[int | None] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    kinds: Mapped[list[str]] = mapped_column(JSONType)
    significance: Mapped[float] = mapped_column(Float)
    record: Mapped[ChangeRecord] = mapped_column(ChangeRecordJSON())
    # ENGINE_VERSION of the engine that computed this record (and the revision's
    # provenance); "0": before versions were recorded. `python -m app rebuild`
    # recomputes every record an older engine made.
    engine_version: Mapped[str] = mapped_column(String(20))

    __table_args__ = (
        Index("ix_change_feed", "received_at", "id"),
        Index("ix_change_article_feed", "article_id", "received_at", "id"),
        Index("ix_change_engine_version", "engine_version", "article_id"),
    )


class ChangeKind(Base):
    """One row per (change, kind): lets the feed filter by kind through an index."""

    __tablename__ = "change_kind"

    change_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("change.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_change_kind_feed", "kind", "received_at", "change_id"),)


class Receipt(Base):
    """A processed request keyed by web-hook id or Idempotency-Key, replayed on retries."""

    __tablename__ = "receipt"

    key: Mapped[str] = mapped_column(String(KEY_WIDTH), primary_key=True)
    request_sha256: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class ApiKey(Base):
    """An API key: only its SHA-256 digest is stored, never the key."""

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(API_KEY_NAME_WIDTH))
    prefix: Mapped[str] = mapped_column(String(20))  # the key's visible start, to recognise it
    digest: Mapped[str] = mapped_column(String(64), unique=True)  # hex SHA-256 of the key
    scope: Mapped[str] = mapped_column(String(10))  # read | write | admin
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ImportCursor(Base):
    """How far a bulk import run got in each article: the last line number applied.

    Written in the transaction that applies the lines, so a run started again
    skips exactly what is stored and duplicates nothing.
    """

    __tablename__ = "import_cursor"

    run: Mapped[str] = mapped_column(String(KEY_WIDTH), primary_key=True)
    article_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("article.id", ondelete="CASCADE"), primary_key=True
    )
    line_no: Mapped[int] = mapped_column(BigId)
    # Cursors of HTTP imports (run "api:<Idempotency-Key>") are forgotten with the
    # receipts, RECEIPT_RETENTION_HOURS after their last write (None: before 0005).
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)


class Subscription(Base):
    """A receiver of signed change events: where, which changes, and its signing secret.

    The secret is kept as given to the subscriber (it signs every delivery); after
    a rotation the previous one also signs until `previous_secret_until`.
    """

    __tablename__ = "subscription"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    # The filter: every part given must match (None: any).
    article_ids: Mapped[list[str] | None] = mapped_column(JSONType)
    article_prefix: Mapped[str | None] = mapped_column(String(200))
    kinds: Mapped[list[str] | None] = mapped_column(JSONType)
    min_significance: Mapped[float | None] = mapped_column(Float)
    secret: Mapped[str] = mapped_column(Text)
    previous_secret: Mapped[str | None] = mapped_column(Text)
    previous_secret_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Since when every delivery has failed (None: the last one succeeded); a
    # subscription failing for DELIVERY_PAUSE_AFTER_SECONDS is paused, saying why.
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paused_reason: Mapped[str | None] = mapped_column(Text)


class Delivery(Base):
    """The outbox: one event for one subscription, written in the transaction that
    stored its revision, then sent by a delivery worker.

    status: pending (to send, or being sent while `lease_until` is ahead), delivered,
    or dead (every attempt failed). Within one subscription and article, a pending
    event goes out only when no earlier one is pending: revision order.
    """

    __tablename__ = "delivery"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("subscription.id", ondelete="CASCADE")
    )
    article_id: Mapped[int] = mapped_column(BigId, ForeignKey("article.id", ondelete="CASCADE"))
    revision_no: Mapped[int] = mapped_column(Integer)
    event_id: Mapped[str] = mapped_column(String(40), unique=True)  # webhook-id, kept on retries
    event_type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[str] = mapped_column(Text)  # the body sent, JSON text
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer)  # since it was (re)queued
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    leased_by: Mapped[str | None] = mapped_column(String(100))
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        # What a worker claims next, and whether an earlier event of the same
        # subscription and article is still pending: both over pending rows only.
        Index(
            "ix_delivery_due",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        Index(
            "ix_delivery_pending_order",
            "subscription_id",
            "article_id",
            "id",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        Index("ix_delivery_subscription", "subscription_id", "id"),
        Index("ix_delivery_created_at", "created_at"),  # the retention purge
        Index(  # the dead-letter count on /metrics
            "ix_delivery_dead",
            "id",
            postgresql_where=text("status = 'dead'"),
            sqlite_where=text("status = 'dead'"),
        ),
    )


class DeliveryAttempt(Base):
    """One try at sending a delivery: when, how long, and what came back."""

    __tablename__ = "delivery_attempt"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("delivery.id", ondelete="CASCADE"), index=True
    )
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    duration_ms: Mapped[float] = mapped_column(Float)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    worker: Mapped[str] = mapped_column(String(100))  # which worker tried
