"""What a CMS sends, checked and parsed into an engine Document."""

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.engine import Document, make_document, parse_html, parse_markdown, parse_text
from app.errors import InvalidInput

MEDIA_TYPES = {"text": "text/plain", "html": "text/html", "markdown": "text/markdown"}


@dataclass(frozen=True, slots=True)
class NewRevision:
    body_format: str  # text | html | markdown
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


def check_revision(new: NewRevision, *, max_metadata_bytes: int) -> None:
    """Refuse what cannot be stored faithfully, with a message that says what to fix."""
    _check_string(new.body_format, new.body)
    for name in ("title", "url", "source_revision_id"):
        _check_string(name, getattr(new, name))
    if new.metadata is not None:
        encoded = json.dumps(new.metadata, ensure_ascii=False)
        _check_string("metadata", encoded)
        if "\\u0000" in encoded:
            raise InvalidInput("metadata: contains a NUL character; remove it")
        if len(encoded.encode()) > max_metadata_bytes:
            raise InvalidInput(
                f"metadata: {len(encoded.encode())} bytes as JSON; at most "
                f"{max_metadata_bytes} are accepted"
            )


def parse_revision(new: NewRevision) -> Document:
    if new.body_format == "html":
        blocks = parse_html(new.body)
    elif new.body_format == "markdown":
        blocks = parse_markdown(new.body)
    else:
        blocks = parse_text(new.body)
    doc = make_document(blocks)
    if not doc.blocks:
        raise InvalidInput(
            f"{new.body_format}: is empty or holds only whitespace or markup; "
            "send the article's text"
        )
    return doc
