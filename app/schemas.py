"""The wire contract (Pydantic). openapi.yaml is generated from these."""

import re
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from app.engine import (
    VISIBLE_TEXT_PATTERN,
    EditClass,
    FeedKind,
    Granularity,
    Kind,
    Op,
    SectionOp,
    SegmentOp,
    Summary,
)

ARTICLE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._~:-]{0,199}$"

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )


NO_NUL_PATTERN = r"^[^\u0000]*$"
RFC3339_RE = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def _rfc3339(value: object) -> object:
    """Only RFC 3339 strings are times here (pydantic alone would take 0.5 as a Unix time)."""
    if isinstance(value, str) and RFC3339_RE.match(value):
        return value
    if isinstance(value, datetime):
        return value
    raise ValueError(
        "must be an RFC 3339 date-time with a zone, such as 2024-05-01T12:00:00Z "
        "(in a URL, write + as %2B)"
    )


def _in_utc_range(value: datetime) -> datetime:
    """A time that stays a date in UTC: its offset may not carry it past year 9999 or
    before year 1 (stored and compared in UTC, it would be an overflow, not a time)."""
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is outside the years 1 to 9999 once converted to UTC") from None
    return value


Rfc3339Datetime = Annotated[AwareDatetime, BeforeValidator(_rfc3339), AfterValidator(_in_utc_range)]
BODY_FIELDS = ("text", "html", "markdown")


def _body(description: str) -> Any:
    return Field(
        None,
        min_length=1,
        description=description,
        json_schema_extra={"pattern": VISIBLE_TEXT_PATTERN},
    )


def _no_nul(max_length: int) -> Any:
    return Field(max_length=max_length, json_schema_extra={"pattern": NO_NUL_PATTERN})


class _RevisionFields(BaseModel):
    """What every revision may carry besides its body."""

    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, _no_nul(1000)] | None = None
    url: Annotated[str, _no_nul(2000)] | None = None
    published_at: Rfc3339Datetime | None = Field(None, description="RFC 3339, with a time zone.")
    source_revision_id: Annotated[str, _no_nul(200)] | None = None
    metadata: dict[str, Any] | None = Field(
        None, description="Any JSON object (at most MAX_METADATA_BYTES as JSON)."
    )


