"""A diff arranged for reading: what the diff pages and the HTML format show.

Public API: diff_view(diff, context=None) -> DiffView, and its parts Block, Group,
MovedAway, Gap; OP_LABELS.

The engine's entries are one line per block in reading order. A reader wants
more shape than that: a removed section as one block under its heading, page
chrome out of the way, a split paragraph as one change (not one line per
piece), and a moved paragraph linked to the place it left. This module turns a
Diff into those pieces and nothing else: no markup, no web imports, so the
templates stay simple and the arrangement is tested on its own.
"""

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Literal, NamedTuple

from app.engine import (
    Diff,
    Entry,
    Op,
    Section,
    Segment,
    collector_paused,
    family,
    with_context,
)
from app.engine.blocks import Family

__all__ = ["OP_LABELS", "Block", "DiffView", "Gap", "Group", "Item", "MovedAway", "diff_view"]

# Words on every change, so that no change is told by colour alone.
OP_LABELS: dict[Op, str] = {
    "equal": "Unchanged",
    "insert": "Added",
    "delete": "Removed",
    "modify": "Modified",
    "move": "Moved",
    "split": "Split",
    "merge": "Merged",
}
_TAGS = {"heading": "h3", "quote": "blockquote"}


class Piece(NamedTuple):
    """One paragraph as one side shows it: its segments (equal, and the side's own)."""

    tag: str
    segments: tuple[Segment, ...]


@dataclass(slots=True)  # not frozen: a page can hold 50,000 of them, built in a loop
class Block:
    """One change (or one unchanged block) of the diff: what `data-op` elements show.

    A split is one Block whose new side has several pieces; a merge, one whose old
    side has several. `inline` is what the inline view shows: deletions before
    insertions inside one paragraph, or the new side's pieces for a split.
    """

    type = "block"
    op: Op
    kind: Family
    anchor: str
    old_no: int | None  # 1-based paragraph numbers, as in the unified format
    new_no: int | None
    old: tuple[Piece, ...]
    new: tuple[Piece, ...]
    inline: tuple[Piece, ...]
    note: str = ""
    link: str | None = None  # a moved block: the anchor of the place it left

    @property
    def label(self) -> str:
        return OP_LABELS[self.op]

    @property
    def changed(self) -> bool:
        return self.op != "equal"


@dataclass(frozen=True, slots=True)
class Group:
    """Blocks shown together: a section added or removed with its heading, or a run of
    page chrome (collapsed by default)."""

    type = "group"
    kind: Literal["section", "boilerplate"]
    op: Op  # a section's insert or delete; chrome: equal when nothing in it changed
    title: str
    blocks: list[Block] = field(default_factory=list)
    anchor: str = ""

    @property
    def label(self) -> str:
        if self.kind == "section":
            return f"Section {'removed' if self.op == 'delete' else 'added'}"
        changed = sum(b.changed for b in self.blocks)
        return f"Page chrome: {changed} changed" if changed else "Page chrome (unchanged)"


@dataclass(frozen=True, slots=True)
class MovedAway:
    """Where a moved block used to be, linked to where it went."""

    type = "moved_away"
    old_no: int
    to_anchor: str
    new_no: int | None
    old: tuple[Piece, ...]  # the old side of the moved block: side by side shows it here


@dataclass(frozen=True, slots=True)
class Gap:
    """Unchanged blocks left out (only when the caller asked for context)."""

    type = "gap"
    count: int


Item = Block | Group | MovedAway | Gap


@dataclass(frozen=True, slots=True)
class DiffView:
    items: tuple[Item, ...]
    headline: tuple[str, ...]  # the summary header, one phrase each
    degraded: tuple[str, ...]


def _pos(index: int | None) -> int | None:
    return None if index is None else index + 1


def _side(segments: Iterable[Segment], dropped: str) -> tuple[Segment, ...]:
    return tuple(s for s in segments if s.op != dropped)


def _tag(entry: Entry) -> str:
    return _TAGS.get(entry.kind, "p")


def _equal(text: str | None) -> tuple[Segment, ...]:
    return (Segment("equal", text or ""),)


