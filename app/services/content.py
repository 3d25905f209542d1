"""What a CMS sends, checked and parsed into an engine Document, within bounded work."""

import json
import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from app.engine import (
    VISIBLE_TEXT_PATTERN,
    Block,
    Document,
    NestingTooDeep,
    make_document,
    normalize_line,
    page_title,
    parse_html,
    parse_markdown,
    parse_text,
)
from app.errors import InvalidInput
from app.settings import Settings

BodyFormat = Literal["text", "html", "markdown"]
_VISIBLE = re.compile(VISIBLE_TEXT_PATTERN)
MEDIA_TYPES: dict[BodyFormat, str] = {
    "text": "text/plain",
    "html": "text/html",
    "markdown": "text/markdown",
}


@dataclass(frozen=True, slots=True)
class ContentLimits:
    """How much one request may ask of the parser and the engine."""

    max_metadata_bytes: int = 16 * 1024
    max_blocks: int = 50_000
    max_html_depth: int = 256
    max_markdown_bytes: int = 512 * 1024

    @classmethod
    def from_settings(cls, settings: Settings) -> "ContentLimits":
        return cls(
            max_metadata_bytes=settings.MAX_METADATA_BYTES,
            max_blocks=settings.MAX_BLOCKS,
            max_html_depth=settings.MAX_HTML_DEPTH,
            max_markdown_bytes=settings.MAX_MARKDOWN_BYTES,
        )


@dataclass(frozen=True, slots=True)
class NewRevision:
    body_format: BodyFormat
    body: str
    title: str | None = None
    url: str | None = None
    published_at: datetime | None = None
    source_revision_id: str | None = None
    metadata: dict[str, Any] | None = None

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.body_format]


def _check_string(name: str, value: str | None) -> None:
    if value is None:
        return
    if "\x00" in value:
        raise InvalidInput(f"{name}: contains a NUL character; remove it")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidInput(f"{name}: is not valid Unicode (unpaired surrogate)") from exc


def check_revision(new: NewRevision, limits: ContentLimits) -> None:
    """Refuse what cannot be stored faithfully, with a message that says what to fix."""
    _check_string(new.body_format, new.body)
    if not _VISIBLE.match(new.body):
        raise InvalidInput(
            f"{new.body_format}: is empty or holds only white space; send the article"
        )
    for name in ("title", "url", "source_revision_id"):
        _check_string(name, getattr(new, name))
    if new.metadata is not None:
        # Stored as JSON text, where a NUL is the escape "\\u0000": only surrogates are refused.
        encoded = json.dumps(new.metadata, ensure_ascii=False)
        try:
            size = len(encoded.encode())
        except UnicodeEncodeError as exc:
            raise InvalidInput("metadata: is not valid Unicode (unpaired surrogate)") from exc
        if size > limits.max_metadata_bytes:
            raise InvalidInput(
                f"metadata: {size} bytes as JSON; at most {limits.max_metadata_bytes} are accepted"
            )


def _check_markdown_size(body: str, limit: int) -> None:
    size = len(body) if len(body) > limit else len(body.encode("utf-8", "surrogatepass"))
    if size > limit:
        raise InvalidInput(
            f"markdown: {size} bytes or more; at most {limit} are parsed as Markdown "
            "(MAX_MARKDOWN_BYTES); send a longer article as HTML or text"
        )


def parse_body(body: str, body_format: BodyFormat, limits: ContentLimits) -> tuple[Block, ...]:
    """Blocks of a body, refused (422) when it nests too deep or holds too many blocks,
    or is Markdown past its size limit."""
    try:
        if body_format == "html":
            blocks = parse_html(body, max_depth=limits.max_html_depth)
        elif body_format == "markdown":
            _check_markdown_size(body, limits.max_markdown_bytes)
            blocks = parse_markdown(body, max_html_depth=limits.max_html_depth)
        else:
            blocks = parse_text(body)
    except NestingTooDeep as exc:
        raise InvalidInput(
            f"{body_format}: markup {exc}; flatten the markup or send the text"
        ) from exc
    if len(blocks) > limits.max_blocks:
        raise InvalidInput(
            f"{body_format}: holds {len(blocks)} paragraphs and headings; at most "
            f"{limits.max_blocks} are accepted (MAX_BLOCKS)"
        )
    return blocks


def read_revision(new: NewRevision, limits: ContentLimits) -> tuple[NewRevision, Document]:
    """`new` checked, and its body parsed into a Document. Its title is normalized
    as a line (spaces, invisible characters: re-typing one is no change), and one
    left empty is no title sent. A whole HTML page sent without a title has the
    headline it gives itself (og:title, else <title>): a raw page has no other way
    to send one, and its headline changes are changes.

    HTML or Markdown that is all markup (an embed, a video) is a revision without
    blocks: an article emptied is a change worth keeping, and the body as sent is
    kept with it. (Plain text with a visible character, which check_revision
    demands, always has a block.)"""
    check_revision(new, limits)
    doc = make_document(parse_body(new.body, new.body_format, limits))
    title = normalize_line(new.title or "") or None
    if title is None and new.body_format == "html":
        title = page_title(new.body)
    if title != new.title:
        new = replace(new, title=title)
    return new, doc