class RevisionCreate(_RevisionFields):
    """A revision as the CMS sends it: exactly one of text, html or markdown."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"oneOf": [{"required": [f]} for f in BODY_FIELDS]},
    )

    text: str | SkipJsonSchema[None] = _body("Plain text; paragraphs by blank lines or lines.")
    html: str | SkipJsonSchema[None] = _body(
        "HTML: an article body or a whole page. Markup without any text is stored as an "
        "empty revision."
    )
    markdown: str | SkipJsonSchema[None] = _body("CommonMark Markdown.")

    @field_validator(*BODY_FIELDS, mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("must be a string; leave the field out instead of sending null")
        return value

    @model_validator(mode="after")
    def _one_body(self) -> "RevisionCreate":
        given = [k for k in BODY_FIELDS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "send exactly one of 'text', 'html' or 'markdown'"
                + (f" (got {', '.join(given)})" if given else "")
            )
        return self


_BODY_TEXT = Field(min_length=1, json_schema_extra={"pattern": VISIBLE_TEXT_PATTERN})


class TextRevision(_RevisionFields):
    """A revision sent as plain text: paragraphs by blank lines, or one per line."""

    text: str = _BODY_TEXT


class HtmlRevision(_RevisionFields):
    """A revision sent as HTML: an article body or a whole page (markup without text
    is stored as an empty revision)."""

    html: str = _BODY_TEXT


class MarkdownRevision(_RevisionFields):
    """A revision sent as CommonMark Markdown."""

    markdown: str = _BODY_TEXT


# How the JSON body is documented: exactly one of three shapes, so generated clients
# get a typed model for each. RevisionCreate validates the same rules with messages
# that say what to fix.
REVISION_VARIANTS: tuple[type[BaseModel], ...] = (TextRevision, HtmlRevision, MarkdownRevision)


class PublishPayload(RevisionCreate):
    """The publish web-hook's payload: a revision plus the article it belongs to.

    Fields other than these are ignored: CMS payloads carry more than the service reads.
    """

    model_config = ConfigDict(extra="ignore")

    article_id: str = Field(pattern=ARTICLE_ID_PATTERN)


class ImportLine(RevisionCreate):
    """One line of an NDJSON import: a revision plus the article it belongs to.

    Unlike the web-hook, unknown fields are refused: a typo in a backfill should
    fail its line, not be stored without the field.
    """

    article_id: str = Field(pattern=ARTICLE_ID_PATTERN)


class ImportFailure(BaseModel):
    line: int = Field(description="1-based line number in the NDJSON body")
    detail: str = Field(description="What is wrong with the line, and what to fix")


class ImportResult(BaseModel):
    created: int = Field(description="Revisions stored")
    unchanged: int = Field(description="Lines repeating their article's latest revision")
    skipped: int = Field(description="Lines an earlier run with this Idempotency-Key applied")
    failed: int
    failures: list[ImportFailure] = Field(
        description="The failed lines, in order (the first 1,000; `failed` counts all)"
    )


class BlockRead(BaseModel):
    kind: Kind
    text: str


class TitleChange(BaseModel):
    old: str | None = Field(description="null when the revision before had no title")
    new: str


class HeadingChanges(BaseModel):
    added: list[str] = []
    removed: list[str] = []
    changed: list[list[str]] = Field(default=[], description="[old, new] pairs")


class ChangeRead(BaseModel):
    """The stored record of the diff against the previous revision."""

    from_revision: int | None
    summary: Summary
    kinds: list[FeedKind]
    significance: float
    sections_added: list[str]
    sections_removed: list[str]
    headings: HeadingChanges
    edit_classes: list[EditClass]
    title_changed: TitleChange | None = None
    revert_of: int | None = None


_NO_COUNTS = asdict(Summary())


def change_json(from_revision: int | None, record: dict[str, Any]) -> dict[str, Any]:
    """ChangeRead's shape straight from a stored record's JSON (ChangeRecord.to_json),
    without building the record: what a long history is made of."""
    summary = record["summary"]
    return {
        "from_revision": from_revision,
        # Older records: fewer counts.
        "summary": summary if summary.keys() == _NO_COUNTS.keys() else {**_NO_COUNTS, **summary},
        "kinds": record["kinds"],
        "significance": record["significance"],
        "sections_added": record["sections_added"],
        "sections_removed": record["sections_removed"],
        "headings": record["headings"],
        "edit_classes": record["edit_classes"],
        "title_changed": record.get("title_changed"),
        "revert_of": record.get("revert_of"),
    }


class IngestResult(BaseModel):
    article_id: str
    revision: int
    created: bool
    content_sha256: str
    received_at: datetime
    revert_of: int | None = None
    change: ChangeRead | None


class ArticleRead(BaseModel):
    article_id: str
    title: str | None
    url: str | None
    latest_revision: int
    created_at: datetime
    updated_at: datetime


class RevisionSummary(BaseModel):
    revision: int
    content_sha256: str
    received_at: datetime
    published_at: datetime | None
    title: str | None
    source_revision_id: str | None = None
    revert_of: int | None = None
    change: ChangeRead | None


class RevisionRead(RevisionSummary):
    article_id: str
    url: str | None
    metadata: dict[str, Any] | None
    original_media_type: str
    text: str
    blocks: list[BlockRead]


class History(Page[RevisionSummary]):
    """An article's revisions with their change records, oldest first, paginated."""

    article_id: str


class FeedItem(BaseModel):
    article_id: str
    title: str | None = Field(default=None, description="The article's current title")
    revision: int
    from_revision: int | None
    received_at: datetime
    published_at: datetime | None
    kinds: list[FeedKind]
    significance: float
    summary: Summary
    sections_added: list[str]
    sections_removed: list[str]
    title_changed: TitleChange | None = None
    revert_of: int | None = None


class BlameBlock(BaseModel):
    index: int
    kind: str
    text: str
    origin_revision: int
    text_revision: int


class Blame(BaseModel):
    article_id: str
    revision: int
    blocks: list[BlameBlock]


class InlineSegment(BaseModel):
    op: SegmentOp
    text: str


class DiffBlock(BaseModel):
    op: Op
    kind: Kind
    old_index: int | None
    new_index: int | None
    old_text: str | None
    new_text: str | None
    inline: list[InlineSegment] | None = None


class DiffSection(BaseModel):
    op: SectionOp
    heading: str
    index: int
    blocks: int
    paragraphs: int
    words: int


class TitleDiff(BaseModel):
    """The titles in force at the two revisions compared (the last ones given)."""

    old: str | None = Field(description="null: no title had been given yet")
    new: str | None = Field(description="null: no title had been given yet")


class DiffRead(BaseModel):
    article_id: str | None = None
    from_revision: int | None = None
    to_revision: int | None = None
    title_changed: TitleDiff | None = Field(
        None, description="The two revisions' titles, when they differ (else null)"
    )
    summary: Summary
    blocks: list[DiffBlock]
    sections: list[DiffSection]
    headings: HeadingChanges


