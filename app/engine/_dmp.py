"""The only module that imports diff_match_patch.

Public API: word_diff, char_diff, Segment.

Word mode follows the diff-match-patch wiki: map each token to one character,
diff the character strings, map back, then run semantic cleanup. Diff_Timeout
is 0 so results never depend on machine speed; instead, the input of each
call is bounded (common prefix and suffix trimmed first, and a middle that is
too large for an exact diff is reported as one replacement).
"""

import re
from typing import NamedTuple

from diff_match_patch import diff_match_patch

__all__ = ["MAX_DIFF_CELLS", "Segment", "char_diff", "word_diff"]

# n*m of the trimmed middle above which no exact diff is attempted. Myers'
# diff is O((n+m)·d); 250k cells keeps the worst case of one call near 0.1 s.
MAX_DIFF_CELLS = 250_000

_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")
_OPS = {diff_match_patch.DIFF_EQUAL: "equal", diff_match_patch.DIFF_INSERT: "insert",
        diff_match_patch.DIFF_DELETE: "delete"}


class Segment(NamedTuple):
    op: str  # "equal" | "insert" | "delete"
    text: str


def _dmp() -> diff_match_patch:
    dmp = diff_match_patch()
    dmp.Diff_Timeout = 0
    return dmp


_DMP = _dmp()


def _trim(a: list[str] | str, b: list[str] | str) -> tuple[int, int]:
    """Lengths of the common prefix and (non-overlapping) common suffix."""
    n = min(len(a), len(b))
    pre = 0
    while pre < n and a[pre] == b[pre]:
        pre += 1
    suf = 0
    while suf < n - pre and a[-1 - suf] == b[-1 - suf]:
        suf += 1
    return pre, suf


def _merge(segments: list[Segment]) -> list[Segment]:
    """Drop empty segments and join neighbours with the same op."""
    out: list[Segment] = []
    for seg in segments:
        if not seg.text:
            continue
        if out and out[-1].op == seg.op:
            out[-1] = Segment(seg.op, out[-1].text + seg.text)
        else:
            out.append(seg)
    return out


def _diff_middle(a: str, b: str, decode: list[str] | None) -> list[Segment]:
    if not a or not b or len(a) * len(b) > MAX_DIFF_CELLS:
        return [Segment("delete", _decode(a, decode)), Segment("insert", _decode(b, decode))]
    diffs = _DMP.diff_main(a, b, False)
    _DMP.diff_cleanupSemantic(diffs)
    return [Segment(_OPS[op], _decode(text, decode)) for op, text in diffs]


def _decode(chars: str, table: list[str] | None) -> str:
    if table is None:
        return chars
    return "".join(table[ord(c)] for c in chars)


def word_diff(old: str, new: str) -> list[Segment]:
    """Word-level diff: tokens are words, runs of spaces, and single punctuation marks.

    >>> word_diff("foo bar baz", "foo car baz")
    [Segment(op='equal', text='foo '), Segment(op='delete', text='bar'), Segment(op='insert', text='car'), Segment(op='equal', text=' baz')]
    """
    if old == new:
        return _merge([Segment("equal", old)])
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    pre, suf = _trim(a, b)
    mid_a, mid_b = a[pre : len(a) - suf], b[pre : len(b) - suf]
    table: list[str] = []
    index: dict[str, int] = {}

    def encode(tokens: list[str]) -> str:
        out = []
        for tok in tokens:
            code = index.get(tok)
            if code is None:
                code = index[tok] = len(table)
                table.append(tok)
            out.append(chr(code))
        return "".join(out)

    middle = _diff_middle(encode(mid_a), encode(mid_b), table)
    head = Segment("equal", "".join(a[:pre]))
    tail = Segment("equal", "".join(a[len(a) - suf :]))
    return _merge([head, *middle, tail])


def char_diff(old: str, new: str) -> list[Segment]:
    """Character-level diff with semantic cleanup.

    >>> char_diff("colour", "color")
    [Segment(op='equal', text='colo'), Segment(op='delete', text='u'), Segment(op='equal', text='r')]
    """
    if old == new:
        return _merge([Segment("equal", old)])
    pre, suf = _trim(old, new)
    middle = _diff_middle(old[pre : len(old) - suf], new[pre : len(new) - suf], None)
    return _merge([Segment("equal", old[:pre]), *middle,
                   Segment("equal", old[len(old) - suf :])])
