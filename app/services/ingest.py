"""Ingest one revision: parse, lock the article, diff against the latest, write it all.

`ingest` is the one use case behind both ways in (the direct API and the
publish web-hook): optionally idempotent, it flushes but never commits; the
caller commits once.
"""

import zlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app import storage
from app.engine import block_from_dict, carry_provenance, change_record, compare
from app.errors import NotFound
from app.models import Change, Receipt, Revision
from app.services import receipts
from app.services.content import ContentLimits, NewRevision, check_revision, parse_revision


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    article_id: str
    revision: Revision
    change: Change | None
    created: bool
    replayed: bool = False  # the answer to an earlier request with the same key

    @property
    def status(self) -> int:
        return 201 if self.created else 200


def ingest(
    session: Session,
    *,
    article_id: str,
    new: NewRevision,
    now: datetime,
    limits: ContentLimits,
    claim: receipts.Claim | None = None,
) -> IngestOutcome:
    """Store `new` as the next revision of `article_id`; with a claim, at most once per key."""
    if claim is not None:
        earlier = receipts.claim(session, claim, now)
        if earlier is not None:
            return _replay(session, earlier)
    outcome = ingest_revision(session, article_id=article_id, new=new, now=now, limits=limits)
    if claim is not None:
        receipts.complete(
            session,
            claim,
            status=outcome.status,
            article_id=article_id,
            revision=outcome.revision.revision_no,
            created=outcome.created,
        )
    return outcome


def _replay(session: Session, receipt: Receipt) -> IngestOutcome:
    article_id = str(receipt.response["article_id"])
    article = storage.get_article(session, article_id)
    revision = (
        storage.get_revision(session, article.id, int(receipt.response["revision"]))
        if article is not None
        else None
    )
    if revision is None:  # only if rows were deleted by hand behind the receipt's back
        raise NotFound(f"The revision recorded for this request no longer exists ({receipt.key})")
    return IngestOutcome(
        article_id,
        revision,
        storage.get_change(session, revision.id),
        created=bool(receipt.response["created"]),
        replayed=True,
    )


def ingest_revision(
    session: Session,
    *,
    article_id: str,
    new: NewRevision,
    now: datetime,
    limits: ContentLimits,
) -> IngestOutcome:
    """Store `new` as the next revision of `article_id`, unless it repeats the latest.

    The article row is locked first, so concurrent publishes of one article get
    1, 2, 3 … in order; the diff, the change record and the block provenance
    are written in the same transaction as the revision.
    """
    check_revision(new, limits)
    doc = parse_revision(new, limits)
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
        record = change_record(
            diff, old_title=latest.title, new_title=new.title, revert_of=revision.revert_of
        )
        change = Change(
            article_id=article.id,
            revision_id=revision.id,
            revision_no=number,
            from_revision_no=latest.revision_no,
            received_at=now,
            published_at=new.published_at,
            kinds=list(record.kinds),
            significance=record.significance,
            record=record,
        )
        storage.add(session, change)
        storage.add_change_kinds(session, change)
    return IngestOutcome(article_id, revision, change, created=True)
