"""HTML into blocks.

Public API: parse_html, html_nesting, NestingTooDeep, MAX_HTML_DEPTH.

The parser is selectolax's Lexbor backend: a complete HTML5 parser in C,
an order of magnitude faster than BeautifulSoup and maintained. An article
body (a fragment, or a page with an <article> or <main>) is walked directly;
a whole web page without either goes through trafilatura's main-content
extractor first, which drops navigation, sidebars and footers by learned
rules instead of hand-written ones.

Block mapping: h1–h6 → heading, p → paragraph, li → list_item, blockquote →
quote, figcaption → caption, a table row → one paragraph of its cells joined by
" | " (as Markdown's tables read); bare text inside a container → paragraph, and
paragraphs inside a list item or a quote take its kind. A <br> is a space; two
in a row end a paragraph, as a blank line does in text, and so does an <hr>;
a <q> reads in quotation marks, as browsers show it.
Script, style, iframes, forms, navigation and share/comment/ad widgets are
dropped; a remaining line of chrome ("SHARE") becomes a boilerplate block,
exactly as in plain text.

Work is bounded before parsing: an HTML5 tree builder spends time quadratic
in the nesting depth (Lexbor: 0.45 s at 20,000 levels, 1.8 s at 40,000), so
markup nested deeper than `max_depth` is refused with NestingTooDeep, found
by a linear scan of the tags.
"""

import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

from app.engine.blocks import Block, Kind
from app.engine.classify import is_boilerplate
from app.engine.normalize import normalize_line

__all__ = ["MAX_HTML_DEPTH", "NestingTooDeep", "html_nesting", "page_title", "parse_html"]

# Real pages nest 20–60 elements deep; 256 leaves room and keeps the walk's
# recursion far below Python's limit.
MAX_HTML_DEPTH = 256
# Whole pages larger than this skip trafilatura's main-content extraction (about
# 0.7 s per MB) and are walked directly, which prunes navigation, asides, footers
# and widgets too (about 0.2 s per MB): work per request stays bounded.
MAX_EXTRACT_CHARS = 1_000_000


class NestingTooDeep(ValueError):
    """The input nests deeper than the parser accepts."""

    def __init__(self, depth: int, limit: int) -> None:
        super().__init__(f"nested at least {depth} elements deep; at most {limit} are accepted")
        self.depth = depth
        self.limit = limit


# Elements that never hold others (void) or whose end tag may be left out:
# neither counts towards the depth, so unclosed <p> or <li> never add up.
_NOT_NESTING = frozenset(
    """area base br col embed hr img input link meta param source track wbr
    p li dt dd option optgroup tr td th thead tbody tfoot colgroup caption rb rt rtc rp""".split()
)
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:-]*)[^>]*?(/?)>")

_DROP_TAGS = (
    "script",
    "style",
    "noscript",
    "iframe",
    "template",
    "svg",
    "canvas",
    "nav",
    "form",
    "button",
    "input",
    "select",
    "textarea",
    "object",
    "embed",
    "video",
    "audio",
    "head",
    "aside",
    "footer",
    "dialog",
    "menu",
)
# class/id words that mark widgets rather than article text.
_WIDGET = re.compile(
    r"(?:^|[\s_-])(?:share|sharing|social|comments?|related|newsletter|subscribe|"
    r"advert\w*|ads?|ad-slot|adunit|promo|sponsor\w*|banner|popup|modal|cookie\w*|"
    r"paywall|outbrain|taboola|breadcrumbs?)(?:$|[\s_-])",
    re.IGNORECASE,
)
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_BLOCK_KINDS: dict[str, Kind] = {
    "p": "paragraph",
    "li": "list_item",
    "figcaption": "caption",
    "pre": "paragraph",
    "dt": "paragraph",
    "dd": "paragraph",
    "address": "paragraph",
    "td": "paragraph",
    "th": "paragraph",
}
_BLOCK_KINDS.update(dict.fromkeys(_HEADINGS, "heading"))
_CONTAINERS = {
    "div",
    "section",
    "article",
    "main",
    "body",
    "html",
    "ul",
    "ol",
    "dl",
    "figure",
    "header",
    "table",
    "tbody",
    "thead",
    "tfoot",
    "center",
    "hgroup",
    "details",
    "summary",
    "picture",
    "blockquote",
}


def _is_widget(node: LexborNode) -> bool:
    attrs = node.attributes
    label = " ".join(v for k, v in attrs.items() if k in ("class", "id", "role") and v)
    if attrs.get("aria-hidden") == "true" or "hidden" in attrs:
        return True
    return bool(label) and _WIDGET.search(label) is not None


def _prune(root: LexborNode) -> None:
    """Remove non-content elements and chrome widgets, with everything inside them."""
    for node in root.css(", ".join(_DROP_TAGS)):
        node.decompose()
    for node in root.css("[class], [id], [role], [aria-hidden], [hidden]"):
        if node.tag not in ("html", "body", "article", "main") and _is_widget(node):
            node.decompose()


