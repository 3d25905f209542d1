"""Subscriptions and the outbox: which revisions owe which events, written in the
transaction that stores them, by single ingest, bulk import and rebuild alike."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Connection, func, select, update
from sqlalchemy.orm import Session

from app.db import create_db_engine, create_sessions
from app.errors import InvalidInput
from app.models import Change, Delivery, Revision
from app.schemas import TARGET_URL_PATTERN
from app.services import notifications
from app.services.bulk import Importer
from app.services.content import ContentLimits, NewRevision
from app.services.ingest import ingest
from app.services.notifications import Filter
from app.services.rebuild import rebuild_article

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
LIMITS = ContentLimits()
INTRO = "The storm reached the coast on Sunday night with winds of 120 km/h."
DAMAGE = "## Damage\n\nThousands of homes lost power and schools stay closed."
COST = "The mayor said repairs would cost about $4 million and take a year."


def subscribe(session: Session, **filter: Any) -> int:
    made = notifications.create_subscription(
        session,
        url="https://receiver.example/hook",
        description=None,
        filter=Filter(**filter),
        now=NOW,
        block_private=False,
    )
    return made.id


def publish(session: Session, article: str, text: str, at: datetime = NOW) -> Revision:
    outcome = ingest(
        session,
        article_id=article,
        new=NewRevision("markdown", text),
        now=at,
        limits=LIMITS,
    )
    return outcome.revision


def events(session: Session, subscription: int | None = None) -> list[Delivery]:
    query = select(Delivery).order_by(Delivery.id)
    if subscription is not None:
        query = query.where(Delivery.subscription_id == subscription)
    return list(session.scalars(query))


def test_a_section_removal_owes_one_event_with_the_change_record(session: Session) -> None:
    removals = subscribe(session, kinds=["section_removed"])
    everything = subscribe(session)
    publish(session, "storm", f"# Storm\n\n{INTRO}\n\n{DAMAGE}")
    publish(session, "storm", f"# Storm\n\n{INTRO}\n\n{COST}")

    # The first revision has no change record: only the unfiltered subscription hears of it.
    assert [(e.revision_no, e.status) for e in events(session, everything)] == [
        (1, "pending"),
        (2, "pending"),
    ]
    [event] = events(session, removals)
    body = json.loads(event.payload)
    assert body["type"] == "revision.created"
    assert event.event_id.startswith("msg_")
    data = body["data"]
    assert data["article_id"] == "storm"
    assert data["revision"] == 2
    assert "section_removed" in data["change"]["kinds"]
    assert data["change"]["sections_removed"] == ["Damage"]
    assert data["change"]["from_revision"] == 1
    assert data["change"]["significance"] >= 0.9
    assert data["links"]["diff"] == "/v1/articles/storm/diff?from=1&to=2"
    first = json.loads(events(session, everything)[0].payload)["data"]
    assert first["change"] is None
    assert first["links"]["diff"] is None


@pytest.mark.parametrize(
    ("filter", "owed"),
    [
        ({}, {"storm-1", "storm-2", "vote-1", "vote-2"}),
        ({"article_ids": ["vote"]}, {"vote-1", "vote-2"}),
        ({"article_prefix": "sto"}, {"storm-1", "storm-2"}),
        ({"kinds": ["paragraph_added"]}, {"vote-2"}),
        ({"kinds": ["section_removed", "numbers_changed"]}, {"storm-2"}),
        ({"min_significance": 0.8}, {"storm-2"}),
        ({"article_ids": ["vote"], "kinds": ["section_removed"]}, set()),
    ],
)
def test_filters_match_and_exclude(
    session: Session, filter: dict[str, Any], owed: set[str]
) -> None:
    subscription = subscribe(session, **filter)
    publish(session, "storm", f"{INTRO}\n\n{DAMAGE}")
    publish(session, "storm", INTRO)  # the Damage section removed
    publish(session, "vote", INTRO)
    publish(session, "vote", f"{INTRO}\n\n{COST}")  # a paragraph added
    got = {
        f"{json.loads(e.payload)['data']['article_id']}-{e.revision_no}"
        for e in events(session, subscription)
    }
    assert got == owed


def test_a_repeat_stores_nothing_and_owes_nothing(session: Session) -> None:
    subscribe(session)
    publish(session, "storm", INTRO)
    publish(session, "storm", INTRO)
    assert len(events(session)) == 1


def test_no_subscriptions_no_rows(session: Session) -> None:
    publish(session, "storm", INTRO)
    assert events(session) == []


def test_filter_checks(session: Session) -> None:
    with pytest.raises(InvalidInput, match="not both"):
        subscribe(session, article_ids=["a"], article_prefix="a")
    with pytest.raises(InvalidInput, match="unknown"):
        subscribe(session, kinds=["paragraph_exploded"])


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://example.com/x", "http"),
        ("https:///path", "write it as"),
        ("http://[::1]/", "write it as"),
        ("http://exa mple.com/", "write it as"),
        ("https://user:pw@example.com/", "credentials"),
        ("https://example.com/#frag", "fragment"),
        ("https://example.com:99999/", "port"),
    ],
)
def test_target_urls_are_checked(url: str, problem: str) -> None:
    with pytest.raises(InvalidInput, match=problem):
        notifications.check_target(url, block_private=False)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/x",
        "http://10.1.2.3/",
        "http://192.168.0.10:8080/",
        "http://169.254.169.254/latest/meta-data",
        "http://localhost:8000/",
        "http://api.localhost/",
    ],
)
def test_private_targets_written_out_are_refused_when_blocking(url: str) -> None:
    assert notifications.check_target(url, block_private=False) == url
    with pytest.raises(InvalidInput, match="not a public address"):
        notifications.check_target(url, block_private=True)


def test_rotation_keeps_the_old_secret_for_the_grace_period(session: Session) -> None:
    subscription = notifications.require_subscription(session, subscribe(session))
    old = subscription.secret
    assert old.startswith("whsec_")
    rotated = notifications.rotate_secret(
        session, subscription.id, now=NOW, grace=timedelta(hours=24)
    )
    assert rotated.secret != old
    assert notifications.signing_secrets(rotated, NOW + timedelta(hours=23)) == [
        rotated.secret,
        old,
    ]
    assert notifications.signing_secrets(rotated, NOW + timedelta(hours=24)) == [rotated.secret]


def test_the_event_is_written_with_the_revision_or_not_at_all(
    own_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The outbox row is in the revision's transaction: when writing it fails, the
    revision is not stored either; when the transaction commits, both are."""
    engine = create_db_engine(own_database_url)
    sessions = create_sessions(engine)
    try:
        with sessions.write() as session:
            subscribe(session)
            session.commit()

        def broken(*_args: Any) -> None:
            raise RuntimeError("the outbox insert failed")

        monkeypatch.setattr("app.storage.add_deliveries", broken)
        with sessions.write() as session, pytest.raises(RuntimeError):
            publish(session, "storm", INTRO)  # raises before anything commits
        with sessions.read() as session:
            assert session.scalar(select(func.count()).select_from(Revision)) == 0
        monkeypatch.undo()
        with sessions.write() as session:
            publish(session, "storm", INTRO)
            session.rollback()  # a request that fails later rolls both back
        with sessions.write() as session:
            publish(session, "storm", INTRO)
            session.commit()
        with sessions.read() as session:
            assert session.scalar(select(func.count()).select_from(Revision)) == 1
            assert [e.revision_no for e in events(session)] == [1]
    finally:
        engine.dispose()


