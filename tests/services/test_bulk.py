"""Bulk import: the same rows as single ingest, bad lines failing alone, resuming."""

import json
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Connection, select, update
from sqlalchemy.orm import Session

from app import storage
from app.db import create_sessions
from app.models import Article, Change, ChangeKind, ImportCursor, Revision
from app.schemas import ImportLine
from app.services import receipts
from app.services.bulk import Importer, LineSplitter
from app.services.content import ContentLimits
from app.services.ingest import ingest
from app.services.payloads import to_new_revision
from tests.conftest import postgresql_only

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
LIMITS = ContentLimits()
A = "The storm reached the coast on Sunday night with winds of 120 km/h."
B = "Thousands of homes lost power and schools will stay closed on Monday."
C = "The mayor said repairs would cost about $4 million and take a year."


def history(corpus_posts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Lines exercising every path: a title set, a repeat, a revert, a title-only
    change, HTML, Markdown, metadata, a whole page; then two real histories from the
    corpus."""
    lines: list[dict[str, Any]] = [
        {"text": A},
        {"text": f"{A}\n\n{B}", "title": "Storm hits", "url": "https://example.com/s"},
        {"text": f"{A}\n\n{B}"},  # repeats the latest: unchanged
        {"html": f"<p>{A}</p><p>{B}</p><p>{C}</p>", "metadata": {"desk": "metro"}},
        {"text": f"{A}\n\n{B}", "published_at": "2026-05-01T10:00:00Z"},  # a revert to 2
        {"text": f"{A}\n\n{B}", "title": "Storm batters coast"},  # title only
        {"markdown": f"# Storm\n\n{A}\n\n{C}", "source_revision_id": "cms-7"},
        {  # a whole page: its own headline is its title
            "html": "<html><head><title>Storm ends | Daily</title></head>"
            f"<body><article><p>{A}</p><p>{C}</p></article></body></html>"
        },
    ]
    out = [{"article_id": "crafted", **line} for line in lines]
    for number, post in enumerate(corpus_posts[:2]):
        for version in post["versions"]:
            out.append(
                {
                    "article_id": f"corpus-{number}",
                    "markdown": version["body"],
                    "title": version["title"],
                }
            )
    return out


def line(text: str) -> ImportLine:
    return ImportLine.model_validate({"article_id": "taken", "text": text})


def identity(value: datetime) -> datetime:
    return value


def ndjson(lines: list[dict[str, Any]]) -> list[tuple[int, bytes | None]]:
    return [(n, json.dumps(line).encode()) for n, line in enumerate(lines, 1)]


def take(importer: Importer, lines: list[tuple[int, bytes | None]]) -> None:
    importer.take(lines, limits=LIMITS, max_json_depth=32, max_line_bytes=1 << 20)


def stored(session: Session, article_id: str) -> dict[str, Any]:
    """Everything stored for an article except row ids and arrival times."""
    article = session.scalars(select(Article).where(Article.external_id == article_id)).one()
    revisions = session.scalars(
        select(Revision).where(Revision.article_id == article.id).order_by(Revision.revision_no)
    ).all()
    changes = session.scalars(
        select(Change).where(Change.article_id == article.id).order_by(Change.revision_no)
    ).all()
    kinds = session.execute(
        select(Change.revision_no, ChangeKind.kind)
        .join(ChangeKind, ChangeKind.change_id == Change.id)
        .where(Change.article_id == article.id)
        .order_by(Change.revision_no, ChangeKind.kind)
    ).all()
    return {
        "article": (article.title, article.url, article.latest_revision_no),
        "revisions": [
            (
                r.revision_no,
                r.content_sha256,
                r.text,
                r.blocks,
                r.provenance,
                r.original_body,
                r.original_media_type,
                r.title,
                r.url,
                r.published_at,
                r.source_revision_id,
                r.meta,
                r.revert_of,
            )
            for r in revisions
        ],
        "changes": [
            (
                c.revision_no,
                c.from_revision_no,
                c.published_at,
                c.kinds,
                c.significance,
                c.record,
                c.engine_version,
            )
            for c in changes
        ],
        "kinds": [tuple(k) for k in kinds],
    }


def test_import_stores_exactly_what_single_ingest_stores(
    connection: Connection, session: Session, corpus_posts: list[dict[str, Any]]
) -> None:
    lines = history(corpus_posts)
    for line in lines:
        data = ImportLine.model_validate({**line, "article_id": f"single-{line['article_id']}"})
        ingest(
            session, article_id=data.article_id, new=to_new_revision(data), now=NOW, limits=LIMITS
        )
    session.commit()
    bulk = [{**line, "article_id": f"bulk-{line['article_id']}"} for line in lines]
    importer = Importer(create_sessions(connection))
    take(importer, ndjson(bulk))
    report = importer.report
    assert (report.failed, report.skipped) == (0, 0)
    assert report.created + report.unchanged == len(lines)
    crafted = stored(session, "bulk-crafted")
    # revert_of: 4 brings back 2's text, and 5 (a new title on it) still is that text.
    assert [r[12] for r in crafted["revisions"]] == [None, None, None, 2, 2, None, None]
    assert crafted["article"] == ("Storm ends | Daily", "https://example.com/s", 7)
    # Batch boundaries change nothing: the same lines again, three to a transaction.
    chunked = ndjson([{**line, "article_id": f"chunked-{line['article_id']}"} for line in lines])
    for start in range(0, len(chunked), 3):
        take(importer, chunked[start : start + 3])
    for article in {line["article_id"] for line in lines}:
        single = stored(session, f"single-{article}")
        assert stored(session, f"bulk-{article}") == single, article
        assert stored(session, f"chunked-{article}") == single, article


def test_a_bad_line_fails_alone_with_its_number(connection: Connection, session: Session) -> None:
    good = json.dumps({"article_id": "g", "text": A}).encode()
    lines: list[tuple[int, bytes | None]] = [
        (1, good),
        (2, b"{not json"),
        (3, json.dumps({"article_id": "g", "text": B, "colour": "red"}).encode()),
        (4, json.dumps({"article_id": "bad id", "text": B}).encode()),
        (5, json.dumps({"article_id": "g", "text": "   "}).encode()),
        (6, json.dumps({"article_id": "g"}).encode()),
        (7, b"\xff\xfe"),
        (8, None),  # longer than the limit
        (9, b"[" * 100 + b"]" * 100),
        (10, json.dumps({"article_id": "g", "text": f"{A}\n\n{B}"}).encode()),
    ]
    importer = Importer(create_sessions(connection))
    take(importer, lines)
    report = importer.report
    assert (report.created, report.failed) == (2, 8)
    problems = dict(report.failures)
    assert sorted(problems) == [2, 3, 4, 5, 6, 7, 8, 9]
    assert "not valid JSON" in problems[2]
    assert "colour" in problems[3]
    assert "article_id" in problems[4]
    assert "empty" in problems[5]
    assert "exactly one of" in problems[6]
    assert "UTF-8" in problems[7]
    assert "longer than" in problems[8]
    assert "levels deep" in problems[9]
    assert stored(session, "g")["article"][2] == 2


@postgresql_only
def test_a_line_the_database_refuses_fails_alone_in_a_batch_sent_by_copy(
    connection: Connection, session: Session
) -> None:
    """PostgreSQL takes a large batch by COPY; an error there is reported as an INSERT's
    would be, so the batch is tried again line by line and only that line fails."""
    for text in (A, B):
        ingest(session, article_id="taken", new=to_new_revision(line(text)), now=NOW, limits=LIMITS)
    # The article forgets its revision 2, so the import's next number is one already stored.
    session.execute(
        update(Article).where(Article.external_id == "taken").values(latest_revision_no=1)
    )
    session.commit()
    lines = [{"article_id": f"a{k}", "text": A} for k in range(storage.COPY_FROM)]
    lines.insert(3, {"article_id": "taken", "text": C})
    importer = Importer(create_sessions(connection))
    take(importer, ndjson(lines))
    report = importer.report
    assert (report.created, report.failed) == (storage.COPY_FROM, 1)
    [(number, problem)] = report.failures
    assert number == 4
    assert problem.startswith("the database refused it: duplicate key value")
    assert stored(session, "a7")["article"][2] == 1


def test_a_run_started_again_skips_what_it_stored(connection: Connection, session: Session) -> None:
    bodies = [A, f"{A}\n\n{B}", f"{A}\n\n{B}\n\n{C}", f"{B}\n\n{C}"]
    lines = ndjson([{"article_id": f"r{k % 2}", "text": bodies[k // 2]} for k in range(8)])
    first = Importer(create_sessions(connection), run="archive-1")
    take(first, lines[:5])  # interrupted after line 5
    again = Importer(create_sessions(connection), run="archive-1")
    take(again, lines)
    assert (again.report.skipped, again.report.created) == (5, 3)
    assert [r[0] for r in stored(session, "r0")["revisions"]] == [1, 2, 3, 4]
    assert [r[0] for r in stored(session, "r1")["revisions"]] == [1, 2, 3, 4]
    other = Importer(create_sessions(connection), run="archive-2")  # another run: no skipping
    take(other, lines[:1])
    assert (other.report.skipped, other.report.unchanged) == (0, 0)
    assert other.report.created == 1  # line 1 differs from r0's latest: a new revision


@given(
    st.lists(st.sampled_from(["", " ", "a", "bc", "x" * 12, '{"k": 1}', "\r"]), max_size=12),
    st.lists(st.integers(min_value=1, max_value=9), min_size=1, max_size=20),
)
def test_line_splitter_numbers_lines_whatever_the_chunks(lines: list[str], cuts: list[int]) -> None:
    body = "\n".join(lines).encode()
    splitter = LineSplitter(max_bytes=10)
    out: list[tuple[int, bytes | None]] = []
    start = 0
    for size in cuts * (len(body) // sum(cuts) + 1):
        out += splitter.feed(body[start : start + size])
        start += size
        if start >= len(body):
            break
    out += splitter.close()
    expected: list[tuple[int, bytes | None]] = []
    for number, raw in enumerate(body.split(b"\n"), 1):
        if len(raw) > 10:
            expected.append((number, None))
        elif raw.strip():
            expected.append((number, raw.rstrip(b"\r")))
    assert out == expected


def test_cursors_of_http_imports_are_forgotten_with_the_receipts(
    connection: Connection, session: Session
) -> None:
    """An HTTP import's cursors (its Idempotency-Key) age out after the receipts'
    retention; a command-line run's stay, to be resumed whenever."""
    lines = ndjson([{"article_id": "aged", "text": A}])
    old, new = NOW - timedelta(days=3), NOW
    for run, when in (("api:key-1", old), ("api:key-2", new), ("file:/tmp/a.ndjson", old)):
        importer = Importer(create_sessions(connection), run=run, clock=partial(identity, when))
        take(importer, lines)
    removed = receipts.purge_expired(session, now=NOW, retention=timedelta(hours=48))
    assert removed == 1
    kept = session.scalars(select(ImportCursor.run).order_by(ImportCursor.run)).all()
    assert list(kept) == ["api:key-2", "file:/tmp/a.ndjson"]
