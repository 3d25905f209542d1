"""The only module that imports diff_match_patch.

Public API: word_diff, char_diff, deletions_first, Segment, SegmentOp, InlineBudget,
MAX_DIFF_CELLS, INLINE_CELL_BUDGET.

Word mode follows the diff-match-patch wiki: map each token to one character,
diff the character strings, map back, then run semantic cleanup.

Determinism: Diff_Timeout stays 0, so diff_main never stops at a deadline and
results never depend on machine speed. The library ties its half-match
speed-up to a positive timeout; _Differ re-enables half-match alone (it is a
pure function of its inputs). Cost is bounded instead by the input: the
common prefix and suffix are trimmed first (at whitespace, before
tokenizing); a middle too large for an exact diff (a long paragraph with
edits far apart) is diffed by exact anchors instead, the aligner's patience
matching over its words, which costs about its length rather than its square;
only a middle past ANCHORED_MAX_TOKENS is reported as one replacement. An
InlineBudget bounds the sum over all the diffs of one document, so no input
can make a comparison slow: past it, edited blocks are shown replaced whole,
and the budget counts how many were.
"""

from collections.abc import Sequence
from typing import Literal, NamedTuple

from diff_match_patch import diff_match_patch

from app.engine.align import match_equal
from app.engine.blocks import CJK_CHAR, WordPattern

__all__ = [
    "ANCHORED_MAX_TOKENS",
    "INLINE_CELL_BUDGET",
    "MAX_DIFF_CELLS",
    "InlineBudget",
    "Segment",
    "SegmentOp",
    "char_diff",
    "deletions_first",
    "word_diff",
]

# n*m of the trimmed middle above which no exact diff is attempted. Myers'
# diff is O((n+m)·d); 250k cells keeps the worst case of one call near 0.06 s.
MAX_DIFF_CELLS = 250_000
# Tokens (both sides) up to which a middle too large for an exact diff is diffed
# by anchors: a 10 KB paragraph holds about 3,500 tokens a side.
ANCHORED_MAX_TOKENS = 40_000
# n*m summed over every inline diff of one document. A 1 MB diff of real
# revisions spends about 0.3 M; 4 M bounds the worst case near 1 s (16 calls
# at the per-call cap, each about 0.06 s here).
INLINE_CELL_BUDGET = 4_000_000
# Characters (both sides) of a middle past which it is not tokenized at all: even
# Latin text this long holds more tokens than ANCHORED_MAX_TOKENS.
MAX_MIDDLE_CHARS = 16 * ANCHORED_MAX_TOKENS

# Tokens: words as the engine counts them (a number whole, so a changed one reads
# [-1,204-]{+1,304+}, not 1,[-204-]{+304+}; a CJK character alone), runs of space,
# single punctuation marks.
_TOKEN = WordPattern(r"|\s+|[^\w\s]")
SegmentOp = Literal["equal", "insert", "delete"]
_OPS: dict[int, SegmentOp] = {
    diff_match_patch.DIFF_EQUAL: "equal",
    diff_match_patch.DIFF_INSERT: "insert",
    diff_match_patch.DIFF_DELETE: "delete",
}


class Segment(NamedTuple):
    op: SegmentOp
    text: str


class _Differ(diff_match_patch):
    """diff_match_patch without a deadline but with the half-match speed-up."""

    def __init__(self) -> None:
        super().__init__()
        self.Diff_Timeout = 0

    def diff_halfMatch(self, text1: str, text2: str) -> list[str] | None:
        # The parent returns None unless Diff_Timeout > 0. The flag is only read
        # there, and each call gets its own instance, so flipping it is safe.
        self.Diff_Timeout = 1.0
        try:
            return super().diff_halfMatch(text1, text2)
        finally:
            self.Diff_Timeout = 0


_COMMON = diff_match_patch()


