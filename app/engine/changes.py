"""Change records: what a revision did, in the terms editors and watchdogs use.

Public API: classify_edit, change_record, carry_provenance, ChangeRecord and the
records inside it (TitleChange, BlockEditClasses), the kinds FeedKind / FEED_KINDS
and EditClass / EDIT_CLASSES, SIGNIFICANCE.

classify_edit(old, new) puts one edited block in edit classes:
  cosmetic         whitespace, punctuation, quote style or letter case only
  typo             a few characters inside at most three words
  wording          any other word change
  numbers_changed  a number, amount, date or percentage differs
  quotes_changed   text inside double quotation marks differs (quote style ignored)
A block gets exactly one of cosmetic/typo/wording, unless its only change is
a number, plus numbers_changed and quotes_changed where they apply.

Significance (0–1) ranks revisions; it is the largest weight among what the
revision did (see SIGNIFICANCE), plus up to 0.1 for the share of the
article's words that changed. A section removed or a quote edited ranks near
the top, cosmetic and typo fixes near the bottom.
"""

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, Literal, get_args

from app.engine._dmp import Segment, word_diff
from app.engine.blocks import NUMBER, Kind, count_words, family
from app.engine.diff import Diff, HeadingChanges, Summary

__all__ = [
    "EDIT_CLASSES",
    "FEED_KINDS",
    "SIGNIFICANCE",
    "BlockEditClasses",
    "ChangeRecord",
    "EditClass",
    "FeedKind",
    "TitleChange",
    "carry_provenance",
    "change_record",
    "classify_edit",
]

EditClass = Literal[
    "cosmetic", "typo", "wording", "numbers_changed", "quotes_changed", "structural"
]
FeedKind = Literal[
    "section_removed",
    "section_added",
    "paragraph_removed",
    "paragraph_added",
    "paragraph_modified",
    "paragraph_moved",
    "paragraph_split",
    "paragraph_merged",
    "heading_changed",
    "numbers_changed",
    "quotes_changed",
    "title_changed",
    "boilerplate_changed",
]
EDIT_CLASSES: tuple[EditClass, ...] = get_args(EditClass)
FEED_KINDS: tuple[FeedKind, ...] = get_args(FeedKind)
_EDIT_CLASS: dict[str, EditClass] = {c: c for c in EDIT_CLASSES}
_FEED_KIND: dict[str, FeedKind] = {k: k for k in FEED_KINDS}
SIGNIFICANCE: dict[str, float] = {
    "section_removed": 0.9,
    "quotes_changed": 0.85,
    "numbers_changed": 0.75,
    "title_changed": 0.6,
    "section_added": 0.6,
    "paragraph_removed": 0.55,
    "paragraph_added": 0.45,
    "heading_changed": 0.35,
    "wording": 0.3,
    "paragraph_moved": 0.2,
    "structural": 0.2,
    "paragraph_split": 0.15,
    "paragraph_merged": 0.15,
    "typo": 0.1,
    "cosmetic": 0.05,
    "boilerplate_changed": 0.02,
}
# paragraph_removed weighs 0.55 plus up to this much more as the share of the
# article's words removed grows: gutting an article (most of it removed) ranks
# with, or above, removing a section, and removing more never ranks lower.
REMOVAL_SHARE_WEIGHT = 0.4

_SUMMARY_FIELDS = tuple(f.name for f in fields(Summary))
_DOUBLE_QUOTES = '"“”„‟«»″'
_QUOTE_CHARS = str.maketrans(dict.fromkeys(_DOUBLE_QUOTES[1:], '"') | dict.fromkeys("‘’‚‛′", "'"))
_NUMBER = re.compile(NUMBER)
# Between two double quotes of any style (as if all were '"').
_QUOTED = re.compile(f"[{_DOUBLE_QUOTES}]([^{_DOUBLE_QUOTES}]+)[{_DOUBLE_QUOTES}]")
_NON_WORD = re.compile(r"[\W_]+")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class TitleChange:
    old: str | None  # None: the revision before had no title
    new: str


@dataclass(frozen=True, slots=True)
class BlockEditClasses:
    """The edit classes of one edited block, by its index in the new revision."""

    new_index: int
    classes: tuple[EditClass, ...]


