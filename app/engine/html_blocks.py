"""HTML into blocks.

Public API: parse_html.

The parser is selectolax's Lexbor backend: a complete HTML5 parser in C,
an order of magnitude faster than BeautifulSoup and maintained. An article
body (a fragment, or a page with an <article> or <main>) is walked directly;
a whole web page without either goes through trafilatura's main-content
extractor first, which drops navigation, sidebars and footers by learned
rules instead of hand-written ones.

Block mapping: h1–h6 → heading, p → paragraph, li → list_item, blockquote →
quote, figcaption → caption; bare text inside a container → paragraph.
Script, style, iframes, forms, navigation and share/comment/ad widgets are
dropped; a remaining line of chrome ("SHARE") becomes a boilerplate block,
exactly as in plain text.
"""

import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

from app.engine.blocks import Block, Kind
from app.engine.classify import is_boilerplate
from app.engine.normalize import normalize_text

__all__ = ["parse_html"]

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
    "tr",
    "center",
    "hgroup",
    "details",
    "summary",
    "picture",
    "blockquote",
}
_SPACE = re.compile(r"\s+")


def _clean(text: str) -> str:
    return _SPACE.sub(" ", normalize_text(text)).strip()


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


def _walk(node: LexborNode, out: list[tuple[Kind, str]], quote: bool) -> None:
    inline: list[str] = []

    def flush() -> None:
        text = _clean("".join(inline))
        if text:
            out.append(("quote" if quote else "paragraph", text))
        inline.clear()

    child = node.child
    while child is not None:
        tag = child.tag
        if tag == "-text":
            inline.append(child.text_content or "")
        elif tag in ("-comment", "!doctype"):
            pass
        elif tag == "br":
            inline.append("\n")
        elif tag in _BLOCK_KINDS:
            flush()
            nested = child.css_first("ul, ol, p") if tag == "li" else None
            if nested is not None:
                _walk(child, out, quote)  # a list item holding lists or paragraphs
            else:
                kind = _BLOCK_KINDS[tag]
                if quote and kind == "paragraph":
                    kind = "quote"
                text = _clean(child.text(deep=True, separator=" " if tag in ("td", "th") else ""))
                if text:
                    out.append((kind, text))
        elif tag in _CONTAINERS or tag == "blockquote":
            flush()
            _walk(child, out, quote or tag == "blockquote")
        else:  # inline element: a, em, strong, span…
            inline.append(child.text(deep=True, separator=""))
        child = child.next
    flush()


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
    ):
        xml = re.sub(rf"<(/?){src}\b[^>]*>", rf"<\1{dst}>", xml)
    return xml


def parse_html(html: str, *, extract: bool | None = None) -> tuple[Block, ...]:
    """Parse HTML into blocks; `extract` forces (or forbids) main-content extraction.

    By default a document with <html> or <body> but neither <article> nor
    <main> is treated as a whole page and extracted first.

    >>> [(b.kind, b.text) for b in parse_html("<h2>Energy</h2><p>Oil <b>and</b> gas.</p>"
    ...     "<script>x()</script><div class='share'>Tweet</div>")]
    [('heading', 'Energy'), ('paragraph', 'Oil and gas.')]
    """
    tree = LexborHTMLParser(html)
    root = tree.css_first("article") or tree.css_first("main") or tree.css_first("[role=main]")
    page = re.search(r"<(?:html|body)\b", html[:5000], re.IGNORECASE) is not None
    if extract or (extract is None and page and root is None):
        main = _extract_main(html)
        if main is not None:
            tree = LexborHTMLParser(main)
            root = tree.css_first("article")
    if root is None:
        root = tree.body or tree.root
    out: list[tuple[Kind, str]] = []
    if root is not None:
        _prune(root)
        _walk(root, out, quote=False)
    return _blocks(out)