class InlineBudget:
    """The n*m cells the inline diffs of one document may still spend.

    Deterministic: it counts input sizes, never time, so the same pair of
    documents is always diffed the same way on any machine.
    """

    __slots__ = ("capped", "left")

    def __init__(self, cells: int = INLINE_CELL_BUDGET) -> None:
        self.left = cells
        self.capped = 0  # diffs shown as one replacement for lack of budget or size

    def take(self, cells: int) -> bool:
        """Take `cells` if that much is left."""
        if cells > self.left:
            return False
        self.left -= cells
        return True


def deletions_first(segments: Sequence[Segment]) -> list[Segment]:
    """Drop empty segments, and in each run of changes put what was deleted before
    what was inserted, each joined into one segment: the order readers expect
    ([-colour-]{+color+}), whichever way the diff was computed. Replay is unchanged:
    the old text is the equal and deleted parts, the new the equal and inserted.

    >>> [(s.op, s.text) for s in deletions_first(
    ...     [Segment("insert", "x"), Segment("delete", "a"), Segment("insert", "y"),
    ...      Segment("equal", " b")])]
    [('delete', 'a'), ('insert', 'xy'), ('equal', ' b')]
    """
    out: list[Segment] = []
    deleted: list[str] = []
    inserted: list[str] = []

    def flush() -> None:
        if deleted:
            out.append(Segment("delete", "".join(deleted)))
        if inserted:
            out.append(Segment("insert", "".join(inserted)))
        deleted.clear()
        inserted.clear()

    for seg in segments:
        if not seg.text:
            continue
        if seg.op == "delete":
            deleted.append(seg.text)
        elif seg.op == "insert":
            inserted.append(seg.text)
        else:
            flush()
            if out and out[-1].op == "equal":
                out[-1] = Segment("equal", out[-1].text + seg.text)
            else:
                out.append(seg)
    flush()
    return out


def _diff_middle(
    a: str, b: str, table: list[str] | None, budget: InlineBudget | None
) -> list[Segment]:
    budget = budget or InlineBudget()
    if not a or not b:
        diffs = [(diff_match_patch.DIFF_DELETE, a), (diff_match_patch.DIFF_INSERT, b)]
    elif len(a) * len(b) <= MAX_DIFF_CELLS and budget.take(len(a) * len(b)):
        differ = _Differ()
        diffs = differ.diff_main(a, b, False)
        differ.diff_cleanupSemantic(diffs)
    elif len(a) + len(b) <= ANCHORED_MAX_TOKENS and budget.take(len(a) + len(b)):
        diffs = _anchored(a, b)
    else:
        budget.capped += 1
        diffs = [(diff_match_patch.DIFF_DELETE, a), (diff_match_patch.DIFF_INSERT, b)]
    return [Segment(_OPS[op], _decode(text, table)) for op, text in diffs]


def _anchored(a: str, b: str) -> list[tuple[int, str]]:
    """A diff of two long strings (one character per token) by exact anchors: the
    order-preserving matches of the block aligner, gaps between them deleted and
    inserted, then diff-match-patch's semantic cleanup for readability.

    >>> _anchored("abcdxef", "abzcdef")
    [(0, 'ab'), (1, 'z'), (0, 'cd'), (-1, 'x'), (0, 'ef')]
    """
    diffs: list[tuple[int, str]] = []

    def add(op: int, text: str) -> None:
        if text:
            if diffs and diffs[-1][0] == op:
                diffs[-1] = (op, diffs[-1][1] + text)
            else:
                diffs.append((op, text))

    i = j = 0
    for mi, mj in [*match_equal(a, b), (len(a), len(b))]:
        add(diff_match_patch.DIFF_DELETE, a[i:mi])
        add(diff_match_patch.DIFF_INSERT, b[j:mj])
        add(diff_match_patch.DIFF_EQUAL, a[mi : mi + 1])
        i, j = mi + 1, mj + 1
    _COMMON.diff_cleanupSemantic(diffs)
    return diffs


