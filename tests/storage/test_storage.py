"""SQL in app/storage.py, on SQLite and PostgreSQL: locking, keysets, receipts, typed columns."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app import batch, db, storage
from app.db import create_db_engine, create_sessions
from app.engine import change_record, compare
from app.models import Change, Revision, Subscription
from tests.conftest import postgresql_only

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def add_revision(session: Session, external_id: str) -> Revision:
    article, _ = storage.lock_article(session, external_id, NOW)
    article.latest_revision_no += 1
    number = article.latest_revision_no
    revision = Revision(
        article_id=article.id,
        revision_no=number,
        content_sha256="0" * 64,
        text="x",
        blocks=[{"kind": "paragraph", "text": "x"}],
        provenance=[[number, number]],
        original_body=b"",
        original_media_type="text/plain",
        received_at=NOW,
    )
    storage.write_revision(session, article, revision, None)
    return revision


def test_lock_article_creates_once_and_numbers_revisions(session: Session) -> None:
    first, _ = storage.lock_article(session, "a", NOW)
    again, _ = storage.lock_article(session, "a", NOW + timedelta(seconds=1))
    assert first.id == again.id
    assert [add_revision(session, "a").revision_no for _ in range(3)] == [1, 2, 3]
    article = storage.get_article(session, "a")
    assert article is not None
    assert article.latest_revision_no == 3


def test_change_record_column_reads_back_as_the_record(session: Session) -> None:
    revision = add_revision(session, "c")
    record = change_record(
        compare("Prices rose 5% on Monday.", "Prices rose 6% on Monday."),
        old_title="Old",
        new_title="New",
        revert_of=None,
    )
    change = Change(
        article_id=revision.article_id,
        revision_id=revision.id,
        revision_no=1,
        from_revision_no=None,
        received_at=NOW,
        kinds=list(record.kinds),
        significance=record.significance,
        record=record,
        engine_version="3",
    )
    storage.add(session, change)
    session.expire_all()
    stored = storage.get_change(session, revision.id)
    assert stored is not None
    assert stored.record == record


def test_feed_keyset_breaks_timestamp_ties_by_id(session: Session) -> None:
    """Many changes with the same received_at page through exactly once, newest id first."""
    revision = add_revision(session, "f")
    record = change_record(compare("A b c.", "A b d."))
    ids = []
    article, _ = storage.lock_article(session, "f", NOW)
    for k in range(7):
        article.latest_revision_no += 1
        extra = Revision(
            article_id=article.id,
            revision_no=k + 2,
            content_sha256=f"{k}" * 64,
            text="x",
            blocks=[],
            provenance=[],
            original_body=b"",
            original_media_type="text/plain",
            received_at=NOW,
        )
        change = Change(
            article_id=revision.article_id,
            revision_no=k + 2,
            from_revision_no=k + 1,
            received_at=NOW,
            kinds=list(record.kinds),
            significance=record.significance,
            record=record,
            engine_version="3",
        )
        storage.write_revision(session, article, extra, change)
        ids.append(change.id)
    seen: list[int] = []
    after = None
    while True:
        page = storage.list_changes(
            session,
            limit=3,
            after=after,
            since=None,
            until=None,
            article_id=None,
            kinds=["paragraph_modified"],
            min_significance=None,
        )
        seen += [c.id for c, *_ in page]
        if len(page) < 3:
            break
        after = (page[-1][0].received_at, page[-1][0].id)
    assert seen == sorted(ids, reverse=True)


def test_receipts_claim_complete_and_purge(session: Session) -> None:
    assert storage.claim_receipt(session, "k1", "f" * 64, NOW - timedelta(days=4)) is None
    storage.complete_receipt(session, "k1", 201, {"revision": 1})
    earlier = storage.claim_receipt(session, "k1", "f" * 64, NOW)
    assert earlier is not None
    assert (earlier.status_code, earlier.response) == (201, {"revision": 1})
    assert storage.claim_receipt(session, "k2", "e" * 64, NOW) is None
    assert storage.purge_receipts(session, NOW - timedelta(days=3)) == 1
    assert storage.claim_receipt(session, "k1", "f" * 64, NOW) is None  # forgotten: claimable


def test_reads_never_wait_for_an_open_write(own_database_url: str) -> None:
    """On SQLite reads begin deferred (WAL); on PostgreSQL MVCC: neither waits for a writer."""
    engine: Engine = create_db_engine(own_database_url)
    sessions = create_sessions(engine)
    try:
        with sessions.write() as writer:
            add_revision(writer, "w")  # holds the write lock (SQLite) / row locks (PostgreSQL)
            with sessions.read() as reader:
                # Were the read to wait, it would fail after 2 s instead of hanging.
                if engine.dialect.name == "postgresql":  # reads run in autocommit: not LOCAL
                    reader.execute(text("SET lock_timeout = '2s'"))
                else:
                    reader.execute(text("PRAGMA busy_timeout = 2000"))
                assert storage.get_article(reader, "w") is None  # not committed yet
            writer.commit()
        with sessions.read() as reader:
            assert storage.get_article(reader, "w") is not None
    finally:
        engine.dispose()


def test_concurrent_writers_of_one_process_queue_and_all_succeed(own_database_url: str) -> None:
    """Eight threads publishing through one engine: numbers 1..80 with no gaps (SQLite:
    they queue on the process's writer lock, never on the busy handler's sleeps)."""
    engine: Engine = create_db_engine(own_database_url)
    sessions = create_sessions(engine)

    def publish(_: int) -> None:
        for _ in range(10):
            with sessions.write() as session:
                add_revision(session, "many")
                session.commit()

    try:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(publish, range(8)))
        with sessions.read() as session:
            article = storage.get_article(session, "many")
            assert article is not None
            assert article.latest_revision_no == 80
    finally:
        engine.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("listing", ["_OLDEST_FIRST", "_NEWEST_FIRST"])
def test_a_sqlite_listing_reads_the_index_alone(session: Session, listing: str) -> None:
    """On SQLite a history or revision listing never reads the revision rows, whose
    small columns lie past the text and blocks (each row's overflow pages)."""
    add_revision(session, "a")
    statement = getattr(storage, listing).compile(session.get_bind())
    plan = (
        session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", (1, 0, 10, 0)).all()
    )
    assert any("COVERING INDEX ix_revision_listing" in row[-1] for row in plan), plan


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_sqlite_writer_lets_the_next_in_only_once_committed(own_database_url: str) -> None:
    """The process's writer lock passes to the next writer after SQLite's COMMIT, not
    before: its BEGIN IMMEDIATE never meets a commit in progress (where SQLite's busy
    handler would make it sleep, 1 ms at least; here, with no busy timeout, fail)."""
    engine: Engine = create_db_engine(own_database_url)
    sessions = create_sessions(engine)
    ends = {"first": 0.0, "next": 0.0}

    def finish_slowly(_connection: object) -> None:  # after the engine's own listener
        time.sleep(0.3)
        ends["first"] = ends["first"] or time.monotonic()

    started = threading.Event()

    def next_writer() -> None:
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA busy_timeout = 0")
            conn.commit()
            started.set()
            with conn.execution_options(**{db.WRITE_OPTION: True}).begin():
                ends["next"] = time.monotonic()  # began once the lock was passed on

    try:
        with sessions.write() as session:
            add_revision(session, "first")
            with ThreadPoolExecutor(1) as pool:
                waiting = pool.submit(next_writer)
                started.wait(5)
                event.listen(engine, "commit", finish_slowly)
                time.sleep(0.1)  # the next writer now queues on the lock
                session.commit()
                waiting.result(10)  # "database is locked" if it began before the COMMIT
        assert ends["next"] < ends["first"]  # it did not wait for the whole commit event
    finally:
        engine.dispose()


def test_a_write_session_closed_without_commit_lets_the_next_writer_in(
    own_database_url: str,
) -> None:
    engine: Engine = create_db_engine(own_database_url)
    sessions = create_sessions(engine)
    try:
        with sessions.write() as session:
            add_revision(session, "left")  # never committed: rolled back on close
        with sessions.write() as session:  # would wait 30 s if the writer lock leaked
            if engine.dialect.name == "sqlite":
                session.execute(text("PRAGMA busy_timeout = 2000"))
            add_revision(session, "next")
            session.commit()
        with sessions.read() as session:
            assert storage.get_article(session, "left") is None
            assert storage.get_article(session, "next") is not None
    finally:
        engine.dispose()


@postgresql_only
def test_an_idle_connection_lost_in_the_pool_is_replaced_unseen(
    own_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pooled connection the server dropped while it sat idle (a restart, a proxy's
    idle timeout) is pinged at checkout and replaced; the caller never sees it. One in
    steady use is not pinged (no round trip per request): its loss fails that use."""
    engine = create_db_engine(own_database_url)
    admin = create_engine(own_database_url, isolation_level="AUTOCOMMIT")

    def pooled_connection_dropped() -> int:
        with engine.connect() as conn:
            pid = conn.scalar(text("SELECT pg_backend_pid()"))
        with admin.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        return int(pid)

    try:
        monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.0)  # every pooled one counts as idle
        lost = pooled_connection_dropped()
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT pg_backend_pid()")) != lost
        monkeypatch.setattr(db, "IDLE_PING_SECONDS", 3600.0)  # none does
        pooled_connection_dropped()
        with pytest.raises(OperationalError), engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        with engine.connect() as conn:  # the pool was renewed by that failure
            assert conn.scalar(text("SELECT 1")) == 1
    finally:
        engine.dispose()
        admin.dispose()


@postgresql_only
def test_engines_for_redoable_work_commit_without_waiting_for_the_disk(
    own_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rebuild's engine sets synchronous_commit off (its work is redone after a crash);
    every other engine keeps PostgreSQL's durable commits."""

    def synchronous_commit(engine: Engine) -> str:
        with engine.connect() as conn:
            return str(conn.scalar(text("SHOW synchronous_commit")))

    seen: list[str] = []

    def spying(url: str, **options: bool) -> Engine:
        engine = create_db_engine(url, **options)
        seen.append(synchronous_commit(engine))
        return engine

    monkeypatch.setattr(batch, "create_db_engine", spying)
    batch.rebuild_job(own_database_url, None, 0, 1, lambda _step, _done: None)
    assert seen == ["off"]
    durable = create_db_engine(own_database_url)
    try:
        assert synchronous_commit(durable) == "on"
    finally:
        durable.dispose()


def test_the_article_lock_returns_every_subscription_filter_exactly(session: Session) -> None:
    """lock_article reads the filters in the same statement, as JSON: lists, text with
    quotes and a least significance needing all 17 digits come back as stored."""
    assert storage.lock_article(session, "s", NOW)[1] == []
    stored = [
        Subscription(
            url="https://receiver.example/hook",
            secret="s",
            created_at=NOW,
            article_ids=['say "hi"', "b\\c"],
            article_prefix="née-",
            kinds=["section_removed", "paragraph_split"],
            min_significance=0.1 + 0.2,  # 0.30000000000000004
        ),
        Subscription(url="https://receiver.example/all", secret="s", created_at=NOW),
    ]
    storage.add(session, *stored)
    _, filters = storage.lock_article(session, "s", NOW)
    assert filters == storage.subscription_filters(session)
    assert filters == [
        (s.id, s.article_ids, s.article_prefix, s.kinds, s.min_significance) for s in stored
    ]
    assert filters[0].min_significance == 0.30000000000000004


def test_locking_a_batch_creates_each_article_under_its_exact_id(session: Session) -> None:
    """The batch's ids travel as one array (JSON on SQLite): ids that look like numbers or
    null, and text beyond the BMP, come back as the very ids given."""
    ids = ["123", "1e3", "null", "a😀b", 'say "x"']
    first = storage.lock_articles(session, sorted(ids), NOW)
    assert sorted(first) == sorted(ids)
    assert all(a.latest_revision_no == 0 for a in first.values())
    again = storage.lock_articles(session, sorted(ids), NOW)
    assert {e: a.id for e, a in again.items()} == {e: a.id for e, a in first.items()}