def _comparable(delivery: Delivery) -> tuple[Any, ...]:
    data = json.loads(delivery.payload)["data"]
    data.pop("received_at")
    return delivery.event_type, delivery.revision_no, json.dumps(data, sort_keys=True)


def test_bulk_import_owes_the_same_events_as_single_ingest(
    connection: Connection, session: Session
) -> None:
    subscribe(session, kinds=["paragraph_added", "section_removed"])
    texts = [INTRO, f"{INTRO}\n\n{DAMAGE}", INTRO, f"{INTRO}\n\n{COST}", f"{INTRO}\n\n{COST}"]
    for n, text in enumerate(texts):
        publish(session, "single", text, NOW + timedelta(minutes=n))
    lines = [
        (n, json.dumps({"article_id": "bulk", "markdown": text}).encode())
        for n, text in enumerate(texts, 1)
    ]
    session.commit()
    importer = Importer(create_sessions(connection), clock=lambda: NOW)
    importer.take(lines, limits=LIMITS, max_json_depth=32, max_line_bytes=1 << 20)
    session.expire_all()
    single = [_comparable(e) for e in events(session) if "single" in e.payload]
    bulk = [_comparable(e) for e in events(session) if "bulk" in e.payload]
    assert len(single) == 3  # revisions 2, 3 and 4 (5 repeats 4)
    assert [b[:2] for b in bulk] == [s[:2] for s in single]
    assert [b[2].replace("bulk", "single") for b in bulk] == [s[2] for s in single]


def test_rebuild_tells_of_records_whose_kinds_moved(session: Session) -> None:
    subscription = subscribe(session, kinds=["section_removed"])
    publish(session, "storm", f"{INTRO}\n\n{DAMAGE}")
    revision = publish(session, "storm", INTRO)
    assert len(events(session, subscription)) == 1
    # As an older engine might have recorded it: no section removed, made by version "0".
    session.execute(
        update(Change)
        .where(Change.revision_id == revision.id)
        .values(kinds=["paragraph_removed"], significance=0.55, engine_version="0")
    )
    report = rebuild_article(session, revision.article_id, now=NOW + timedelta(days=1))
    assert report.moved == 1
    rederived = events(session, subscription)[1]
    assert rederived.event_type == "change.rederived"
    assert rederived.revision_no == 2
    assert "section_removed" in json.loads(rederived.payload)["data"]["change"]["kinds"]
    # Unmoved records owe nothing on a second rebuild.
    session.execute(update(Change).values(engine_version="0"))
    assert rebuild_article(session, revision.article_id, now=NOW).moved == 0
    assert len(events(session, subscription)) == 2


@given(st.from_regex(TARGET_URL_PATTERN, fullmatch=True).filter(lambda u: len(u) <= 2000))
def test_every_url_the_schema_allows_is_taken(url: str) -> None:
    assert notifications.check_target(url, block_private=False) == url


def test_old_settled_deliveries_are_purged_pending_ones_stay(session: Session) -> None:
    subscribe(session)
    for n in range(4):
        publish(session, f"story-{n}", INTRO)
    rows = events(session)
    ages = [40, 40, 40, 1]  # days
    states = ["delivered", "dead", "pending", "delivered"]
    for row, status, age in zip(rows, states, ages, strict=True):
        row.status = status
        row.created_at = NOW - timedelta(days=age)
    session.flush()
    removed = notifications.purge_old_deliveries(session, now=NOW, retention=timedelta(days=30))
    assert removed == 2
    assert [(e.status, e.revision_no) for e in events(session)] == [
        ("pending", 1),
        ("delivered", 1),
    ]
