"""Jinja2 templates, the viewer's Content-Security-Policies and the HTML diff format."""

import hashlib
from base64 import b64encode
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from app.engine import Diff, collector_paused
from app.web.diffview import OP_LABELS, Piece, diff_view

__all__ = [
    "DIFF_CSS",
    "FRAGMENT_CSP",
    "PAGE_CSP",
    "STATIC",
    "VIEW_VERSION",
    "render_fragment",
    "render_page",
]

# Autoescape everything: every piece of article text reaches the page as text.
templates = Environment(
    loader=PackageLoader("app.web", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def pieces_html(pieces: tuple[Piece, ...]) -> Markup:
    """Paragraphs as the diff shows them: escaped text, words changed as <ins>/<del>.

    A filter, not a macro: it is the innermost loop of every page, and a macro call
    per paragraph took longer than everything else (1.8 s of 2.4 s for 50,000 lines).

    >>> from app.engine import Segment
    >>> pieces_html((Piece("p", (Segment("equal", "a <b> "), Segment("insert", "2"))),))
    Markup('<p class="ad-piece" dir="auto">a &lt;b&gt; <ins>2</ins></p>')
    """
    out = []
    for tag, segments in pieces:
        out.append(f'<{tag} class="ad-piece" dir="auto">')
        for op, text in segments:
            if op == "insert":
                out.append(f"<ins>{escape(text)}</ins>")
            elif op == "delete":
                out.append(f"<del>{escape(text)}</del>")
            else:
                out.append(str(escape(text)))
        out.append(f"</{tag}>")
    return Markup("".join(out))


templates.filters["pieces"] = pieces_html
STATIC = Path(__file__).parent / "static"
DIFF_CSS = (STATIC / "diff.css").read_text("utf-8")
# Part of the HTML format's ETag: bump it when the markup of a diff changes.
VIEW_VERSION = 2

# The pages run only the scripts and styles they are served with: no inline script,
# no inline style, nothing from elsewhere.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
# The HTML format carries its own <style>: that one block (by its hash), and nothing else.
_CSS_HASH = b64encode(hashlib.sha256(DIFF_CSS.encode()).digest()).decode()
FRAGMENT_CSP = f"default-src 'none'; style-src 'sha256-{_CSS_HASH}'; base-uri 'none'"


def render_fragment(
    diff: Diff,
    *,
    context: int | None = None,
    title: str = "",
    titles: tuple[str | None, str | None] | None = None,
) -> str:
    """The diff as one self-contained HTML fragment: styles, summary (with `titles`, the
    two sides' titles when they differ), legend, changes."""
    view = diff_view(diff, context=context)
    template = templates.get_template("fragment.html")
    with collector_paused():
        return (
            template.render(view=view, css=DIFF_CSS, labels=OP_LABELS, title=title, titles=titles)
            + "\n"
        )


def render_page(name: str, **values: Any) -> str:
    """One of the viewer's pages."""
    template = templates.get_template(name)
    with collector_paused():
        return template.render(static="/ui/static", labels=OP_LABELS, **values)
