"""Markdown into blocks, with markdown-it-py (a maintained CommonMark parser).

Public API: parse_markdown.

Headings → heading, paragraphs → paragraph, list items → list_item, block
quotes → quote. Inline markup (emphasis, links, code spans) is reduced to its
text, so re-formatting a link is not a wording change; an image is not text (its
alt text is dropped, as the HTML parser drops an <img>), so the same article sent
as Markdown or as its HTML gives the same blocks. A static site's
front matter (YAML or TOML) and its shortcodes ({{< … >}}, {{% … %}}) are
removed; raw HTML blocks go through the HTML parser.
A document nested past the parser's limit is NestingTooDeep, as deep HTML is.
"""

import re

from markdown_it import MarkdownIt
from markdown_it.token import Token

from app.engine.blocks import Block, Kind
from app.engine.classify import is_boilerplate
from app.engine.html_blocks import MAX_HTML_DEPTH, NestingTooDeep, parse_html
from app.engine.normalize import normalize_text

__all__ = ["parse_markdown"]

_MD = MarkdownIt("commonmark").enable("table").enable("strikethrough")
# markdown-it stops reading a block nested this deep (20 levels, its own default: higher
# makes link labels of nested brackets slower, 20,000 of them took 1.8 s at 256) and
# silently drops what it holds: 20 nested quotes parsed to nothing. Real documents
# reach 5 levels (the corpus); one that reaches the limit is refused, not stored in part.
_MAX_NESTING: int = _MD.options["maxNesting"]
_SHORTCODE = re.compile(r"\{\{[<%].*?[%>]\}\}", re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_BREAK = re.compile(r"<br\b", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
# A static site's front matter: YAML between --- lines (or ending with ...), or TOML
# between +++ lines (Hugo).
_FRONT_MATTER = re.compile(r"\A(?:---\n.*?\n(?:---|\.\.\.)|\+\+\+\n.*?\n\+\+\+)\n", re.DOTALL)


def _inline_text(token: Token) -> str:
    parts = []
    for child in token.children or ():
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "html_inline" and _BREAK.match(child.content):
            parts.append(" ")  # a line break, as in HTML: a space
    text = _SHORTCODE.sub(" ", "".join(parts))
    return _SPACE.sub(" ", _TAG.sub("", normalize_text(text))).strip()


def parse_markdown(markdown: str, *, max_html_depth: int = MAX_HTML_DEPTH) -> tuple[Block, ...]:
    """Parse CommonMark into blocks.

    >>> md = "## Energy\\n\\nOil [and](http://x) *gas*.\\n\\n- one"
    >>> [(b.kind, b.text) for b in parse_markdown(md)]
    [('heading', 'Energy'), ('paragraph', 'Oil and gas.'), ('list_item', 'one')]
    """
    source = _FRONT_MATTER.sub("", normalize_text(markdown) + "\n")
    source = _SHORTCODE.sub(lambda m: "\n" if "\n" in m.group() else " ", source)
    blocks: list[Block] = []
    context: list[str] = []
    row: list[str] | None = None
    tokens = _MD.parse(source)
    deepest = max((t.level for t in tokens), default=0)
    if deepest >= _MAX_NESTING - 1:  # a block at the limit may have been cut short
        raise NestingTooDeep(deepest, _MAX_NESTING - 2)
    for token in tokens:
        if token.type.endswith("_open"):
            context.append(token.type[:-5])
            if token.type == "tr_open":
                row = []
        elif token.type.endswith("_close"):
            if context:
                context.pop()
            if token.type == "tr_close" and row:
                blocks.append(Block("paragraph", " | ".join(c for c in row if c)))
                row = None
        elif token.type == "inline":
            text = _inline_text(token)
            if row is not None:
                row.append(text)
            elif text:
                blocks.append(Block(_kind(context, text), text))
        elif token.type == "html_block":
            blocks.extend(parse_html(token.content, extract=False, max_depth=max_html_depth))
        elif token.type in ("fence", "code_block"):
            text = _SPACE.sub(" ", token.content).strip()
            if text:
                blocks.append(Block("paragraph", text))
    return tuple(blocks)


def _kind(context: list[str], text: str) -> Kind:
    if "heading" in context:
        return "heading"
    if "list_item" in context:
        return "list_item"
    if "blockquote" in context:
        return "quote"
    return "boilerplate" if is_boilerplate(text) else "paragraph"