# Elements that make a block of their own: one holding any of them is walked as a
# container whose loose text takes the element's kind (a list item's first line).
_NESTED_BLOCKS = (
    frozenset(
        ("p", "li", "ul", "ol", "dl", "div", "blockquote", "table", "pre", "figure", "section")
    )
    | _HEADINGS
)
# A line break, and a rule, which ends a paragraph as two line breaks do.
_BREAKS: dict[str, tuple[None, ...]] = {"br": (None,), "hr": (None, None)}
# Elements whose text is not simply their text: breaks, and <q>, which browsers show
# in quotation marks (and change records look for quotation marks).
_MARKED = frozenset(_BREAKS) | {"q"}


def _holds(node: LexborNode, tags: frozenset[str]) -> bool:
    """Whether an element inside `node` is one of `tags` (a walk of its elements: a
    CSS query compiles its selector on every call, 5–10 µs)."""
    inside = node.traverse(include_text=False)
    next(inside)  # the node itself
    return any(element.tag in tags for element in inside)


def _lines(parts: list[str | None]) -> list[str]:
    """Inline text whose line breaks (<br>) are None: one break is a space; two or more
    in a row (white space between) end a paragraph, as a blank line does in text.

    >>> _lines(["Sign up", None, "today", None, " ", None, "Next"])
    ['Sign up today', 'Next']
    """
    paragraphs: list[str] = []
    current: list[str] = []
    breaks = 0
    for part in parts:
        if part is None:
            breaks += 1
            continue
        if breaks and not part.strip():
            continue  # white space between breaks
        if breaks >= 2:
            paragraphs.append("".join(current))
            current = []
        elif breaks:
            current.append(" ")
        breaks = 0
        current.append(part)
    paragraphs.append("".join(current))
    return paragraphs


def _inline(node: LexborNode, parts: list[str | None]) -> None:
    """The text of `node` onto `parts`, its line breaks as None, a <q> in quotation marks."""
    quoted = node.tag == "q"
    if quoted:
        parts.append("“")
    if not _holds(node, _MARKED):
        parts.append(node.text(deep=True, separator=""))
    else:
        child = node.child
        while child is not None:
            if child.tag == "-text":
                parts.append(child.text_content or "")
            elif child.tag in _BREAKS:
                parts.extend(_BREAKS[child.tag])
            elif child.tag != "-comment":
                _inline(child, parts)
            child = child.next
    if quoted:
        parts.append("”")


def _row(row: LexborNode) -> str:
    """A table row as one line, its cells joined by " | " (as Markdown's rows are)."""
    cells = []
    for cell in row.iter():
        if _holds(cell, _NESTED_BLOCKS):  # paragraphs or lists in a cell: their texts
            inside: list[tuple[Kind, str]] = []
            _walk(cell, inside, "paragraph")
            text = " ".join(text for _, text in inside)
        else:
            parts: list[str | None] = []
            _inline(cell, parts)
            text = normalize_line(" ".join(_lines(parts)))
        if text:
            cells.append(text)
    return " | ".join(cells)


def _walk(node: LexborNode, out: list[tuple[Kind, str]], loose: Kind) -> None:
    """The blocks under `node`; its loose text, and its paragraphs, are of kind `loose`
    (a paragraph, or a quote inside a blockquote, a list item inside a list item…)."""
    inline: list[str | None] = []

    def add(kind: Kind, parts: list[str | None]) -> None:
        for line in _lines(parts):
            text = normalize_line(line)
            if text:
                out.append((kind, text))

    child = node.child
    while child is not None:
        tag = child.tag
        if tag == "-text":
            inline.append(child.text_content or "")
        elif tag in ("-comment", "!doctype"):
            pass
        elif tag in _BREAKS:
            inline.extend(_BREAKS[tag])
        elif tag in _BLOCK_KINDS:
            add(loose, inline)
            inline = []
            kind = _BLOCK_KINDS[tag]
            if kind == "paragraph":
                kind = loose
            if tag != "p" and _holds(child, _NESTED_BLOCKS):  # a <p> never holds blocks
                _walk(child, out, kind)  # e.g. a list item holding lists or paragraphs
            else:
                parts: list[str | None] = []
                _inline(child, parts)
                add(kind, parts)
        elif tag == "tr":
            add(loose, inline)
            inline = []
            add(loose, [_row(child)])
        elif tag in _CONTAINERS:
            add(loose, inline)
            inline = []
            _walk(child, out, "quote" if tag == "blockquote" else loose)
        elif child.child is not None and _holds(child, _NESTED_BLOCKS):
            # An inline element around blocks (<span>, <font>, <ins> or <a> around
            # paragraphs): a container, or its paragraphs would run together.
            add(loose, inline)
            inline = []
            _walk(child, out, loose)
        else:  # inline element: a, em, strong, span…
            _inline(child, inline)
        child = child.next
    add(loose, inline)


