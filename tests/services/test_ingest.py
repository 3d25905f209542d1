"""The ingest use case: numbering, dedupe, change records, provenance, idempotency."""

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, select, update
from sqlalchemy import text as text_sql
from sqlalchemy.orm import Session

from app import storage
from app.db import Sessions
from app.engine import TitleChange
from app.errors import InvalidInput
from app.models import Change, Receipt, Revision
from app.services import receipts
from app.services.content import ContentLimits, NewRevision
from app.services.ingest import ingest
from app.services.rebuild import rebuild_article

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
LIMITS = ContentLimits()
A = "The storm reached the coast on Sunday night with winds of 120 km/h."
B = "Thousands of homes lost power and schools will stay closed on Monday."


def text(body: str, title: str | None = None) -> NewRevision:
    return NewRevision(body_format="text", body=body, title=title)


def test_first_revisions_are_numbered_and_diffed(session: Session) -> None:
    first = ingest(session, article_id="s", new=text(A), now=NOW, limits=LIMITS)
    assert (first.revision.revision_no, first.created, first.change) == (1, True, None)
    assert first.revision.provenance == [[1, 1]]
    second = ingest(session, article_id="s", new=text(f"{A}\n\n{B}"), now=NOW, limits=LIMITS)
    assert second.revision.revision_no == 2
    assert second.change is not None
    record = second.change.record
    assert record.summary.paragraphs_added == 1
    assert record.kinds == ("paragraph_added",)
    assert second.change.kinds == ["paragraph_added"]
    assert second.revision.provenance == [[1, 1], [2, 2]]


def test_repeating_the_latest_stores_nothing(session: Session) -> None:
    ingest(session, article_id="s", new=text(A, "T"), now=NOW, limits=LIMITS)
    again = ingest(session, article_id="s", new=text(A + "  \n"), now=NOW, limits=LIMITS)
    assert (again.revision.revision_no, again.created, again.status) == (1, False, 200)
    retitled = ingest(session, article_id="s", new=text(A, "T2"), now=NOW, limits=LIMITS)
    assert (retitled.revision.revision_no, retitled.created) == (2, True)
    assert retitled.change is not None
    assert retitled.change.record.kinds == ("title_changed",)


def test_a_revision_sent_without_a_title_stands_under_the_one_in_force(session: Session) -> None:
    """A CMS that sends the title only now and then: the title changes only when one
    given differs from the last one given (it read "title set" each time it came back)."""
    ingest(session, article_id="t", new=text(A, "Storm nears"), now=NOW, limits=LIMITS)
    untitled = ingest(session, article_id="t", new=text(f"{A}\n\n{B}"), now=NOW, limits=LIMITS)
    assert untitled.revision.title == "Storm nears"
    assert untitled.change is not None
    assert untitled.change.record.title_changed is None
    back = ingest(session, article_id="t", new=text(B, "Storm nears"), now=NOW, limits=LIMITS)
    assert back.change is not None
    assert "title_changed" not in back.change.record.kinds
    assert back.change.record.title_changed is None
    same = ingest(session, article_id="t", new=text(B, "Storm nears"), now=NOW, limits=LIMITS)
    assert (same.created, same.revision.revision_no) == (False, 3)
    new = ingest(session, article_id="t", new=text(B, "Storm hits"), now=NOW, limits=LIMITS)
    assert new.change is not None
    assert new.change.record.title_changed == TitleChange("Storm nears", "Storm hits")


def test_a_title_is_a_line_and_an_empty_one_none(session: Session) -> None:
    """Re-typed spacing in a title is no change (it was a title_changed), and an empty
    title is no title sent (it was a title removed, then set again)."""
    first = ingest(
        session, article_id="t", new=text(A, " Storm\u00a0 nears\n"), now=NOW, limits=LIMITS
    )
    assert first.revision.title == "Storm nears"
    for title in ("Storm nears", "", "  ", None):
        again = ingest(session, article_id="t", new=text(A, title), now=NOW, limits=LIMITS)
        assert (again.created, again.revision.revision_no) == (False, 1), title
    edited = ingest(session, article_id="t", new=text(B, " "), now=NOW, limits=LIMITS)
    assert edited.revision.title == "Storm nears"
    assert edited.change is not None
    assert "title_changed" not in edited.change.record.kinds


def test_rebuild_gives_old_revisions_the_title_in_force(session: Session) -> None:
    """Revisions stored before they kept the title in force (engines before 5) have
    none where none was sent: a rebuild fills it in, and the next title is no change."""
    ingest(session, article_id="t", new=text(A, "Storm nears"), now=NOW, limits=LIMITS)
    ingest(session, article_id="t", new=text(B), now=NOW, limits=LIMITS)
    third = ingest(session, article_id="t", new=text(A, "Storm nears"), now=NOW, limits=LIMITS)
    article_pk = third.revision.article_id
    session.execute(
        update(Revision)
        .where(Revision.article_id == article_pk, Revision.revision_no == 2)
        .values(title=None)
    )
    session.execute(update(Change).values(engine_version="4"))
    rebuild_article(session, article_pk, now=NOW)
    titles = session.scalars(
        select(Revision.title).where(Revision.article_id == article_pk).order_by(Revision.id)
    ).all()
    assert titles == ["Storm nears"] * 3
    kinds = session.scalars(select(Change.kinds).order_by(Change.revision_no)).all()
    assert kinds == [["paragraph_removed", "paragraph_added"]] * 2  # no title_changed