@dataclass(frozen=True, slots=True)
class ChangeRecord:
    """What one revision did relative to the one before it; stored at ingest.

    `to_json` and `from_json` are the stored form (a JSON object); they are
    exact inverses, so a record read back equals the one written.
    """

    summary: Summary
    kinds: tuple[FeedKind, ...]
    significance: float
    sections_added: tuple[str, ...]
    sections_removed: tuple[str, ...]
    headings: HeadingChanges
    edit_classes: tuple[EditClass, ...]
    block_edit_classes: tuple[BlockEditClasses, ...]
    title_changed: TitleChange | None
    revert_of: int | None = None

    def to_json(self) -> dict[str, Any]:
        """dataclasses.asdict(self), written out: asdict deep-copies generically and
        took a few per cent of an ingest."""
        h = self.headings
        t = self.title_changed
        return {
            "summary": {name: getattr(self.summary, name) for name in _SUMMARY_FIELDS},
            "kinds": self.kinds,
            "significance": self.significance,
            "sections_added": self.sections_added,
            "sections_removed": self.sections_removed,
            "headings": {"added": h.added, "removed": h.removed, "changed": h.changed},
            "edit_classes": self.edit_classes,
            "block_edit_classes": tuple(
                {"new_index": b.new_index, "classes": b.classes} for b in self.block_edit_classes
            ),
            "title_changed": None if t is None else {"old": t.old, "new": t.new},
            "revert_of": self.revert_of,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "ChangeRecord":
        headings = data["headings"]
        title = data.get("title_changed")
        return cls(
            summary=Summary(**data["summary"]),
            kinds=tuple(_FEED_KIND[k] for k in data["kinds"]),
            significance=float(data["significance"]),
            sections_added=tuple(data["sections_added"]),
            sections_removed=tuple(data["sections_removed"]),
            headings=HeadingChanges(
                added=tuple(headings["added"]),
                removed=tuple(headings["removed"]),
                changed=tuple((old, new) for old, new in headings["changed"]),
            ),
            edit_classes=tuple(_EDIT_CLASS[c] for c in data["edit_classes"]),
            block_edit_classes=tuple(
                BlockEditClasses(b["new_index"], tuple(_EDIT_CLASS[c] for c in b["classes"]))
                for b in data.get("block_edit_classes", ())
            ),
            title_changed=TitleChange(title["old"], title["new"]) if title else None,
            revert_of=data.get("revert_of"),
        )


def _cosmetic_key(text: str) -> str:
    """What survives when case, punctuation, quote style and spacing are ignored.

    >>> _cosmetic_key("“Hello,  World”") == _cosmetic_key('"hello world"')
    True
    """
    return _NON_WORD.sub("", text.lower())


def _numbers(text: str) -> list[str]:
    """Numbers in order, thousands separators kept as written.

    >>> _numbers("$60-billion deal on 12.5% of 1,000 barrels")
    ['60', '12.5', '1,000']
    """
    return _NUMBER.findall(text)


def _quotes(text: str) -> list[str]:
    """Text inside double quotes, with quote style and spacing normalized.

    >>> _quotes("He said “we will win” and 'left'.")
    ['we will win']
    """
    return [_SPACES.sub(" ", q.translate(_QUOTE_CHARS)).strip() for q in _QUOTED.findall(text)]


def _edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (small strings only).

    >>> _edit_distance("goverment", "government")
    1
    """
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _is_typo(old: str, new: str, segments: Sequence[Segment] | None = None) -> bool:
    """At most three changed words, each a near-identical single word (≤ 2 edits).
    `segments`: the word diff of old and new, when the caller has it already."""
    if segments is None:
        segments = word_diff(old, new)
    changes: list[tuple[str, str]] = []
    k = 0
    while k < len(segments):
        if segments[k].op == "equal":
            k += 1
            continue
        deleted = inserted = ""
        while k < len(segments) and segments[k].op != "equal":
            if segments[k].op == "delete":
                deleted += segments[k].text
            else:
                inserted += segments[k].text
            k += 1
        changes.append((deleted, inserted))
    if not changes or len(changes) > 3:
        return False
    for deleted, inserted in changes:
        if not (deleted.isalpha() and inserted.isalpha()):
            return False
        if _edit_distance(deleted.lower(), inserted.lower()) > min(
            2, max(len(deleted), len(inserted)) // 3 + 1
        ):
            return False
    return True


def classify_edit(
    old: str, new: str, segments: Sequence[Segment] | None = None
) -> frozenset[EditClass]:
    """Edit classes of one block edited from `old` to `new` (`segments`: their word
    diff, when the caller has it; else it is computed).

    >>> sorted(classify_edit("A $60-billion deal.", "A $70-billion deal."))
    ['numbers_changed']
    >>> sorted(classify_edit('He said "go".', "He said “go”."))
    ['cosmetic']
    >>> sorted(classify_edit("The goverment said no.", "The government said no."))
    ['typo']
    """
    classes: set[EditClass] = set()
    if _numbers(old) != _numbers(new):
        classes.add("numbers_changed")
    if _quotes(old) != _quotes(new):
        classes.add("quotes_changed")
    if _cosmetic_key(old) == _cosmetic_key(new):
        classes.add("cosmetic")
    elif "numbers_changed" in classes and _NUMBER.sub("#", _cosmetic_key(old)) == _NUMBER.sub(
        "#", _cosmetic_key(new)
    ):
        pass  # the numbers are the only change
    elif _is_typo(old, new, segments):
        classes.add("typo")
    else:
        classes.add("wording")
    return frozenset(classes)


_KIND_OF_COUNT: tuple[tuple[str, FeedKind], ...] = (
    ("sections_removed", "section_removed"),
    ("sections_added", "section_added"),
    ("paragraphs_removed", "paragraph_removed"),
    ("paragraphs_added", "paragraph_added"),
    ("paragraphs_modified", "paragraph_modified"),
    ("paragraphs_moved", "paragraph_moved"),
    ("paragraphs_split", "paragraph_split"),
    ("paragraphs_merged", "paragraph_merged"),
)


# Most paragraphs of a revision are those of the one before: their counts are
# remembered by text (summing an article's words is otherwise a third of a record).
# Only paragraphs of up to 4,000 characters, 4,096 of them: at most ~16 MB held.
_remembered_count = functools.lru_cache(maxsize=4096)(count_words)


def _body_words(text: str, kind: Kind) -> int:
    if family(kind) == "boilerplate":
        return 0
    return _remembered_count(text) if len(text) <= 4000 else count_words(text)


def change_record(
    diff: Diff,
    *,
    old_title: str | None = None,
    new_title: str | None = None,
    revert_of: int | None = None,
) -> ChangeRecord:
    """The stored summary of one diff: counts, sections, headings, edit classes, significance.

    A pure function of its inputs, so re-computing it later gives the same record.
    """
    s = diff.summary
    kinds: set[FeedKind] = {kind for key, kind in _KIND_OF_COUNT if getattr(s, key)}
    heading_moved = any(e.op == "move" and e.kind == "heading" for e in diff.entries)
    if any(e.op != "equal" and family(e.kind) == "boilerplate" for e in diff.entries):
        kinds.add("boilerplate_changed")  # page chrome added, removed or moved
    if s.headings_added or s.headings_removed or s.headings_changed or heading_moved:
        kinds.add("heading_changed")
    edit_classes: set[EditClass] = set()
    block_classes = []
    for e in diff.entries:
        if e.op in ("modify", "move") and e.old_text != e.new_text and e.new_index is not None:
            if family(e.kind) == "boilerplate":
                continue
            words = e.inline if diff.granularity == "word" else None  # reused, not redone
            classes = classify_edit(e.old_text or "", e.new_text or "", words)
            edit_classes |= classes
            block_classes.append(
                BlockEditClasses(e.new_index, tuple(sorted(classes, key=EDIT_CLASSES.index)))
            )
    if "numbers_changed" in edit_classes:
        kinds.add("numbers_changed")
    if "quotes_changed" in edit_classes:
        kinds.add("quotes_changed")
    structural = (
        s.sections_added
        or s.sections_removed
        or s.headings_added
        or s.headings_removed
        or s.headings_changed
        or s.paragraphs_moved
        or s.paragraphs_split
        or s.paragraphs_merged
    )
    if structural:
        edit_classes.add("structural")
    title_changed = None
    if new_title is not None and old_title != new_title:  # a title given, and not the old one
        title_changed = TitleChange(old_title, new_title)
        kinds.add("title_changed")
    weights = [SIGNIFICANCE[k] for k in kinds | edit_classes if k in SIGNIFICANCE]
    if "paragraph_removed" in kinds:
        before = sum(_body_words(b.text, b.kind) for b in diff.old_blocks)
        share = min(1.0, s.words_removed / max(before, 1))
        weights.append(SIGNIFICANCE["paragraph_removed"] + REMOVAL_SHARE_WEIGHT * share)
    total = sum(_body_words(b.text, b.kind) for b in diff.new_blocks)
    changed = s.words_added + s.words_removed
    volume = min(0.1, 0.1 * changed / max(total, 1))
    significance = round(min(1.0, max(weights, default=0.0) + (volume if weights else 0.0)), 3)
    return ChangeRecord(
        summary=s,
        kinds=tuple(sorted(kinds, key=FEED_KINDS.index)),
        significance=significance,
        sections_added=tuple(x.heading for x in diff.sections if x.op == "insert"),
        sections_removed=tuple(x.heading for x in diff.sections if x.op == "delete"),
        headings=diff.headings,
        edit_classes=tuple(sorted(edit_classes, key=EDIT_CLASSES.index)),
        block_edit_classes=tuple(block_classes),
        title_changed=title_changed,
        revert_of=revert_of,
    )


def carry_provenance(
    diff: Diff, previous: Sequence[Sequence[int]], revision_no: int
) -> list[list[int]]:
    """[origin_revision, text_revision] for every new block, carried from the old blocks.

    Equal and unedited moves keep both; an edited block keeps its origin and
    takes this revision as its text's; split pieces keep the origin of the
    block they came from, a merged block the earliest origin of its parts.
    """
    out: dict[int, list[int]] = {}
    for e in diff.entries:
        j = e.new_index
        if j is None:
            continue
        if e.op == "insert" or e.old_index is None:
            out[j] = [revision_no, revision_no]
        elif e.op in ("equal", "move") and e.old_text == e.new_text:
            out[j] = list(previous[e.old_index])
        elif e.op == "merge":
            origin = previous[e.old_index][0]
            out[j] = [min(origin, out[j][0]) if j in out else origin, revision_no]
        else:
            out[j] = [previous[e.old_index][0], revision_no]
    return [out[j] for j in range(len(diff.new_blocks))]
