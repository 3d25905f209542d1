"""The pure diff engine: text in, documents and diffs out.

Public API:
    parse_text(text) -> tuple[Block, ...]          plain text into blocks
    parse_html(html), parse_markdown(markdown)      the same from HTML or CommonMark
    make_document(blocks) -> Document               canonical text and SHA-256
    compare(old, new, granularity="word") -> Diff   the front door
    apply_diff(old_blocks, diff) -> new blocks      replay, for property tests
    render_unified(diff)                            unified text (JSON: Diff.to_dict)
    change_record(diff, ...) -> ChangeRecord        what a revision did, as stored
    carry_provenance(diff, previous, n)             where each new block came from

The types that flow out of the engine into storage and the API: Block, Kind,
Diff, Entry, Op, Section, Summary, HeadingChanges, ChangeRecord, FeedKind,
EditClass, Segment.

Nothing here imports the web or database layers, the clock or randomness.
"""

from app.engine._dmp import Segment, SegmentOp
from app.engine.blocks import (
    KINDS,
    Block,
    Document,
    Kind,
    block_from_dict,
    family,
    make_document,
    parse_text,
)
from app.engine.changes import (
    EDIT_CLASSES,
    FEED_KINDS,
    ChangeRecord,
    EditClass,
    FeedKind,
    TitleChange,
    carry_provenance,
    change_record,
)
from app.engine.diff import (
    Diff,
    Entry,
    Granularity,
    HeadingChanges,
    Op,
    Section,
    SectionOp,
    Summary,
    apply_diff,
    collector_paused,
    compare,
    with_context,
)
from app.engine.html_blocks import MAX_HTML_DEPTH, NestingTooDeep, page_title, parse_html
from app.engine.markdown_blocks import parse_markdown
from app.engine.normalize import VISIBLE_TEXT_PATTERN, normalize_line
from app.engine.render import UNIFIED_CONTEXT, render_unified

# Bumped whenever a diff or a change record of the same input may come out differently.
ENGINE_VERSION = "5"

__all__ = [
    "EDIT_CLASSES",
    "ENGINE_VERSION",
    "FEED_KINDS",
    "KINDS",
    "MAX_HTML_DEPTH",
    "UNIFIED_CONTEXT",
    "VISIBLE_TEXT_PATTERN",
    "Block",
    "ChangeRecord",
    "Diff",
    "Document",
    "EditClass",
    "Entry",
    "FeedKind",
    "Granularity",
    "HeadingChanges",
    "Kind",
    "NestingTooDeep",
    "Op",
    "Section",
    "SectionOp",
    "Segment",
    "SegmentOp",
    "Summary",
    "TitleChange",
    "apply_diff",
    "block_from_dict",
    "carry_provenance",
    "change_record",
    "collector_paused",
    "compare",
    "family",
    "make_document",
    "normalize_line",
    "page_title",
    "parse_html",
    "parse_markdown",
    "parse_text",
    "render_unified",
    "with_context",
]
