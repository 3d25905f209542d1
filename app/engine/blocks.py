"""Documents as blocks: the unit the aligner works on.

Public API: Block, Document, KINDS, family, parse_text, make_document.

A Block is (kind, text). Kinds: heading, paragraph, boilerplate, and from
HTML or Markdown also list_item, quote and caption. For alignment and
counting, list items, quotes and captions belong to the paragraph family:
they are body text, and the same text as a <li> or as a plain line is the
same content.
"""

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from app.engine.classify import (
    glue_candidates,
    is_boilerplate,
    looks_like_heading,
    split_glued_heading,
)
from app.engine.normalize import normalize_text, split_paragraphs

__all__ = [
    "KINDS",
    "Block",
    "Document",
    "block_from_dict",
    "family",
    "make_document",
    "parse_text",
]

KINDS = ("heading", "paragraph", "boilerplate", "list_item", "quote", "caption")
_FAMILY = {"heading": "heading", "boilerplate": "boilerplate"}
_MARKDOWN_HEADING = re.compile(r"^#{1,6}\s+(.+?)(?:\s+#+)?$")


@dataclass(frozen=True, slots=True)
class Block:
    kind: str
    text: str

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "text": self.text}


@dataclass(frozen=True, slots=True)
class Document:
    """Parsed blocks plus the canonical text they stand for and its SHA-256."""

    blocks: tuple[Block, ...]
    text: str
    sha256: str


def family(kind: str) -> str:
    """The alignment family of a kind.

    >>> family("list_item"), family("heading")
    ('paragraph', 'heading')
    """
    return _FAMILY.get(kind, "paragraph")


def block_from_dict(data: dict[str, str]) -> Block:
    return Block(data["kind"], data["text"])


def make_document(blocks: Iterable[Block]) -> Document:
    """Build a Document; its canonical text is the block texts separated by blank lines.

    The canonical text, not the text as sent, is what is hashed: reformatting
    (line breaks, spaces, HTML versus text) gives the same hash.
    """
    blocks = tuple(b for b in blocks if b.text)
    text = "\n\n".join(b.text for b in blocks)
    return Document(blocks, text, hashlib.sha256(text.encode()).hexdigest())


def _pieces(paragraphs: Sequence[str]) -> list[tuple[str, bool]]:
    """(text, is_explicit_heading) for each paragraph, glued headings split off."""
    pieces: list[tuple[str, bool]] = []
    candidates = glue_candidates(paragraphs)
    for k, para in enumerate(paragraphs):
        if para[0] == "#":
            marked = _MARKDOWN_HEADING.match(para)
            if marked:
                pieces.append((marked.group(1).strip(), True))
                continue
        glued = split_glued_heading(para) if k in candidates else None
        if glued:
            pieces.append((glued[0], True))
            pieces.append((glued[1], False))
        else:
            pieces.append((para, False))
    return pieces


def parse_text(text: str) -> tuple[Block, ...]:
    """Parse plain text into blocks.

    A standalone heading needs body text under it: a short line at the end of
    a text, or right above page chrome, stays a paragraph.

    >>> [b.kind for b in parse_text("Energy allianceNoting that Russia supplies oil to China.")]
    ['heading', 'paragraph']
    >>> [b.kind for b in parse_text("Short line\\n\\nA paragraph under it.\\n\\nSHARE")]
    ['heading', 'paragraph', 'boilerplate']
    """
    pieces = _pieces(split_paragraphs(normalize_text(text)))
    chrome = [is_boilerplate(p) for p, _ in pieces]
    blocks = []
    for i, (piece, explicit) in enumerate(pieces):
        if chrome[i] and not explicit:
            kind = "boilerplate"
        elif explicit or (looks_like_heading(piece) and i + 1 < len(pieces) and not chrome[i + 1]):
            kind = "heading"
        else:
            kind = "paragraph"
        blocks.append(Block(kind, piece))
    return tuple(blocks)