def _blocks(pairs: list[tuple[Kind, str]]) -> tuple[Block, ...]:
    blocks = []
    for kind, text in pairs:
        if kind != "heading" and is_boilerplate(text):
            kind = "boilerplate"
        blocks.append(Block(kind, text))
    return tuple(blocks)


def _extract_main(html: str) -> str | None:
    """The main content of a whole page as simple XML-ish HTML, or None."""
    import trafilatura  # slow to import; only whole pages need it

    xml = trafilatura.extract(
        html,
        output_format="xml",
        include_comments=False,
        include_tables=True,
        include_formatting=False,
        favor_recall=True,
        deduplicate=False,
    )
    if not xml:
        return None
    # trafilatura's XML names: head/p/list/item/quote; map them back to HTML.
    for src, dst in (
        ("head", "h2"),
        ("list", "ul"),
        ("item", "li"),
        ("quote", "blockquote"),
        ("main", "article"),
        ("row", "tr"),
        ("cell", "td"),
        ("lb", "br"),
    ):
        xml = re.sub(rf"<(/?){src}\b[^>]*>", rf"<\1{dst}>", xml)
    return xml


def html_nesting(html: str, limit: int) -> int:
    """The deepest element nesting of `html` as its tags say, counted up to `limit` + 1.

    An estimate that errs high (unclosed elements stay open), never a parse.

    >>> html_nesting("<div><section><p>a<p>b</section></div><br>", 10)
    2
    >>> html_nesting("<div>" * 50, 10)
    11
    """
    depth = deepest = 0
    for closing, name, self_closing in _TAG.findall(html):
        if self_closing or name.lower() in _NOT_NESTING:
            continue
        if closing:
            depth = max(0, depth - 1)
            continue
        depth += 1
        if depth > deepest:
            deepest = depth
            if deepest > limit:
                break
    return deepest


def parse_html(
    html: str, *, extract: bool | None = None, max_depth: int = MAX_HTML_DEPTH
) -> tuple[Block, ...]:
    """Parse HTML into blocks; `extract` forces (or forbids) main-content extraction.

    By default a document with <html> or <body> but neither <article> nor
    <main> is treated as a whole page and extracted first. Markup nested
    deeper than `max_depth` raises NestingTooDeep before any parsing.

    >>> [(b.kind, b.text) for b in parse_html("<h2>Energy</h2><p>Oil <b>and</b> gas.</p>"
    ...     "<script>x()</script><div class='share'>Tweet</div>")]
    [('heading', 'Energy'), ('paragraph', 'Oil and gas.')]
    """
    depth = html_nesting(html, max_depth)
    if depth > max_depth:
        raise NestingTooDeep(depth, max_depth)
    tree = LexborHTMLParser(html)
    root = tree.css_first("article") or tree.css_first("main") or tree.css_first("[role=main]")
    page = re.search(r"<(?:html|body)\b", html[:5000], re.IGNORECASE) is not None
    whole_page = page and root is None and len(html) <= MAX_EXTRACT_CHARS
    if extract or (extract is None and whole_page):
        main = _extract_main(html)
        if main is not None:
            tree = LexborHTMLParser(main)
            root = tree.css_first("article")
    if root is None:
        root = tree.body or tree.root
    out: list[tuple[Kind, str]] = []
    if root is not None:
        _prune(root)
        _walk(root, out, "paragraph")
    return _blocks(out)


# Where a page names its headline: the Open Graph and Twitter card titles (the
# headline alone), then <title> (often with the site's name after it).
_TITLE_SOURCES = (
    'meta[property="og:title"]',
    'meta[name="twitter:title"]',
    "title",
)
_HEAD_END = re.compile(r"</head\s*>", re.IGNORECASE)
MAX_TITLE_CHARS = 1000


def page_title(html: str) -> str | None:
    """The headline a whole page gives itself in its <head>, or None (a fragment, no
    title, or one longer than MAX_TITLE_CHARS).

    >>> page_title('<html><head><title>Storm | Daily</title>'
    ...            '<meta property="og:title" content="Storm  hits"></head><body></body></html>')
    'Storm hits'
    >>> page_title("<p>A fragment.</p>") is None
    True
    """
    head_end = _HEAD_END.search(html, 0, 200_000)
    if head_end is None:
        return None
    head = LexborHTMLParser(html[: head_end.end()]).head
    if head is None:
        return None
    for selector in _TITLE_SOURCES:
        node = head.css_first(selector)
        if node is None:
            continue
        found = node.attributes.get("content") if node.tag == "meta" else node.text()
        title = normalize_line(found or "")
        if title:
            return title if len(title) <= MAX_TITLE_CHARS else None
    return None
