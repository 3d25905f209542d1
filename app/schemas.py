"""The wire contract (Pydantic). openapi.yaml is generated from these."""

import re
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from app.engine import EditClass, FeedKind, Granularity, Kind, Op, SectionOp, SegmentOp, Summary

ARTICLE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._~:-]{0,199}$"
ARTICLE_ID_RE = re.compile(ARTICLE_ID_PATTERN)

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )


class RevisionCreate(BaseModel):
    """A revision as the CMS sends it: exactly one of text, html or markdown."""

    model_config = ConfigDict(extra="ignore")

    text: str | None = Field(None, description="Plain text; paragraphs by blank lines or lines.")
    html: str | None = Field(None, description="HTML: an article body or a whole page.")
    markdown: str | None = Field(None, description="CommonMark Markdown.")
    title: str | None = Field(None, max_length=1000)
    url: str | None = Field(None, max_length=2000)
    published_at: AwareDatetime | None = Field(None, description="RFC 3339, with a time zone.")
    source_revision_id: str | None = Field(None, max_length=200)
    metadata: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _one_body(self) -> "RevisionCreate":
        given = [k for k in ("text", "html", "markdown") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "send exactly one of 'text', 'html' or 'markdown'"
                + (f" (got {', '.join(given)})" if given else "")
            )
        return self


class PublishPayload(RevisionCreate):
    """The publish web-hook's payload: a revision plus the article it belongs to."""

    article_id: str = Field(pattern=ARTICLE_ID_PATTERN)


class BlockRead(BaseModel):
    kind: Kind
    text: str


class TitleChange(BaseModel):
    old: str
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


class DiffRead(BaseModel):
    article_id: str | None = None
    from_revision: int | None = None
    to_revision: int | None = None
    summary: Summary
    blocks: list[DiffBlock]
    sections: list[DiffSection]
    headings: HeadingChanges


class DiffCreate(BaseModel):
    old: str = Field(max_length=10_000_000)
    new: str = Field(max_length=10_000_000)
    granularity: Granularity = "word"


class Health(BaseModel):
    status: str
    database: str | None = None
    migration: str | None = None


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    code: str
