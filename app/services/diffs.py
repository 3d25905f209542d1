"""Diffs between stored revisions, and between two texts; rendered in three formats."""

import hashlib
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.orm import Session

from app import storage
from app.engine import (
    ENGINE_VERSION,
    UNIFIED_CONTEXT,
    Diff,
    Granularity,
    render_unified,
)
from app.errors import InvalidInput
from app.models import Revision
from app.schemas import DiffRead
from app.services.articles import no_such_article, parse_revision_ref, require_revision
from app.services.content import BodyFormat, ContentLimits, parse_body
from app.services.ingest import measured_compare, stored_blocks

Format = Literal["json", "unified", "html"]
MEDIA_TYPES: dict[Format, str] = {
    "json": "application/json",
    "unified": "text/plain; charset=utf-8",
    "html": "text/html; charset=utf-8",
}


@dataclass(frozen=True, slots=True)
class RevisionDiff:
    article_id: str
    old: Revision
    new: Revision
    diff: Diff
    pinned: bool  # both ends named by number: the answer never changes for this engine

    @property
    def titles(self) -> tuple[str | None, str | None] | None:
        """The titles in force at both ends, when they differ."""
        old, new = self.old.title, self.new.title
        return None if old == new else (old, new)

    def etag(self, format: Format, context: int | None, *, markup: int = 0) -> str:
        """A weak validator for the whole response: article, both revisions, format,
        options, engine version and `markup` (the HTML's version; weak: gzip and
        identity share it)."""
        key = "|".join(
            str(part)
            for part in (
                ENGINE_VERSION,
                self.article_id,
                self.old.revision_no,
                self.new.revision_no,
                self.old.content_sha256,
                self.new.content_sha256,
                self.old.title,
                self.new.title,
                format,
                context,
                markup,
            )
        )
        return 'W/"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'


def diff_revisions(
    session: Session, article_id: str, *, from_ref: str | None, to_ref: str | None
) -> RevisionDiff:
    """Compare any two revisions, either direction; `to` defaults to the latest, `from`
    to the one before `to`. Either may be a number or 'latest'."""
    to_ref_no = parse_revision_ref(to_ref, "to") if to_ref is not None else None
    from_ref_no = parse_revision_ref(from_ref, "from") if from_ref is not None else None
    # The article and both ends in one query, without their texts and bodies.
    article, found = storage.diff_ends(
        session,
        article_id,
        from_no=from_ref_no,
        from_latest=from_ref is not None and from_ref_no is None,
        to_no=to_ref_no,
    )
    if article is None:
        raise no_such_article(article_id)
    to_no = article.latest_revision_no if to_ref_no is None else to_ref_no
    if from_ref is None:
        if to_no == 1:
            raise InvalidInput(
                "from: revision 1 has no predecessor; give 'from' explicitly to compare it"
            )
        from_no = to_no - 1
    else:
        from_no = article.latest_revision_no if from_ref_no is None else from_ref_no
    # A missing end is a 404 that says which revisions exist.
    new = found.get(to_no) or require_revision(session, article, to_no)
    old = found.get(from_no) or require_revision(session, article, from_no)
    diff = measured_compare("read", stored_blocks(old), stored_blocks(new))
    pinned = from_ref is not None and to_ref is not None and "latest" not in (from_ref, to_ref)
    return RevisionDiff(article.external_id, old, new, diff, pinned)


def diff_texts(
    old: str,
    new: str,
    *,
    body_format: BodyFormat = "text",
    granularity: Granularity = "word",
    limits: ContentLimits,
) -> Diff:
    """Two bodies sent by a caller, parsed within the same limits as stored revisions."""
    return measured_compare(
        "read",
        parse_body(old, body_format, limits),
        parse_body(new, body_format, limits),
        granularity=granularity,
    )


def render(
    diff: Diff,
    format: Literal["json", "unified"],
    *,
    context: int | None,
    article_id: str | None = None,
    from_no: int | None = None,
    to_no: int | None = None,
    titles: tuple[str | None, str | None] | None = None,
) -> str:
    """The response body in JSON or unified text (the HTML is app.web's); `titles`:
    the two ends' titles, when they differ."""
    if format == "unified":
        label = f"{article_id} r" if article_id else "r"
        old_label = f"{label}{from_no}" if from_no else "old"
        new_label = f"{label}{to_no}" if to_no else "new"
        return render_unified(
            diff,
            context=UNIFIED_CONTEXT if context is None else context,
            old_label=old_label,
            new_label=new_label,
            titles=titles,
        )
    return DiffRead.model_validate(
        {
            "article_id": article_id,
            "from_revision": from_no,
            "to_revision": to_no,
            "title_changed": None if titles is None else {"old": titles[0], "new": titles[1]},
            **diff.to_dict(context=context),
        }
    ).model_dump_json()