def test_a_revert_names_the_revision_it_restores(session: Session) -> None:
    for body in (A, B, A):
        outcome = ingest(session, article_id="r", new=text(body), now=NOW, limits=LIMITS)
    assert outcome.revision.revert_of == 1
    assert outcome.change is not None
    assert outcome.change.record.revert_of == 1


def test_a_claimed_request_runs_once_and_replays(session: Session) -> None:
    claim = receipts.for_idempotency_key("i", "key-1", "text/plain", A.encode())
    first = ingest(session, article_id="i", new=text(A), now=NOW, limits=LIMITS, claim=claim)
    ingest(session, article_id="i", new=text(B), now=NOW, limits=LIMITS)
    replay = ingest(session, article_id="i", new=text(A), now=NOW, limits=LIMITS, claim=claim)
    assert replay.replayed
    assert not first.replayed
    assert (replay.revision.revision_no, replay.created, replay.status) == (1, True, 201)
    other_body = receipts.for_idempotency_key("i", "key-1", "text/plain", B.encode())
    with pytest.raises(InvalidInput, match="different request body"):
        ingest(session, article_id="i", new=text(B), now=NOW, limits=LIMITS, claim=other_body)


def test_the_same_key_on_another_article_is_another_request(session: Session) -> None:
    for article in ("x", "y"):
        claim = receipts.for_idempotency_key(article, "k", "text/plain", A.encode())
        outcome = ingest(
            session, article_id=article, new=text(A), now=NOW, limits=LIMITS, claim=claim
        )
        assert not outcome.replayed
    assert len(session.scalars(select(Receipt)).all()) == 2


def test_refused_input_raises_before_anything_is_written(session: Session) -> None:
    with pytest.raises(InvalidInput, match="empty"):
        ingest(session, article_id="e", new=text("   "), now=NOW, limits=LIMITS)
    with pytest.raises(InvalidInput, match="metadata"):
        ingest(
            session,
            article_id="e",
            new=NewRevision(body_format="text", body=A, metadata={"k": "x" * 100}),
            now=NOW,
            limits=ContentLimits(max_metadata_bytes=50),
        )
    assert storage.get_article(session, "e") is None  # not even the article row


def test_a_publish_waiting_on_the_article_diffs_against_the_one_it_waited_for(
    sessions: Sessions,
) -> None:
    """Two publishes of one article at once: the second waits for the first's lock, and
    once the first commits it is numbered after it and diffed against it (not against
    the revision that was latest when it started waiting)."""
    c = "Officials said repairs would take a week."
    with sessions.write() as session:
        ingest(session, article_id="race", new=text(A), now=NOW, limits=LIMITS)
        session.commit()
    first = sessions.write()
    ingest(first, article_id="race", new=text(f"{A}\n\n{B}"), now=NOW, limits=LIMITS)

    def second() -> tuple[int, int | None, list[list[int]], tuple[str, ...]]:
        with sessions.write() as session:
            done = ingest(
                session, article_id="race", new=text(f"{A}\n\n{B}\n\n{c}"), now=NOW, limits=LIMITS
            )
            session.commit()
            assert done.change is not None
            kinds = done.change.record.kinds
            return (
                done.revision.revision_no,
                done.change.from_revision_no,
                done.revision.provenance,
                kinds,
            )

    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(second)
        _wait_until_blocked(first)
        assert not waiting.done()
        first.commit()
        first.close()
        number, since, provenance, kinds = waiting.result(timeout=30)
    assert (number, since) == (3, 2)
    assert provenance == [[1, 1], [2, 2], [3, 3]]  # B came with revision 2, not now
    assert kinds == ("paragraph_added",)  # one paragraph added to revision 2, not two to 1


def _wait_until_blocked(holder: Session) -> None:
    """Until another transaction waits for a lock `holder` holds (PostgreSQL), or for a
    moment (SQLite, whose writers queue on a lock of the process)."""
    if holder.get_bind().dialect.name != "postgresql":
        time.sleep(0.5)
        return
    deadline = time.monotonic() + 10
    probe = create_engine(holder.connection().engine.url, isolation_level="AUTOCOMMIT")
    try:
        with probe.connect() as conn:
            while time.monotonic() < deadline:
                waiting = conn.scalar(
                    text_sql("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
                )
                if waiting:
                    return
                time.sleep(0.02)
    finally:
        probe.dispose()
    raise AssertionError("the second publish never waited for the article's lock")
