"""Re-derive stored change records, kinds, significance and provenance after an
engine upgrade: every article with a record made by another engine version,
article by article (each in its own transaction, so the service keeps serving and
a stopped rebuild resumes where it was), revisions in order."""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from app import storage
from app.engine import ENGINE_VERSION
from app.models import Change, Revision
from app.services import articles, notifications
from app.services.ingest import Head, derive, stored_blocks


@dataclass
class RebuildReport:
    articles: int = 0
    records: int = 0  # change records recomputed
    moved: int = 0  # of which kinds or significance changed
    examples: list[str] = field(default_factory=list)  # a few of those, for the summary

    def add(self, other: "RebuildReport") -> None:
        self.articles += other.articles
        self.records += other.records
        self.moved += other.moved
        self.examples.extend(other.examples[: max(0, 10 - len(self.examples))])


def stale_articles(session: Session, article_id: str | None = None) -> list[int]:
    """Row ids of the articles holding a record made by another engine version (of
    `article_id` alone, when given: NotFound if there is no such article)."""
    if article_id is not None:
        articles.require_article(session, article_id)
    return storage.articles_with_engine_other_than(session, ENGINE_VERSION, article_id)


def rebuild_article(session: Session, article_pk: int, *, now: datetime) -> RebuildReport:
    """Recompute one article's records and provenance (the caller commits); a record
    whose kinds or significance moved raises a `change.rederived` event."""
    report = RebuildReport(articles=1)
    found = storage.lock_article_history(session, article_pk)
    if found is None:  # deleted meanwhile
        return RebuildReport()
    external_id, history = found
    head: Head | None = None
    moved = []
    recomputed: list[Change] = []
    repaired: list[Change] = []
    kinds_moved: list[Change] = []
    provenance_moved: list[Revision] = []
    titled: list[Revision] = []  # stored without the title in force (engines before 5)
    for revision, change in history:
        number = revision.revision_no
        blocks = stored_blocks(revision)
        if revision.title is None and head is not None and head.title is not None:
            revision.title = head.title
            titled.append(revision)
        if head is None:
            provenance = [[number, number] for _ in blocks]
        else:
            provenance, record = derive(head, revision, blocks)
            if change is None:  # never happens through the service; repaired all the same
                change = Change(
                    article_id=article_pk,
                    revision_id=revision.id,
                    revision_no=number,
                    from_revision_no=head.revision_no,
                    received_at=revision.received_at,
                    published_at=revision.published_at,
                    kinds=[],
                    significance=0.0,
                )
                repaired.append(change)
            else:
                recomputed.append(change)
            kinds: list[str] = list(record.kinds)
            if change.kinds != kinds or change.significance != record.significance:
                report.moved += 1
                moved.append((external_id, revision, change))
                if len(report.examples) < 10:
                    report.examples.append(
                        f"{external_id} r{number}: {change.kinds} {change.significance:g}"
                        f" -> {kinds} {record.significance:g}"
                    )
            if change.kinds != kinds:
                kinds_moved.append(change)
            change.kinds = kinds
            change.significance = record.significance
            change.record = record
            change.engine_version = ENGINE_VERSION
            report.records += 1
        if revision.provenance != provenance:
            revision.provenance = provenance
            provenance_moved.append(revision)
        head = Head.of(revision, blocks)
    storage.save_rebuilt(
        session,
        recomputed=recomputed,
        repaired=repaired,
        kinds_moved=kinds_moved,
        provenance_moved=provenance_moved,
        titled=titled,
    )
    notifications.enqueue(session, moved, now=now, event_type=notifications.EVENT_REDERIVED)
    return report