class DiffCreate(BaseModel):
    """Two texts to compare; nothing is stored."""

    model_config = ConfigDict(extra="forbid")

    old: str = Field(max_length=10_000_000)
    new: str = Field(max_length=10_000_000)
    input_format: Literal["text", "html", "markdown"] = Field(
        "text", description="How both texts are read, as for a stored revision"
    )
    granularity: Granularity = "word"


class Health(BaseModel):
    status: str
    database: str | None = None
    migration: str | None = None


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    """RFC 9457 problem details; `code` is stable, `detail` says what to fix."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    code: str
    errors: list[FieldError] | None = Field(
        None, description="For 422 on parameters: each invalid field"
    )


ArticleIdText = Annotated[str, Field(pattern=ARTICLE_ID_PATTERN)]


class SubscriptionFilter(BaseModel):
    """Which changes a subscription is told of: every part given must match."""

    # Not both article_ids and article_prefix (said in the schema, checked by the service).
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "not": {
                "required": ["article_ids", "article_prefix"],
                "properties": {
                    "article_ids": {"type": "array"},
                    "article_prefix": {"type": "string"},
                },
            }
        },
    )

    article_ids: list[ArticleIdText] | None = Field(
        None, min_length=1, max_length=1000, description="Only these articles (CMS ids)"
    )
    article_prefix: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        pattern=r"^[A-Za-z0-9._~:-]+$",
        description="Only articles whose id starts so (instead of article_ids)",
    )
    kinds: list[FeedKind] | None = Field(
        None,
        min_length=1,
        description="Only revisions with any of these kinds, as in the change feed "
        "(an article's first revision has none)",
    )
    min_significance: float | None = Field(
        None, ge=0, le=1, description="Only revisions at least this significant"
    )


_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_PORT = r"([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
# Every URL this matches is taken (a property test holds the service to it).
TARGET_URL_PATTERN = rf"^[Hh][Tt][Tt][Pp][Ss]?://{_LABEL}(\.{_LABEL})*(:{_PORT})?([/?][!\"$-~]*)?$"


class SubscriptionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # The pattern is documented here and enforced by the service, which first says
    # what is wrong in words (credentials, a fragment, a port out of range …).
    url: str = Field(
        max_length=2000,
        json_schema_extra={"pattern": TARGET_URL_PATTERN},
        description="Where events are POSTed: http:// or https://, a host name (IDNs in "
        "their xn-- form) or IPv4 address, no credentials, no fragment",
    )
    description: Annotated[str, _no_nul(500)] | None = None
    filter: SubscriptionFilter = Field(
        default_factory=lambda: SubscriptionFilter.model_validate({})
    )


class SubscriptionUpdate(BaseModel):
    """The fields to change; those left out stay. A filter given replaces the whole
    filter."""

    model_config = ConfigDict(extra="forbid")

    url: str | SkipJsonSchema[None] = Field(
        None, max_length=2000, json_schema_extra={"pattern": TARGET_URL_PATTERN}
    )
    description: Annotated[str, _no_nul(500)] | None = Field(None, description="null clears it")
    filter: SubscriptionFilter | SkipJsonSchema[None] = None

    @field_validator("url", "filter", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("leave the field out instead of sending null")
        return value


class SubscriptionRead(BaseModel):
    id: int
    url: str
    description: str | None
    filter: SubscriptionFilter
    created_at: datetime
    status: Literal["active", "paused"]
    failing_since: datetime | None = Field(
        description="Since when every delivery has failed; null after a success"
    )
    paused_at: datetime | None
    paused_reason: str | None = Field(description="Why deliveries stopped, and how to resume")
    previous_secret_valid_until: datetime | None = Field(
        description="After a rotation: until when the previous secret also signs"
    )


class SubscriptionCreated(SubscriptionRead):
    secret: str = Field(
        description="The signing secret (Standard Webhooks, whsec_…): shown only this once"
    )


class SecretRotated(BaseModel):
    secret: str = Field(description="The new signing secret: shown only this once")
    previous_secret_valid_until: datetime = Field(
        description="Until then deliveries carry signatures by both secrets"
    )


DeliveryStatus = Literal["pending", "delivered", "dead"]


class AttemptRead(BaseModel):
    attempted_at: datetime
    duration_ms: float
    status_code: int | None = Field(description="The receiver's status; null: no answer")
    error: str | None
    worker: str = Field(description="The worker that tried: host:pid:tag")


class DeliveryRead(BaseModel):
    id: int
    event_id: str = Field(description="The webhook-id header: the same on every attempt")
    event_type: str
    article_id: str
    revision: int
    status: DeliveryStatus
    created_at: datetime
    next_attempt_at: datetime | None = Field(description="When pending: the next try")
    delivered_at: datetime | None
    attempts: list[AttemptRead] = Field(description="Every attempt, oldest first")