def _decode(chars: str, table: list[str] | None) -> str:
    if table is None:
        return chars
    return "".join([table[ord(c)] for c in chars])


def _trim_at_spaces(old: str, new: str) -> tuple[int, int]:
    """Common prefix and suffix lengths, cut at whitespace so no word is split (or
    beside a CJK character, a word of its own).

    >>> _trim_at_spaces("the old bridge", "the new bridge")
    (4, 7)
    >>> _trim_at_spaces("北京今天宣布", "北京昨天宣布")
    (2, 3)
    """
    pre = _COMMON.diff_commonPrefix(old, new)
    if (pre < len(old) or pre < len(new)) and not (pre and CJK_CHAR.match(old, pre - 1)):
        pre = max(old.rfind(" ", 0, pre), old.rfind("\n", 0, pre)) + 1
    suf = _COMMON.diff_commonSuffix(old[pre:], new[pre:])
    if suf:
        start = len(old) - suf
        if not CJK_CHAR.match(old, start):
            cut = [k for k in (old.find(" ", start), old.find("\n", start)) if k >= 0]
            suf = len(old) - min(cut) if cut else 0
    return pre, suf


def word_diff(old: str, new: str, budget: InlineBudget | None = None) -> list[Segment]:
    """Word-level diff: tokens are words as the engine counts them (runs of letters,
    numbers with their separators, single CJK characters), runs of spaces, and
    single punctuation marks.

    >>> [(s.op, s.text) for s in word_diff("foo bar baz", "foo car baz")]
    [('equal', 'foo '), ('delete', 'bar'), ('insert', 'car'), ('equal', ' baz')]
    """
    if old == new:
        return deletions_first([Segment("equal", old)])
    pre, suf = _trim_at_spaces(old, new)
    old_mid, new_mid = old[pre : len(old) - suf], new[pre : len(new) - suf]
    # Every space starts a token: when even those counts are past what any diff
    # takes, the middle is shown replaced without tokenizing megabytes first (nor
    # megabytes without spaces: CJK text, a token a character).
    if (
        old_mid.count(" ") + new_mid.count(" ") > ANCHORED_MAX_TOKENS
        or len(old_mid) + len(new_mid) > MAX_MIDDLE_CHARS
    ):
        (budget or InlineBudget()).capped += 1
        return deletions_first(
            [
                Segment("equal", old[:pre]),
                Segment("delete", old_mid),
                Segment("insert", new_mid),
                Segment("equal", old[len(old) - suf :]),
            ]
        )
    mid_a = _TOKEN.findall(old_mid)
    mid_b = _TOKEN.findall(new_mid)
    # Tokens to characters: code points in order of first appearance.
    index: dict[str, int] = {}
    code_a = "".join([chr(index.setdefault(t, len(index))) for t in mid_a])
    code_b = "".join([chr(index.setdefault(t, len(index))) for t in mid_b])
    table = list(index)
    middle = _diff_middle(code_a, code_b, table, budget)
    return deletions_first(
        [Segment("equal", old[:pre]), *middle, Segment("equal", old[len(old) - suf :])]
    )


def char_diff(old: str, new: str, budget: InlineBudget | None = None) -> list[Segment]:
    """Character-level diff with semantic cleanup.

    >>> [(s.op, s.text) for s in char_diff("colour", "color")]
    [('equal', 'colo'), ('delete', 'u'), ('equal', 'r')]
    """
    if old == new:
        return deletions_first([Segment("equal", old)])
    pre = _COMMON.diff_commonPrefix(old, new)
    suf = _COMMON.diff_commonSuffix(old[pre:], new[pre:])
    middle = _diff_middle(old[pre : len(old) - suf], new[pre : len(new) - suf], None, budget)
    return deletions_first(
        [Segment("equal", old[:pre]), *middle, Segment("equal", old[len(old) - suf :])]
    )
