"""Text normalization: one small pure function per concern, like ftfy's fixers.

Public API: normalize_text, join_hard_wraps, split_paragraphs.

Everything that is reformatting rather than editing is removed here, so the
aligner never sees it: Unicode composition, line endings, exotic spaces,
invisible characters, trailing spaces, hard wraps, and whether paragraphs are
separated by blank lines or single line breaks.
"""

import re
import unicodedata

__all__ = ["join_hard_wraps", "normalize_text", "split_paragraphs"]

# Spaces that render like a space (NBSP, thin, figure, ideographic…) and tabs.
_SPACES = re.compile(r"[\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
# Characters that render as nothing: zero-width spaces/joiners, BOM, soft hyphen.
_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
# C0 controls other than newline; vertical tab and form feed count as line breaks.
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_MULTISPACE = re.compile(r" {2,}")
_BLANK_LINES = re.compile(r"\n[ ]*\n\s*")

# A line that ends like a sentence (or a quoted sentence) is a whole paragraph
# in texts that put one paragraph on each line.
_SENTENCE_END = re.compile(r"[.!?:;…]['\"”’)\]]*$|['\"”’]$")


def normalize_text(text: str) -> str:
    """Normalize Unicode, line endings and spaces; keep the line structure.

    >>> normalize_text("Caf\\u0065\\u0301 \\u00a0opens\\r\\nat  noon \\u200b")
    'Café opens\\nat noon'
    """
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n\n")
    text = text.replace("\x0b", "\n").replace("\x0c", "\n").replace("\x85", "\n")
    text = _CONTROLS.sub("", _INVISIBLE.sub("", text))
    text = _SPACES.sub(" ", text)
    lines = (_MULTISPACE.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(lines).strip("\n")


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


def split_paragraphs(text: str) -> list[str]:
    """Split normalized text into paragraph strings.

    Texts with blank lines use them as separators and join the lines inside a
    paragraph; texts without any blank line have one paragraph per line.

    >>> split_paragraphs("One.\\nTwo.")
    ['One.', 'Two.']
    >>> split_paragraphs("One\\nstill one.\\n\\nTwo.")
    ['One still one.', 'Two.']
    """
    text = text.strip()
    if not text:
        return []
    chunks = _BLANK_LINES.split(text)
    if len(chunks) == 1:
        return [line for line in text.split("\n") if line]
    paragraphs: list[str] = []
    for chunk in chunks:
        lines = [line for line in chunk.split("\n") if line]
        if len(lines) > 1 and _one_per_line(lines):
            paragraphs.extend(lines)
        else:
            paragraphs.append(join_hard_wraps(chunk))
    return paragraphs
