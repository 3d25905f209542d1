"""Documents as blocks: the unit the aligner works on.

Public API: Block, BlockWords, Document, Kind, Family, KINDS, family,
count_words, block_from_dict, make_document, parse_text.

A Block is (kind, text). Kinds: heading, paragraph, boilerplate, and from
HTML or Markdown also list_item, quote and caption. For alignment and
counting, list items, quotes and captions belong to the paragraph family:
they are body text, and the same text as a <li> or as a plain line is the
same content.
"""

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import filterfalse
from typing import Literal, get_args

from app.engine.classify import (
    glue_candidates,
    is_boilerplate,
    looks_like_heading,
    split_glued_heading,
)
from app.engine.normalize import list_marker, normalize_text, split_paragraphs

__all__ = [
    "CJK",
    "CJK_CHAR",
    "KINDS",
    "NUMBER",
    "WORD",
    "Block",
    "BlockWords",
    "Document",
    "Family",
    "Kind",
    "WordPattern",
    "block_from_dict",
    "count_words",
    "family",
    "make_document",
    "parse_text",
]

Kind = Literal["heading", "paragraph", "boilerplate", "list_item", "quote", "caption"]
Family = Literal["heading", "paragraph", "boilerplate"]
KINDS: tuple[Kind, ...] = get_args(Kind)
_KIND_BY_NAME: dict[str, Kind] = {k: k for k in KINDS}
_FAMILY: dict[Kind, Family] = {"heading": "heading", "boilerplate": "boilerplate"}
# What joins two runs of digits into one number: "1,204", "3.75", "5:32", "05/01".
_SEPARATOR = "[.,:/]"
# A number with its separators.
NUMBER = rf"\d+(?:{_SEPARATOR}\d+)*"
# Scripts written without spaces between words, where each character is taken as a
# word (as Chinese counts words): hiragana, katakana and Han ideographs (one range
# from U+3040 to U+9FFF, with the CJK symbols and Bopomofo between them: fewer ranges
# match faster), compatibility ideographs, half-width katakana, and the ideographs
# beyond the BMP. Korean puts spaces between words: its syllables are not here.
CJK = "\u3040-\u9fff\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f"


def _word(letter: str) -> str:
    """A run of `letter`, carried through a separator between two digits."""
    return rf"{letter}++(?:{_SEPARATOR}(?<=\d{_SEPARATOR})\d{letter}*+)*+"


# What counts as a word everywhere in the engine (summaries, sections, similarity,
# word diffs): a run of letters, digits and underscores, carried through a separator
# between two digits ("1,204", "3.75", "5:30" are one word each, as the word diff
# shows a changed figure); in Chinese and Japanese, each character.
_PLAIN_WORD = _word(r"\w")
_CJK_WORD = _word(rf"[^\W{CJK}]") + rf"|(?=\w)[{CJK}]"
CJK_CHAR = re.compile(f"[{CJK}]")


class WordPattern:
    """Words as the engine counts them, optionally followed by `rest` (alternatives
    for what lies between words, for word diffs). The plain pattern reads every text
    first; the CJK one (whose ranges cost every character a third more) rereads only a
    text whose words hold a CJK character: without one, both find the same.

    >>> WORD.findall("The 2nd vote: 1,204 (3.5%) at 5:30."), WORD.findall("北京2024年")
    (['The', '2nd', 'vote', '1,204', '3.5', 'at', '5:30'], ['北', '京', '2024', '年'])
    """

    __slots__ = ("_cjk", "_plain")

    def __init__(self, rest: str = "") -> None:
        self._plain = re.compile(_PLAIN_WORD + rest)
        self._cjk = re.compile(_CJK_WORD + rest)

    def findall(self, text: str) -> list[str]:
        found: list[str] = self._plain.findall(text)
        if not text.isascii() and any(map(CJK_CHAR.search, filterfalse(str.isascii, found))):
            found = self._cjk.findall(text)
        return found


WORD = WordPattern()
_MARKDOWN_HEADING = re.compile(r"^#{1,6}\s+(.+?)(?:\s+#+)?$")


