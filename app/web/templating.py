"""Jinja2 templates, the viewer's Content-Security-Policies and the HTML diff format."""

import hashlib
from base64 import b64encode
from importlib.resources import files
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from app.engine import Diff
from app.web.diffview import OP_LABELS, diff_view

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
STATIC = files("app.web") / "static"
DIFF_CSS = (STATIC / "diff.css").read_text("utf-8")
# Part of the HTML format's ETag: bump it when the markup of a diff changes.
VIEW_VERSION = 1

# The pages run only the scripts and styles they are served with: no inline script,
# no inline style, nothing from elsewhere.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
# The HTML format carries its own <style>: that one block (by its hash), and nothing else.
_CSS_HASH = b64encode(hashlib.sha256(DIFF_CSS.encode()).digest()).decode()
FRAGMENT_CSP = f"default-src 'none'; style-src 'sha256-{_CSS_HASH}'; base-uri 'none'"


def render_fragment(diff: Diff, *, context: int | None = None, title: str = "") -> str:
    """The diff as one self-contained HTML fragment: styles, summary, legend, changes."""
    view = diff_view(diff, context=context)
    template = templates.get_template("fragment.html")
    return template.render(view=view, css=DIFF_CSS, labels=OP_LABELS, title=title) + "\n"


def render_page(name: str, **values: Any) -> str:
    """One of the viewer's pages."""
    return templates.get_template(name).render(static="/ui/static", labels=OP_LABELS, **values)