def _one_block(entry: Entry, anchor: str) -> Block:
    tag = _tag(entry)
    if entry.inline is not None:
        inline = entry.inline
        old = _side(inline, "insert")
        new = _side(inline, "delete")
    elif entry.op == "insert":
        old, new = (), (Segment("insert", entry.new_text or ""),)
        inline = new
    elif entry.op == "delete":
        old, new = (Segment("delete", entry.old_text or ""),), ()
        inline = old
    else:
        old, new = _equal(entry.old_text), _equal(entry.new_text)
        inline = new
    note, link = "", None
    if entry.op == "move":
        note = f"Moved from ¶ {_pos(entry.old_index)}"
        link = f"ad-old-{_pos(entry.old_index)}"
    return Block(
        op=entry.op,
        kind=family(entry.kind),
        anchor=anchor,
        old_no=_pos(entry.old_index),
        new_no=_pos(entry.new_index),
        old=(Piece(tag, old),) if old else (),
        new=(Piece(tag, new),) if new else (),
        inline=(Piece(tag, inline),),
        note=note,
        link=link,
    )


def _split_or_merge(entries: Sequence[Entry], anchor: str) -> Block:
    """Consecutive pieces of one split (same old paragraph) or one merge (same new one).

    Word changes, when the engine found any, are on the whole paragraph (each entry
    carries the same segments): the merged one's, or the one that was split.
    """
    first = entries[0]
    tag = _tag(first)
    parts = [Piece(tag, _equal(e.new_text if e.op == "split" else e.old_text)) for e in entries]
    old: tuple[Piece, ...]
    new: tuple[Piece, ...]
    if first.op == "split":
        whole = _side(first.inline, "insert") if first.inline else _equal(first.old_text)
        old, new = (Piece(tag, whole),), tuple(parts)
        inline = new
        note = f"¶ {_pos(first.old_index)} split into {len(entries)} paragraphs"
    else:
        whole = _side(first.inline, "delete") if first.inline else _equal(first.new_text)
        old, new = tuple(parts), (Piece(tag, whole),)
        inline = (Piece(tag, first.inline),) if first.inline else new
        numbers = ", ".join(str(_pos(e.old_index)) for e in entries)
        note = f"¶ {numbers} merged into one"
    return Block(
        op=first.op,
        kind=family(first.kind),
        anchor=anchor,
        old_no=_pos(first.old_index),
        new_no=_pos(first.new_index),
        old=old,
        new=new,
        inline=inline,
        note=note,
    )


def _runs(entries: Sequence[Entry]) -> Iterable[list[Entry]]:
    """Entries one by one, except a split's (or a merge's) pieces, which come together."""
    run: list[Entry] = []
    for e in entries:
        if run and not (
            e.op == run[0].op
            and (
                (e.op == "split" and e.old_index == run[0].old_index)
                or (e.op == "merge" and e.new_index == run[0].new_index)
            )
        ):
            yield run
            run = []
        run.append(e)
    if run:
        yield run


def _sections_by_block(sections: Sequence[Section]) -> dict[tuple[Op, int], Section]:
    """Each block of a section added or removed, by (op, its index on its side)."""
    return {
        (section.op, index): section
        for section in sections
        for index in range(section.index, section.index + section.blocks)
    }


def _section_of(entry: Entry, sections: dict[tuple[Op, int], Section]) -> Section | None:
    index = entry.old_index if entry.op == "delete" else entry.new_index
    return None if index is None else sections.get((entry.op, index))


def _headline(diff: Diff) -> tuple[str, ...]:
    s = diff.summary
    phrases = [
        f"Section {'removed' if sec.op == 'delete' else 'added'}: {sec.heading}"
        for sec in diff.sections
    ]
    counts = (
        (s.paragraphs_added, "paragraph added", "paragraphs added"),
        (s.paragraphs_removed, "paragraph removed", "paragraphs removed"),
        (s.paragraphs_modified, "paragraph modified", "paragraphs modified"),
        (s.paragraphs_moved, "paragraph moved", "paragraphs moved"),
        (s.paragraphs_split, "paragraph split", "paragraphs split"),
        (s.paragraphs_merged, "merge", "merges"),
        (s.headings_added, "heading added", "headings added"),
        (s.headings_removed, "heading removed", "headings removed"),
        (s.headings_changed, "heading changed", "headings changed"),
    )
    phrases += [f"{n} {one if n == 1 else many}" for n, one, many in counts if n]
    if s.words_added or s.words_removed:
        phrases.append(f"words +{s.words_added} −{s.words_removed}")
    if s.boilerplate_added or s.boilerplate_removed:
        phrases.append("page chrome changed")
    return tuple(phrases) or ("No changes",)


