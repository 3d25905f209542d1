"""Diffs between two documents: the engine's front door.

Public API: compare, apply_diff, with_context, collector_paused, and the result types Diff,
Entry, Section, Summary, HeadingChanges, Op, SectionOp, Granularity.

compare(old, new) parses (if given text), aligns, runs word diffs inside
edited blocks and rolls the result up into sections and summary counts.

Mirror symmetry, compare(b, a) being the exact reverse of compare(a, b), is
guaranteed by construction rather than by hoping every tie-break is
symmetric: the alignment is always computed in one canonical orientation
(the smaller document, by key order, first) and mirrored when the caller
asked for the other one.
"""

import gc
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any, Literal, NamedTuple

from app.engine._dmp import (
    InlineBudget,
    Segment,
    SegmentOp,
    char_diff,
    deletions_first,
    word_diff,
)
from app.engine.align import Op, Pair, align_blocks
from app.engine.blocks import Block, BlockWords, Kind, count_words, family, parse_text

__all__ = [
    "Diff",
    "Entry",
    "Granularity",
    "HeadingChanges",
    "Op",
    "Section",
    "SectionOp",
    "Summary",
    "apply_diff",
    "collector_paused",
    "compare",
    "with_context",
]

SectionOp = Literal["insert", "delete"]
Granularity = Literal["word", "char"]

_PARAGRAPH_COUNT: dict[Op, str] = {
    "equal": "paragraphs_unchanged",
    "insert": "paragraphs_added",
    "delete": "paragraphs_removed",
    "modify": "paragraphs_modified",
    "move": "paragraphs_moved",
    "split": "paragraphs_split",
    "merge": "paragraphs_merged",
}
_MIRROR_OP: dict[Op, Op] = {
    "insert": "delete",
    "delete": "insert",
    "split": "merge",
    "merge": "split",
}
_MIRROR_SEGMENT: dict[SegmentOp, SegmentOp] = {
    "insert": "delete",
    "delete": "insert",
    "equal": "equal",
}


class Entry(NamedTuple):
    """One line of the diff in reading order (a tuple: thousands are built per diff)."""

    op: Op
    kind: Kind
    old_index: int | None
    new_index: int | None
    old_text: str | None
    new_text: str | None
    inline: tuple[Segment, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "op": self.op,
            "kind": self.kind,
            "old_index": self.old_index,
            "new_index": self.new_index,
            "old_text": self.old_text,
            "new_text": self.new_text,
        }
        if self.inline is not None:
            data["inline"] = [{"op": s.op, "text": s.text} for s in self.inline]
        return data


@dataclass(frozen=True, slots=True)
class Section:
    """A heading added or removed together with the body text right under it."""

    op: SectionOp
    heading: str
    index: int  # of the heading, in the old (delete) or new (insert) blocks
    blocks: int  # heading included
    paragraphs: int
    words: int


@dataclass(frozen=True, slots=True)
class Summary:
    """Counts of what a diff did. Paragraph counts cover body blocks (paragraphs,
    list items, quotes, captions), not headings or boilerplate; words exclude
    boilerplate."""

    paragraphs_unchanged: int = 0
    paragraphs_added: int = 0
    paragraphs_removed: int = 0
    paragraphs_modified: int = 0
    paragraphs_moved: int = 0
    paragraphs_split: int = 0
    paragraphs_merged: int = 0
    words_added: int = 0
    words_removed: int = 0
    sections_added: int = 0
    sections_removed: int = 0
    headings_added: int = 0
    headings_removed: int = 0
    headings_changed: int = 0
    boilerplate_added: int = 0
    boilerplate_removed: int = 0


