"""Ingest one revision: parse, lock the article, diff against the latest, write it all."""

import zlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app import storage
from app.engine import block_from_dict, compare
from app.engine.changes import carry_provenance, change_record
from app.models import Change, Revision
from app.services.content import NewRevision, check_revision, parse_revision


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    article_id: str
    revision: Revision
    change: Change | None
    created: bool


def ingest_revision(
    session: Session,
    *,
    article_id: str,
    new: NewRevision,
    now: datetime,
    max_metadata_bytes: int,
) -> IngestOutcome:
    """Store `new` as the next revision of `article_id`, unless it repeats the latest.

    The article row is locked first, so concurrent publishes of one article get
    1, 2, 3 … in order; the diff, the change record and the block provenance
    are written in the same transaction as the revision.
    """
    check_revision(new, max_metadata_bytes=max_metadata_bytes)
    doc = parse_revision(new)
    article = storage.lock_article(session, article_id, now)
    latest = (
        storage.get_revision(session, article.id, article.latest_revision_no)
        if article.latest_revision_no
        else None
    )
    if (
        latest is not None
        and latest.content_sha256 == doc.sha256
        and (new.title is None or new.title == latest.title)
    ):
        change = storage.get_change(session, latest.id)
        return IngestOutcome(article_id, latest, change, created=False)

    number = storage.next_revision_no(session, article, now, new.title, new.url)
    revision = Revision(
        article_id=article.id,
        revision_no=number,
        content_sha256=doc.sha256,
        text=doc.text,
        blocks=[b.to_dict() for b in doc.blocks],
        provenance=[],
        original_body=zlib.compress(new.body.encode("utf-8")),
        original_media_type=new.media_type,
        title=new.title,
        url=new.url,
        published_at=new.published_at,
        received_at=now,
        source_revision_id=new.source_revision_id,
        meta=new.metadata,
    )
    change = None
    if latest is None:
        revision.provenance = [[number, number] for _ in doc.blocks]
        storage.add(session, revision)
    else:
        diff = compare([block_from_dict(b) for b in latest.blocks], doc.blocks)
        revision.provenance = carry_provenance(diff, latest.provenance, number)
        revision.revert_of = storage.latest_revision_with_sha(
            session, article.id, doc.sha256, before=latest.revision_no
        )
        storage.add(session, revision)
        record = change_record(diff, old_title=latest.title, new_title=new.title)
        record["revert_of"] = revision.revert_of
        change = Change(
            article_id=article.id,
            revision_id=revision.id,
            revision_no=number,
            from_revision_no=latest.revision_no,
            received_at=now,
            published_at=new.published_at,
            kinds=record["kinds"],
            significance=record["significance"],
            record=record,
        )
        storage.add(session, change)
        storage.add_change_kinds(session, change)
    return IngestOutcome(article_id, revision, change, created=True)
