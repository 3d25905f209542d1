"""Text normalization: one small pure function per concern, like ftfy's fixers.

Public API: normalize_text, join_hard_wraps, split_paragraphs, list_marker, INVISIBLE,
VISIBLE_TEXT_PATTERN.

Everything that is reformatting rather than editing is removed here, so the
aligner never sees it: Unicode composition, line endings, exotic spaces,
invisible characters, trailing spaces, hard wraps, and whether paragraphs are
separated by blank lines or single line breaks.
"""

import re
import unicodedata

__all__ = [
    "INVISIBLE",
    "VISIBLE_TEXT_PATTERN",
    "join_hard_wraps",
    "list_marker",
    "normalize_line",
    "normalize_text",
    "split_paragraphs",
]

# Single characters fixed in one regex pass: spaces that render like a
# space (NBSP, thin, figure, ideographic…) and tabs become a space; characters
# that render as nothing (zero-width space, word joiner, BOM, soft hyphen) and
# C0 controls vanish; other line and paragraph separators become newlines.
_TABLE: dict[int, str | None] = dict.fromkeys(
    [0x09, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x202F, 0x205F, 0x3000], " "
)
_TABLE |= dict.fromkeys(
    [0x200B, 0x2060, 0xFEFF, 0xAD, 0x7F, *range(0x00, 0x09), *range(0x0E, 0x20)]
)
_TABLE |= {0x0B: "\n", 0x0C: "\n", 0x85: "\n", 0x2028: "\n", 0x2029: "\n\n"}
_FIXED = frozenset(map(chr, _TABLE))
# The zero-width non-joiner and joiner shape the characters on either side: Persian
# writes "می‌خواهم" with a non-joiner, an emoji family is three emoji and two
# joiners, Indic scripts need both. Kept between two characters that stay; by a
# space, an edge of the text or another joiner they shape nothing and vanish.
_JOINERS = frozenset("\u200c\u200d")
_ODD = re.compile("[" + "".join(re.escape(c) for c in sorted(_FIXED | _JOINERS)) + "]")

# Everything normalization removes or reads as white space, as the contents of a
# regex character class in syntax Python and ECMAScript share: a text made only
# of these parses to no block at all (a Hypothesis test holds the two together).
INVISIBLE = (
    r"\u0000-\u0020\u007f\u0085\u00a0\u00ad\u1680\u2000-\u200d\u2028\u2029"
    r"\u202f\u205f\u2060\u3000\ufeff"
)
# A body with at least one visible character and no NUL (the OpenAPI schema states it).
VISIBLE_TEXT_PATTERN = rf"^[^\u0000]*[^{INVISIBLE}][^\u0000]*$"


def _fix_char(match: re.Match[str]) -> str:
    char = match.group()
    if char in _JOINERS:
        text, at = match.string, match.start()
        kept = 0 < at < len(text) - 1 and _stays(text[at - 1]) and _stays(text[at + 1])
        return char if kept else ""
    return _TABLE[ord(char)] or ""


def _stays(char: str) -> bool:
    """Whether a joiner's neighbour is a character normalization keeps as it is."""
    return not (char in _FIXED or char in _JOINERS or char.isspace())


_MULTISPACE = re.compile(r" {2,}")
_LINE_EDGES = re.compile(r" ?\n ?")
_BLANK_LINES = re.compile(r"\n[ ]*\n\s*")

# A line that ends like a sentence (or a quoted sentence) is a whole paragraph
# in texts that put one paragraph on each line.
_SENTENCE_END = re.compile(r"[.!?:;…]['\"”’)\]]*$|['\"”’]$")
# A list item's marker opening a line: a bullet, or a number with "." or ")", then a
# space and the item's text ("– " and "— " open quoted speech, not items).
_LIST_MARKER = re.compile(r"(?:[-*+•◦▪‣]|\d{1,3}[.)]) +(?=\S)")


