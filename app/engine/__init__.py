"""The pure diff engine: text in, documents and diffs out.

Public API:
    parse_text(text) -> tuple[Block, ...]          plain text into blocks
    parse_html(html), parse_markdown(markdown)      the same from HTML or CommonMark
    make_document(blocks) -> Document               canonical text and SHA-256
    compare(old, new, granularity="word") -> Diff   the front door
    apply_diff(old_blocks, diff) -> new blocks      replay, for property tests
    render_unified(diff), render_html(diff)         renderers (JSON: Diff.to_dict)

Nothing here imports the web or database layers, the clock or randomness.
"""

from app.engine.blocks import (
    KINDS,
    Block,
    Document,
    block_from_dict,
    family,
    make_document,
    parse_text,
)
from app.engine.diff import Diff, Entry, Section, apply_diff, compare, with_context
from app.engine.html_blocks import parse_html
from app.engine.markdown_blocks import parse_markdown
from app.engine.render import render_html, render_unified

ENGINE_VERSION = "1"

__all__ = [
    "ENGINE_VERSION",
    "KINDS",
    "Block",
    "Diff",
    "Document",
    "Entry",
    "Section",
    "apply_diff",
    "block_from_dict",
    "compare",
    "family",
    "make_document",
    "parse_html",
    "parse_markdown",
    "parse_text",
    "render_html",
    "render_unified",
    "with_context",
]