@dataclass(frozen=True, slots=True)
class Block:
    kind: Kind
    text: str

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "text": self.text}


@dataclass(frozen=True, slots=True)
class Document:
    """Parsed blocks plus the canonical text they stand for and its SHA-256."""

    blocks: tuple[Block, ...]
    text: str
    sha256: str


def family(kind: Kind) -> Family:
    """The alignment family of a kind.

    >>> family("list_item"), family("heading")
    ('paragraph', 'heading')
    """
    return _FAMILY.get(kind, "paragraph")


def count_words(text: str) -> int:
    """How many words a text holds (see WORD).

    >>> count_words("Putin’s $60-billion deal, signed."), count_words("1,204 votes at 5:30")
    (6, 4)
    >>> count_words("北京今天宣布"), count_words("東京都は今日")
    (6, 6)
    """
    return len(WORD.findall(text))


class BlockWords:
    """Each block's set of lower-cased words and its word count, from one pass over
    its text, on demand: the aligner needs the sets, the summary the counts, and
    a megabyte of words costs ~0.1 s a pass.

    >>> w = BlockWords([Block("paragraph", "The cat saw the CAT.")])
    >>> sorted(w.words(0)), w.count(0)
    (['cat', 'saw', 'the'], 5)
    """

    __slots__ = ("_blocks", "_counts", "_sets")

    def __init__(self, blocks: Sequence[Block]) -> None:
        self._blocks = blocks
        self._sets: dict[int, frozenset[str]] = {}
        self._counts: dict[int, int] = {}

    def _read(self, i: int) -> None:
        text = self._blocks[i].text
        lowered = text.lower()
        found = WORD.findall(lowered)
        self._sets[i] = frozenset(found)
        # Lower-casing can lengthen a text ("İ" -> "i̇") and so split a word.
        self._counts[i] = len(found) if len(lowered) == len(text) else count_words(text)

    def words(self, i: int) -> frozenset[str]:
        found = self._sets.get(i)
        if found is None:
            self._read(i)
            found = self._sets[i]
        return found

    def count(self, i: int) -> int:
        found = self._counts.get(i)
        if found is None:
            self._read(i)
            found = self._counts[i]
        return found


def block_from_dict(data: Mapping[str, str]) -> Block:
    """A Block from its stored form; an unknown kind is a ValueError.

    >>> block_from_dict({"kind": "heading", "text": "Energy"})
    Block(kind='heading', text='Energy')
    """
    kind = _KIND_BY_NAME.get(data["kind"])
    if kind is None:
        raise ValueError(f"unknown block kind {data['kind']!r}")
    return Block(kind, data["text"])


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


def _list_markers(pieces: Sequence[tuple[str, bool]]) -> list[int]:
    """The length of each piece's list marker (0: not a list item). A numbered line
    counts only beside another ("1. Background" above its text is a heading).

    >>> _list_markers([("1. Background", False), ("Text.", False), ("- Item", False)])
    [0, 0, 2]
    """
    markers = [0 if explicit else list_marker(piece) for piece, explicit in pieces]
    numbered = [bool(m) and pieces[i][0][0].isdigit() for i, m in enumerate(markers)]
    for i, is_numbered in enumerate(numbered):
        if is_numbered and not any(numbered[j] for j in (i - 1, i + 1) if 0 <= j < len(pieces)):
            markers[i] = 0
    return markers


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
    markers = _list_markers(pieces)
    blocks = []
    kind: Kind
    for i, (piece, explicit) in enumerate(pieces):
        marker = markers[i]
        if marker:  # "- item", "1. item": the item's text, as HTML and Markdown give it
            kind, piece = "list_item", piece[marker:]
        elif chrome[i] and not explicit:
            kind = "boilerplate"
        elif explicit or (looks_like_heading(piece) and i + 1 < len(pieces) and not chrome[i + 1]):
            kind = "heading"
        else:
            kind = "paragraph"
        blocks.append(Block(kind, piece))
    return tuple(blocks)