def normalize_text(text: str) -> str:
    """Normalize Unicode, line endings and spaces; keep the line structure.

    >>> normalize_text("Caf\\u0065\\u0301 \\u00a0opens\\r\\nat  noon \\u200b")
    'Café opens\\nat noon'
    """
    text = unicodedata.normalize("NFC", text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    # One pass for every single-character fix: breaks, spaces, invisibles, joiners. The
    # regex finds the (usually few) characters; str.translate with a dict table
    # would look up every character of the text instead.
    text = _ODD.sub(_fix_char, text)
    if "  " in text:
        text = _MULTISPACE.sub(" ", text)
    if " \n" in text or "\n " in text:
        text = _LINE_EDGES.sub("\n", text)
    return text.strip()


def normalize_line(text: str) -> str:
    """A text normalized as one line (a title): every run of white space one space.

    >>> normalize_line(" Storm\\u00a0 hits\\n the coast \\u200b")
    'Storm hits the coast'
    """
    return " ".join(normalize_text(text).split())


def join_hard_wraps(paragraph: str) -> str:
    """Join lines that were wrapped inside one paragraph.

    >>> join_hard_wraps("The minister said\\nthe fire was out.")
    'The minister said the fire was out.'
    """
    return " ".join(line for line in paragraph.split("\n") if line)


def _one_per_line(lines: list[str]) -> bool:
    """True when every line but the last ends a sentence: lines are paragraphs, not wraps.

    >>> _one_per_line(["He left.", "She stayed."])
    True
    >>> _one_per_line(["He left the", "room."])
    False
    """
    return all(_SENTENCE_END.search(line) for line in lines[:-1])


def list_marker(line: str) -> int:
    """The length of the list marker opening `line` (0: none); an item needs a letter
    or digit after it ("* * *" is a divider).

    >>> list_marker("- Rates rose."), list_marker("12) Twelfth"), list_marker("-5 degrees")
    (2, 4, 0)
    >>> list_marker("* * *"), list_marker("2024. A year")
    (0, 0)
    """
    found = _LIST_MARKER.match(line)
    if found is None or not any(c.isalnum() for c in line[found.end() :]):
        return 0
    return found.end()


def _items(lines: list[str]) -> list[str]:
    """A chunk's lines as paragraphs, one per list item: a line opening with a list
    marker starts one, and the lines after it until the next are its wraps."""
    paragraphs: list[list[str]] = []
    for line in lines:
        if not paragraphs or list_marker(line):
            paragraphs.append([line])
        else:
            paragraphs[-1].append(line)
    return [" ".join(p) for p in paragraphs]


def split_paragraphs(text: str) -> list[str]:
    """Split normalized text into paragraph strings.

    Texts with blank lines use them as separators and join the lines inside a
    paragraph, but for list items, one a line; texts without any blank line have
    one paragraph per line.

    >>> split_paragraphs("One.\\nTwo.")
    ['One.', 'Two.']
    >>> split_paragraphs("One\\nstill one.\\n\\nTwo.")
    ['One still one.', 'Two.']
    >>> split_paragraphs("Key points\\n- rates rose\\n- markets\\nrallied\\n\\nEnd.")
    ['Key points', '- rates rose', '- markets rallied', 'End.']
    """
    text = text.strip()
    if not text:
        return []
    chunks = _BLANK_LINES.split(text)
    if len(chunks) == 1:
        return [line for line in text.split("\n") if line]
    paragraphs: list[str] = []
    for chunk in chunks:
        if "\n" not in chunk:  # the usual case: a one-line paragraph
            paragraphs.append(chunk)
            continue
        lines = [line for line in chunk.split("\n") if line]
        if _one_per_line(lines):
            paragraphs.extend(lines)
        elif any(list_marker(line) for line in lines):
            paragraphs.extend(_items(lines))
        else:
            paragraphs.append(join_hard_wraps(chunk))
    return paragraphs