def diff_view(diff: Diff, *, context: int | None = None) -> DiffView:
    """Arrange `diff` for reading; `context`: unchanged blocks kept around each change
    (None: the whole document)."""
    with collector_paused():  # many small objects, all alive until the page is sent
        return _arranged(diff, context)


def _arranged(diff: Diff, context: int | None) -> DiffView:
    kept = None if context is None else set(map(id, with_context(diff.entries, context)))
    sections = _sections_by_block(diff.sections)
    shown: list[_Shown] = []
    numbered = 0
    for run in _runs(diff.entries):
        entry = run[0]
        numbered += entry.op != "equal"
        anchor = f"ad-c{numbered}" if entry.op != "equal" else ""
        block = _split_or_merge(run, anchor) if len(run) > 1 else _one_block(entry, anchor)
        visible = kept is None or id(entry) in kept
        shown.append(_Shown(block, entry, _section_of(entry, sections), visible))
    items = _grouped(_with_moved_away(shown))
    return DiffView(tuple(items), _headline(diff), diff.degraded)


@dataclass(frozen=True, slots=True)
class _Shown:
    """A block on its way to the page, or the mark a moved block left behind."""

    item: Block | MovedAway
    entry: Entry | None  # the block's (first) entry; None for a mark
    section: Section | None
    visible: bool = True


def _with_moved_away(shown: list[_Shown]) -> list[_Shown]:
    """Put a mark where each moved block used to be: before the first block (moves
    aside) that comes after it in the old order."""
    # Everything but moves keeps the old order, so the old indexes of the blocks that
    # are not moves rise down the page: a bisection finds each mark's place.
    places = [
        (s.entry.old_index, k)
        for k, s in enumerate(shown)
        if s.entry is not None and s.entry.old_index is not None and s.entry.op != "move"
    ]
    olds = [old for old, _ in places]
    marks: dict[int, list[MovedAway]] = {}
    for s in shown:
        if s.entry is None or s.entry.op != "move" or not isinstance(s.item, Block):
            continue
        old = s.entry.old_index if s.entry.old_index is not None else -1
        found = bisect_right(olds, old)
        at = places[found][1] if found < len(places) else len(shown)
        mark = MovedAway(old + 1, s.item.anchor, s.item.new_no, s.item.old)
        marks.setdefault(at, []).append(mark)
    if not marks:
        return shown
    out: list[_Shown] = []
    for k in range(len(shown) + 1):
        # Several marks at one place: in the old order of the blocks that left it.
        here = sorted(marks.get(k, ()), key=attrgetter("old_no"))
        out.extend(_Shown(mark, None, None) for mark in here)
        if k < len(shown):
            out.append(shown[k])
    return out


def _grouped(shown: list[_Shown]) -> list[Item]:
    """Sections added or removed and runs of page chrome as groups; hidden unchanged
    blocks as gaps. A moved block always stands alone, where it can be linked to."""
    items: list[Item] = []
    current: Section | None = None  # the section the last item shows
    for s in shown:
        last = items[-1] if items else None
        if not s.visible:
            if isinstance(last, Gap):
                items[-1] = Gap(last.count + 1)
            else:
                items.append(Gap(1))
            current = None
            continue
        block = s.item
        if isinstance(block, MovedAway):
            items.append(block)
            current = None
            continue
        if s.section is not None:
            if isinstance(last, Group) and s.section is current:
                last.blocks.append(block)
            else:
                items.append(
                    Group("section", s.section.op, s.section.heading, [block], block.anchor)
                )
            current = s.section
            continue
        current = None
        if block.kind == "boilerplate" and block.op != "move":
            if isinstance(last, Group) and last.kind == "boilerplate":
                last.blocks.append(block)
                if block.changed and last.op == "equal":
                    items[-1] = Group("boilerplate", "modify", "", last.blocks, last.anchor)
            else:
                op: Op = "modify" if block.changed else "equal"
                items.append(Group("boilerplate", op, "", [block], block.anchor))
            continue
        items.append(block)
    return items