@dataclass(frozen=True, slots=True)
class HeadingChanges:
    """Headings added, removed or renamed on their own (not as part of a section)."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[tuple[str, str], ...] = ()  # (old, new)


@dataclass(frozen=True, slots=True)
class Diff:
    old_blocks: tuple[Block, ...]
    new_blocks: tuple[Block, ...]
    entries: tuple[Entry, ...]
    sections: tuple[Section, ...]
    summary: Summary
    headings: HeadingChanges
    # Why the engine did less than its best (work budget reached); empty when it did not.
    degraded: tuple[str, ...] = ()
    granularity: Granularity = "word"  # of the entries' inline segments

    def to_dict(self, context: int | None = None) -> dict[str, Any]:
        """The canonical JSON form (what the API and `python -m app diff --format json` emit)."""
        entries = self.entries if context is None else with_context(self.entries, context)
        return {
            "summary": asdict(self.summary),
            "blocks": [e.to_dict() for e in entries],
            "sections": [asdict(s) for s in self.sections],
            "headings": {
                "added": list(self.headings.added),
                "removed": list(self.headings.removed),
                "changed": [list(pair) for pair in self.headings.changed],
            },
            "degraded": bool(self.degraded),
            "degraded_reasons": list(self.degraded),
        }


def _mirror(pairs: list[Pair]) -> list[Pair]:
    return [Pair(_MIRROR_OP.get(p.op, p.op), p.new, p.old, p.similarity) for p in pairs]


def _mirror_inline(segments: Sequence[Segment]) -> tuple[Segment, ...]:
    return tuple(deletions_first([Segment(_MIRROR_SEGMENT[s.op], s.text) for s in segments]))


def _flipped(old: Sequence[Block], new: Sequence[Block]) -> bool:
    """Whether `old` sorts after `new` by (kind, text): the canonical orientation test."""
    for a, b in zip(old, new, strict=False):
        if a.text != b.text:
            return a.text > b.text
        if a.kind != b.kind:
            return a.kind > b.kind
    return len(old) > len(new)


def _inline_diffs(
    pairs: list[Pair],
    old: Sequence[Block],
    new: Sequence[Block],
    granularity: Granularity,
    budget: InlineBudget,
) -> dict[Pair, tuple[Segment, ...]]:
    """Word (or char) diffs for every edited pair; split and merge use the joined pieces."""
    differ = char_diff if granularity == "char" else word_diff
    out: dict[Pair, tuple[Segment, ...]] = {}
    for p in pairs:
        if p.op in ("modify", "move", "split", "merge"):
            a = " ".join(old[i].text for i in p.old)
            b = " ".join(new[j].text for j in p.new)
            if a != b or p.op in ("split", "merge"):
                out[p] = tuple(differ(a, b, budget))
    return out


def _layout(
    pairs: list[Pair],
    inline: dict[Pair, tuple[Segment, ...]],
    old: Sequence[Block],
    new: Sequence[Block],
) -> list[Entry]:
    """Reading order: the new document's order, deleted blocks at their old place.

    A deleted block is shown before the next block that stayed in place
    (equal, modify, split, merge) with a larger old index, and before the
    insertions of its own replaced region; moved blocks are not anchors,
    because their old place is elsewhere.
    """
    at_new: list[list[Entry]] = [[] for _ in new]
    anchor = [len(old)] * (len(new) + 1)  # old index of the in-place block at j
    deleted = []
    for p in pairs:
        op = p.op
        if op == "delete":
            deleted.append(p.old[0])
        elif op == "equal":
            i, j = p.old[0], p.new[0]
            text = new[j].text
            at_new[j].append(Entry("equal", new[j].kind, i, j, text, text))
            anchor[j] = i
        elif op == "insert":
            j = p.new[0]
            at_new[j].append(Entry("insert", new[j].kind, None, j, None, new[j].text))
        elif op == "merge":
            j = p.new[0]
            seg = inline.get(p)
            for i in p.old:
                at_new[j].append(Entry("merge", new[j].kind, i, j, old[i].text, new[j].text, seg))
            anchor[j] = min(p.old)
        else:  # modify, move, split
            i = p.old[0]
            seg = inline.get(p) if op != "split" else None
            for j in p.new:
                at_new[j].append(Entry(op, new[j].kind, i, j, old[i].text, new[j].text, seg))
                if op != "move":
                    anchor[j] = min(anchor[j], i)
    # The next in-place old index at or after each new position, for insertions.
    for j in range(len(new) - 1, -1, -1):
        if anchor[j] == len(old):
            anchor[j] = anchor[j + 1]
    deleted.sort()
    out: list[Entry] = []
    d = 0
    for j, entries in enumerate(at_new):
        if d < len(deleted) and deleted[d] < anchor[j]:
            first = entries[0]
            if first.op != "move":
                upto = anchor[j]
                while d < len(deleted) and deleted[d] < upto:
                    i = deleted[d]
                    out.append(Entry("delete", old[i].kind, i, None, old[i].text, None))
                    d += 1
        out.extend(entries)
    for i in deleted[d:]:
        out.append(Entry("delete", old[i].kind, i, None, old[i].text, None))
    return out


def _sections(
    blocks: Sequence[Block], block_words: BlockWords, removed: set[int], op: SectionOp
) -> tuple[list[Section], set[int]]:
    """Sections among `removed` indices of `blocks`; also the headings they consumed.

    A section is a removed heading plus the unbroken run of removed non-heading
    blocks right under it, holding at least one paragraph-family block.
    """
    out = []
    used = set()
    for h in sorted(removed):
        if blocks[h].kind != "heading":
            continue
        k = h + 1
        paragraphs = words = 0
        while k < len(blocks) and k in removed and blocks[k].kind != "heading":
            if family(blocks[k].kind) == "paragraph":
                paragraphs += 1
                words += block_words.count(k)
            k += 1
        if paragraphs:
            out.append(Section(op, blocks[h].text, h, k - h, paragraphs, words))
            used.add(h)
    return out, used


def _summarize(
    pairs: list[Pair],
    inline: dict[Pair, tuple[Segment, ...]],
    old: Sequence[Block],
    new: Sequence[Block],
    old_words: BlockWords,
    new_words: BlockWords,
) -> tuple[Summary, list[Section], HeadingChanges]:
    counts: Counter[str] = Counter()
    deleted = {p.old[0] for p in pairs if p.op == "delete"}
    inserted = {p.new[0] for p in pairs if p.op == "insert"}
    removed_sections, used_old = _sections(old, old_words, deleted, "delete")
    added_sections, used_new = _sections(new, new_words, inserted, "insert")
    added: list[str] = []
    removed: list[str] = []
    changed: list[tuple[str, str]] = []
    for p in pairs:
        blocks = new if p.new else old
        fam = family(blocks[(p.new or p.old)[0]].kind)
        if fam == "boilerplate":
            if p.op in ("insert", "delete"):
                counts["boilerplate_added" if p.op == "insert" else "boilerplate_removed"] += 1
            continue
        if p.op == "insert":
            counts["words_added"] += new_words.count(p.new[0])
        elif p.op == "delete":
            counts["words_removed"] += old_words.count(p.old[0])
        for seg in inline.get(p, ()):
            if seg.op == "insert":
                counts["words_added"] += count_words(seg.text)
            elif seg.op == "delete":
                counts["words_removed"] += count_words(seg.text)
        if fam == "heading":
            if p.op == "insert" and p.new[0] not in used_new:
                added.append(new[p.new[0]].text)
            elif p.op == "delete" and p.old[0] not in used_old:
                removed.append(old[p.old[0]].text)
            elif p.op in ("modify", "move") and old[p.old[0]].text != new[p.new[0]].text:
                changed.append((old[p.old[0]].text, new[p.new[0]].text))
            continue
        counts[_PARAGRAPH_COUNT[p.op]] += 1
    summary = Summary(
        **counts,
        sections_added=len(added_sections),
        sections_removed=len(removed_sections),
        headings_added=len(added),
        headings_removed=len(removed),
        headings_changed=len(changed),
    )
    sections = sorted(removed_sections + added_sections, key=lambda x: (x.op != "delete", x.index))
    return summary, sections, HeadingChanges(tuple(added), tuple(removed), tuple(changed))


def _as_blocks(doc: str | Sequence[Block]) -> tuple[Block, ...]:
    return parse_text(doc) if isinstance(doc, str) else tuple(doc)


def compare(
    old: str | Sequence[Block],
    new: str | Sequence[Block],
    *,
    granularity: Granularity = "word",
) -> Diff:
    """Diff two texts (or two parsed block sequences).

    >>> d = compare("Rates rose.\\n\\nMarkets fell.", "Rates rose sharply.\\n\\nMarkets fell.")
    >>> d.summary.paragraphs_modified, d.summary.words_added
    (1, 1)
    """
    if granularity not in ("word", "char"):
        raise ValueError("granularity must be 'word' or 'char'")
    with collector_paused():
        return _compare(old, new, granularity)


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a diff runs: it allocates many containers
    that all live until it returns, and the collections they triggered scanned them
    (and the rest of the process) over and over: ~15 % of two unrelated 1 MB texts.
    Re-enabled only by whoever disabled it, so nested or concurrent diffs are safe."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _compare(
    old: str | Sequence[Block], new: str | Sequence[Block], granularity: Granularity
) -> Diff:
    old_blocks, new_blocks = _as_blocks(old), _as_blocks(new)
    old_words, new_words = BlockWords(old_blocks), BlockWords(new_blocks)
    budget = InlineBudget()
    if _flipped(old_blocks, new_blocks):
        alignment = align_blocks(new_blocks, old_blocks, new_words, old_words)
        canonical = alignment.pairs
        computed = _inline_diffs(canonical, new_blocks, old_blocks, granularity, budget)
        pairs = _mirror(canonical)
        inline = {
            m: _mirror_inline(computed[p])
            for p, m in zip(canonical, pairs, strict=True)
            if p in computed
        }
    else:
        alignment = align_blocks(old_blocks, new_blocks, old_words, new_words)
        pairs = alignment.pairs
        inline = _inline_diffs(pairs, old_blocks, new_blocks, granularity, budget)
    degraded = alignment.degraded
    if budget.capped:
        degraded += (
            f"{budget.capped} edited block(s) too long or too many to diff word by word: "
            "shown replaced whole",
        )
    entries = _layout(pairs, inline, old_blocks, new_blocks)
    summary, sections, headings = _summarize(
        pairs, inline, old_blocks, new_blocks, old_words, new_words
    )
    return Diff(
        old_blocks,
        new_blocks,
        tuple(entries),
        tuple(sections),
        summary,
        headings,
        degraded,
        granularity,
    )


def _replay_inline(old_text: str, segments: Sequence[Segment]) -> str:
    """Rebuild the new text from the old one and an inline diff, checking the old side."""
    source = "".join(s.text for s in segments if s.op != "insert")
    if source != old_text:
        raise ValueError("inline diff does not match the old text")
    return "".join(s.text for s in segments if s.op != "delete")


def apply_diff(old_blocks: Sequence[Block], diff: Diff) -> tuple[Block, ...]:
    """Rebuild the new blocks from the old blocks and a diff (deltas' diff-and-replay).

    Unchanged and moved blocks are taken from the old side, edited ones are
    rebuilt from their inline diffs; only inserted blocks and split pieces
    carry their own text.
    """
    rebuilt: dict[int, Block] = {}
    for e in diff.entries:
        if e.new_index is None:
            if e.old_index is None or e.old_index >= len(old_blocks):
                raise ValueError("deleted entry without a valid old index")
            continue
        if e.op == "insert" or e.op == "split":
            text = e.new_text or ""
        elif e.op == "merge":
            if e.new_index in rebuilt:
                continue
            merged_from = [
                x.old_index for x in diff.entries if x.op == "merge" and x.new_index == e.new_index
            ]
            joined = " ".join(old_blocks[i].text for i in merged_from if i is not None)
            text = _replay_inline(joined, e.inline) if e.inline else joined
        else:
            if e.old_index is None:
                raise ValueError(f"{e.op} entry without an old index")
            base = old_blocks[e.old_index].text
            text = _replay_inline(base, e.inline) if e.inline else base
        rebuilt[e.new_index] = Block(e.kind, text)
    if sorted(rebuilt) != list(range(len(rebuilt))):
        raise ValueError("diff does not cover every new block exactly once")
    return tuple(rebuilt[j] for j in range(len(rebuilt)))


def with_context(entries: Sequence[Entry], context: int) -> list[Entry]:
    """Keep changed entries and `context` unchanged entries around each.

    >>> es = [Entry("equal", "paragraph", i, i, "x", "x") for i in range(5)]
    >>> es[2] = Entry("modify", "paragraph", 2, 2, "x", "y")
    >>> [e.old_index for e in with_context(es, 1)]
    [1, 2, 3]
    """
    changed = [k for k, e in enumerate(entries) if e.op != "equal"]
    keep: set[int] = set()
    for k in changed:
        keep.update(range(max(0, k - context), min(len(entries), k + context + 1)))
    return [e for k, e in enumerate(entries) if k in keep]
