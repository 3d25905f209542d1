"""Diffs between stored revisions."""

import hashlib
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.engine import ENGINE_VERSION, Diff, block_from_dict, compare
from app.errors import InvalidInput
from app.models import Revision
from app.services.articles import require_article, require_revision


@dataclass(frozen=True, slots=True)
class RevisionDiff:
    article_id: str
    old: Revision
    new: Revision
    diff: Diff

    def etag(self, variant: str) -> str:
        key = f"{ENGINE_VERSION}:{self.old.content_sha256}:{self.new.content_sha256}:{variant}"
        return '"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'


def diff_revisions(
    session: Session, article_id: str, *, from_no: int | None, to_no: int | None
) -> RevisionDiff:
    """Compare any two revisions, either direction; to defaults to latest, from to to−1."""
    article = require_article(session, article_id)
    new = require_revision(session, article, to_no)
    if from_no is None:
        if new.revision_no == 1:
            raise InvalidInput(
                "from: revision 1 has no predecessor; give 'from' explicitly to compare it"
            )
        from_no = new.revision_no - 1
    old = require_revision(session, article, from_no)
    diff = compare(
        [block_from_dict(b) for b in old.blocks], [block_from_dict(b) for b in new.blocks]
    )
    return RevisionDiff(article.external_id, old, new, diff)
