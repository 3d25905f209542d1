"""Block classification for plain text: headings, page chrome, glued headings.

Public API: looks_like_heading, is_boilerplate, split_glued_heading.

Plain text scraped from HTML loses its tags, so a heading is recognised by
shape: a short line without sentence punctuation with body text under it.
Scrapers also glue a heading to the paragraph that follows it
("Energy allianceNoting that…"); split_glued_heading repairs that without
breaking ordinary words with inner capitals (YouTube, iPhone, McDonald's).
"""

import re
from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate

__all__ = ["glue_candidates", "is_boilerplate", "looks_like_heading", "split_glued_heading"]

MAX_HEADING_WORDS = 12
MAX_HEADING_CHARS = 100
MAX_CHROME_CHARS = 80

# Endings that make a line a sentence, not a heading. A question is a
# paragraph too: one-line questions are common body text in news.
# Sentence and clause ends, in Latin, CJK, Arabic and Devanagari punctuation.
_NOT_HEADING_END = ".,;:!?\"'“”‘’…-–—。．！？；：，、」』؟،؛۔।॥"
_QUOTE_START = "\"'“‘«„"

# Page chrome: whole lines that are navigation, sharing or advertising, not
# article text. Matched against the lower-cased line with edge punctuation and
# bullets removed, so "COMMents", "SHARE »" and "• Print" all count.
_CHROME = re.compile(
    r"""^(?:
      share(?:\s+(?:this|on|via|the)\b.*|\s+article|\s+story)?
    | (?:\d+\s+)?comments?(?:\s*\(\d+\))?
    | (?:view|show|hide|read|see|load)\s+(?:all\s+)?(?:\d+\s+)?comments?
    | (?:leave|add|post|write)\s+a\s+comment
    | comments?\s+(?:are\s+)?closed
    | print(?:\s+this(?:\s+(?:article|page|story))?)?
    | e-?mail(?:\s+this(?:\s+(?:article|page|story))?)?
    | advertisement|advertising|advert|ad|ads|sponsored(?:\s+content)?|promoted(?:\s+content)?
    | story\s+continues\s+below(?:\s+(?:this\s+)?advertisement)?
    | (?:continue|keep)\s+reading(?:\s+(?:below|the\s+main\s+story))?
    | read\s+more(?:\s*:.*|\s+(?:about|on|at|from)\s+.*)?
    | (?:see\s+also|related(?:\s+(?:articles?|stories|content|coverage|links|topics))?)
    | most\s+(?:read|popular|viewed)
    | subscribe\b.*|sign\s+up\b.*newsletter.*|newsletter(?:\s+sign[\s-]?up)?
    | follow\s+us\b.*|like\s+us\s+on\s+facebook
    | tweet|facebook|twitter|whatsapp|linkedin|pinterest|reddit|telegram|x|flipboard
    | copy\s+(?:the\s+)?link|link\s+copied
    | view\s+(?:this|the)\s+post\s+on\s+(?:instagram|facebook|x|twitter|threads|tiktok)
    | view\s+on\s+(?:instagram|facebook|x|twitter|threads|tiktok|youtube)
    | a\s+post\s+shared\s+by\s+[^.!?()]*\(@[\w.]+\)?
    | skip\s+to\s+(?:main\s+)?content|back\s+to\s+top|jump\s+to\s+comments
    | listen\s+to\s+(?:this\s+)?(?:article|story)(?:\s*[\d:]+\s*(?:min(?:utes?)?)?)?
    | click\s+here\b.*|tap\s+here\b.*
    | (?:log|sign)\s*in|(?:log|sign)\s*out|register|menu|search|close
    | gift\s+(?:this\s+)?article|save(?:\s+(?:this\s+)?(?:article|story))?|bookmark
    | (?:photo|image|video)\s*:?\s*(?:getty\s+images|reuters|ap|afp)
    | all\s+rights\s+reserved.*|©.*|copyright\s+©?.*
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
_EDGE = "\u2022·•|»«›‹>→←-–—*:()[] "

# Capitalised words that start sentences: a capitalised one-word heading glued
# to one of these ("BackgroundThe…") is split; "LinkedIn" is not (In is absent).
_SENTENCE_STARTERS = frozenset(
    """The This That These Those There They Their Then Than When While Where What Which Who Why
    How After Before Since Until During Although Though Despite Because But And For With
    Without From Under Over About Among Between Some Many Most More Several Officials Police
    President Prime Minister Former Last Next Earlier Later Meanwhile According Speaking
    Asked Mr Mrs Ms Dr Prof Its Our Your His Her She He We You Not One Two Three Four Five
    Six Seven Eight Nine Ten Today Yesterday Tomorrow Each Every Both Either Neither Such
    Only Even Also""".split()
)


def looks_like_heading(line: str) -> bool:
    """A short line without sentence punctuation that starts like a title: with a
    capital or a digit, or in a script without case (Chinese, Arabic, Hindi…) with a
    letter.

    >>> looks_like_heading("Energy alliance")
    True
    >>> looks_like_heading("Mr. Putin said relations are at their best.")
    False
    >>> looks_like_heading("“We will win”")
    False
    >>> looks_like_heading("能源联盟"), looks_like_heading("俄罗斯已经向中国供应石油。")
    (True, False)
    """
    if len(line) > MAX_HEADING_CHARS + 20:
        return False  # most paragraphs: decided without any string work
    line = line.strip()
    if not line or len(line) > MAX_HEADING_CHARS or line.count(" ") >= MAX_HEADING_WORDS:
        return False
    if line[0] in _QUOTE_START or line[-1] in _NOT_HEADING_END:
        return False
    first = line[0]
    starts = first.isupper() or first.isdigit() or (first.isalpha() and not first.islower())
    return starts and any(c.isalpha() for c in line)


def is_boilerplate(line: str) -> bool:
    """Page chrome: share/comment/print/advertisement/read-more/subscribe lines.

    >>> is_boilerplate("COMMents")
    True
    >>> is_boilerplate("SHARE")
    True
    >>> is_boilerplate("Share prices fell sharply on Monday.")
    False
    """
    if len(line) > MAX_CHROME_CHARS:
        return False
    core = line.strip().strip(_EDGE).rstrip(".")
    return bool(core) and _CHROME.match(core) is not None


# An upper-case letter between a lower-case one and another lower-case one:
# where a heading may be glued to its paragraph. Latin letters (with accents)
# only, which is what the rules below were measured on. The pattern starts
# with the (rare) capital so the regex engine skips ahead quickly; a glue
# point is only looked for in the first _GLUE_WINDOW characters.
_GLUE = re.compile(r"[A-ZÀ-ÖØ-Þ](?<=[a-zß-öø-ÿ][A-ZÀ-ÖØ-Þ])(?=[a-zß-öø-ÿ])")
_GLUE_WINDOW = MAX_HEADING_CHARS + 2


def glue_candidates(paragraphs: Sequence[str]) -> set[int]:
    """Indices of paragraphs with a glue point near their start.

    One regex pass over the joined paragraph starts instead of one search per
    paragraph: glue points are rare, and a per-paragraph search costs more.

    >>> sorted(glue_candidates(["Energy allianceNoting that…", "Plain text.", "A YouTube clip."]))
    [0, 2]
    """
    starts = list(accumulate((min(len(p), _GLUE_WINDOW) + 1 for p in paragraphs), initial=0))
    heads = "\n".join([p[:_GLUE_WINDOW] for p in paragraphs])
    return {bisect_right(starts, m.start()) - 1 for m in _GLUE.finditer(heads)}


def _glue_points(text: str) -> list[int]:
    """Positions p where a lower-case letter is directly followed by Upper+lower.

    >>> _glue_points("Energy allianceNoting that")
    [15]
    """
    return [m.start() for m in _GLUE.finditer(text, 0, _GLUE_WINDOW)]


def split_glued_heading(text: str) -> tuple[str, str] | None:
    """Split "HeadingParagraph…" into (heading, paragraph), or None.

    The heading's last word must be all lower-case with 3+ letters
    ("Energy alliance|Noting"), or a capitalised single word followed by a
    sentence starter ("Background|The"). Brand names with inner capitals have
    a short or capitalised stem before the capital, so they never qualify.

    >>> split_glued_heading("Energy allianceNoting that Russia already supplies oil to China.")
    ('Energy alliance', 'Noting that Russia already supplies oil to China.')
    >>> split_glued_heading("YouTube removed the video after complaints from viewers.") is None
    True
    """
    for p in _glue_points(text):
        head, rest = text[:p], text[p:]
        words = head.split()
        if not looks_like_heading(head) or len(words) > 10:
            continue
        if any(ch in head for ch in '.!?;:"“”'):
            continue
        if len(rest.split()) < 4 or len(rest) <= len(head):
            continue
        last = words[-1]
        first_of_rest = re.match(r"\w+", rest)
        if last.isalpha() and last.islower() and len(last) >= 3:
            return head, rest
        if (
            len(words) == 1
            and last.isalpha()
            and last[0].isupper()
            and last[1:].islower()
            and len(last) >= 5
            and first_of_rest is not None
            and first_of_rest.group() in _SENTENCE_STARTERS
        ):
            return head, rest
    return None
