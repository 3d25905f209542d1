"""The unified text renderer: one line per block, words marked as git does.

Public API: render_unified, UNIFIED_CONTEXT.

JSON is the canonical form (Diff.to_dict); this one is for reading. The HTML
form is the viewer's (app.web), built from the same Diff by templates.
"""

from collections.abc import Sequence

from app.engine._dmp import Segment
from app.engine.diff import Diff, Entry, Op, with_context

__all__ = ["UNIFIED_CONTEXT", "render_unified"]

# Unchanged blocks shown around each change in unified text, as diff -u does.
UNIFIED_CONTEXT = 3

_MARK: dict[Op, str] = {
    "equal": " ",
    "insert": "+",
    "delete": "-",
    "modify": "~",
    "move": ">",
    "split": "<",
    "merge": "^",
}


def _words_marked(segments: Sequence[Segment]) -> str:
    """git --word-diff=plain style markers.

    >>> _words_marked([Segment("equal", "a "), Segment("delete", "b"), Segment("insert", "c")])
    'a [-b-]{+c+}'
    """
    parts = []
    for s in segments:
        if s.op == "delete":
            parts.append(f"[-{s.text}-]")
        elif s.op == "insert":
            parts.append(f"{{+{s.text}+}}")
        else:
            parts.append(s.text)
    return "".join(parts)


def _entry_line(e: Entry) -> str:
    tag = "" if e.kind == "paragraph" else f"[{e.kind}] "
    if e.op in ("modify", "move") and e.inline is not None:
        body = _words_marked(e.inline)
    elif e.op == "delete" or e.op == "merge":
        body = e.old_text or ""
    else:
        body = e.new_text or ""
    where = ""
    if e.op == "move":
        where = f" (moved from {_pos(e.old_index)})"
    elif e.op == "split":
        where = f" (split from {_pos(e.old_index)})"
    elif e.op == "merge":
        where = f" (merged into {_pos(e.new_index)})"
    return f"{_MARK[e.op]} {tag}{body}{where}"


def render_unified(
    diff: Diff,
    *,
    context: int | None = UNIFIED_CONTEXT,
    old_label: str = "old",
    new_label: str = "new",
    titles: tuple[str | None, str | None] | None = None,
) -> str:
    """Plain text: one line per block, hunks of changes with `context` unchanged blocks
    around each (None: the whole document, without hunk headers); `titles`, the two
    sides' titles when they differ, on a line of its own."""
    lines = [f"--- {old_label}", f"+++ {new_label}"]
    s = diff.summary
    lines.append(
        f"# paragraphs: +{s.paragraphs_added} -{s.paragraphs_removed} "
        f"~{s.paragraphs_modified} >{s.paragraphs_moved}; words: "
        f"+{s.words_added} -{s.words_removed}; sections: "
        f"+{s.sections_added} -{s.sections_removed}"
    )
    if titles is not None:
        old_title, new_title = (" ".join(t.split()) if t is not None else "(none)" for t in titles)
        lines.append(f"# title changed: {old_title} → {new_title}")
    for sec in diff.sections:
        verb = "removed" if sec.op == "delete" else "added"
        lines.append(f"# section {verb}: {sec.heading}")
    kept = set(map(id, with_context(diff.entries, context))) if context is not None else None
    previous = -2
    old_at = new_at = 0  # each side's blocks passed so far, in reading order
    for k, e in enumerate(diff.entries):
        if kept is None:
            lines.append(_entry_line(e))
        elif id(e) in kept:
            if k != previous + 1:  # a hunk starting at a block one side lacks: where it would be
                old = e.old_index if e.old_index is not None else old_at
                new = e.new_index if e.new_index is not None else new_at
                lines.append(f"@@ old {old + 1} new {new + 1} @@")
            lines.append(_entry_line(e))
            previous = k
        if e.old_index is not None and e.op != "move":  # a move's old place is elsewhere
            old_at = e.old_index + 1
        if e.new_index is not None:
            new_at = e.new_index + 1
    return "\n".join(lines) + "\n"


def _pos(index: int | None) -> str:
    return "-" if index is None else str(index + 1)
