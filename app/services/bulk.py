"""Bulk import: NDJSON revisions, streamed, applied in batches, resumable.

Each line is one revision: {"article_id", "text" | "html" | "markdown", "title",
"url", "published_at", "source_revision_id", "metadata"}. Lines are applied in
file order, so an article's revisions are numbered in the order its lines come.
A batch of lines is one transaction; the rows are derived by the same code as
single ingest (services.ingest.next_revision), and a line that cannot be
stored fails alone, with its number and a problem, never losing the others.

With a `run` name, every transaction also records per article the last line it
applied (table import_cursor), so the same run started again after an
interruption skips exactly the lines already stored.
"""

import codecs
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from app import storage
from app.db import Sessions
from app.engine import Document
from app.errors import InvalidInput, Unavailable
from app.schemas import ImportLine
from app.services import notifications, payloads
from app.services.content import ContentLimits, NewRevision, read_revision
from app.services.ingest import Head, next_revision, repeats
from app.storage import LockedArticle

MAX_REPORTED_FAILURES = 1000
# A transaction applies this many lines, or fewer once they hold BATCH_BYTES: larger
# batches cost fewer statements and commits (200 → 500 lines: --jobs 2 from 850–1,060 to
# 1,060–1,220 revisions/s), the byte bound keeps memory flat whatever the lines hold.
BATCH_LINES = 500
BATCH_BYTES = 4 * 1024 * 1024


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class ImportReport:
    created: int = 0
    unchanged: int = 0
    skipped: int = 0  # applied by an earlier run of the same name
    failed: int = 0
    failures: list[tuple[int, str]] = field(default_factory=list)  # (line, problem)

    def fail(self, line: int, detail: str) -> None:
        self.failed += 1
        if len(self.failures) < MAX_REPORTED_FAILURES:
            self.failures.append((line, detail))

    def add(self, other: "ImportReport") -> None:
        self.created += other.created
        self.unchanged += other.unchanged
        self.skipped += other.skipped
        self.failed += other.failed
        room = MAX_REPORTED_FAILURES - len(self.failures)
        self.failures.extend(other.failures[: max(room, 0)])
        self.failures.sort()

    @property
    def lines(self) -> int:
        return self.created + self.unchanged + self.skipped + self.failed


@dataclass(frozen=True, slots=True)
class ImportItem:
    line: int
    article_id: str
    new: NewRevision
    doc: Document


def owner(article_id: str | None, jobs: int) -> int:
    """Which of `jobs` import processes owns an article (stable across runs and machines);
    lines whose article cannot be read (None) belong to the first."""
    return 0 if article_id is None else zlib.crc32(article_id.encode()) % jobs


def read_line(raw: bytes, *, max_json_depth: int) -> tuple[str, NewRevision]:
    """The article id and revision of one NDJSON line (InvalidInput says what is wrong)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"not valid UTF-8 (byte {exc.start}); send UTF-8") from exc
    data = payloads.load_json(text, max_depth=max_json_depth, what="The line")
    line = payloads.validate(ImportLine, data)
    return line.article_id, payloads.to_new_revision(line)


def prepare(line: int, article_id: str, new: NewRevision, limits: ContentLimits) -> ImportItem:
    new, doc = read_revision(new, limits)
    return ImportItem(line, article_id, new, doc)


class LineSplitter:
    """NDJSON lines from a stream of chunks, numbered from 1, in bounded memory: a line
    longer than `max_bytes` is dropped as it streams and comes out as None. A byte
    order mark opening the stream is dropped (JSON parsers may ignore one: RFC 8259)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._buffer = bytearray()
        self._overlong = False
        self._number = 0

    def feed(self, chunk: bytes) -> Iterator[tuple[int, bytes | None]]:
        start = 0
        while (end := chunk.find(b"\n", start)) >= 0:
            yield from self._emit(chunk[start:end])
            start = end + 1
        self._take(chunk[start:])

    def close(self) -> Iterator[tuple[int, bytes | None]]:
        if self._buffer or self._overlong:
            yield from self._emit(b"")

    def _take(self, piece: bytes) -> None:
        if not self._overlong:
            self._buffer += piece
            if len(self._buffer) > self.max_bytes:
                self._buffer.clear()
                self._overlong = True

    def _emit(self, tail: bytes) -> Iterator[tuple[int, bytes | None]]:
        self._take(tail)
        self._number += 1
        line = None if self._overlong else bytes(self._buffer).rstrip(b"\r")
        if self._number == 1 and line is not None:
            line = line.removeprefix(codecs.BOM_UTF8)  # as Windows tools write UTF-8 files
        self._buffer.clear()
        self._overlong = False
        if line is None or line.strip():
            yield self._number, line


@dataclass(slots=True)
class _ArticleState:
    row: LockedArticle
    head: Head | None
    done: int  # the last line applied (import cursor)
    # Content hash -> revision numbers: those stored before this batch and those it adds.
    numbers: dict[str, list[int]]

    def previous_with_sha(self, sha256: str) -> int | None:
        """What single ingest's revert lookup answers: the newest earlier revision
        (before the latest) with this text."""
        if self.head is None:
            return None
        before = self.head.revision_no
        earlier = [n for n in self.numbers.get(sha256, ()) if n < before]
        return earlier[-1] if earlier else None


def _states(
    session: Session, article_ids: set[str], run: str | None, now: datetime
) -> dict[str, _ArticleState]:
    """The batch's articles locked, with their latest revisions, the numbers of their
    revisions by text and their import cursors: a few statements for the whole batch.

    The articles are locked in one global order (by CMS id), so two imports sharing
    articles never deadlock; a single ingest locks only one.
    """
    rows = storage.lock_articles(session, sorted(article_ids), now)
    existing = [row.id for row in rows.values() if row.latest_revision_no]
    latest = storage.latest_revisions(session, existing)
    numbers = storage.revision_numbers_by_sha(session, existing)
    cursors = storage.import_cursors(session, run, [row.id for row in rows.values()]) if run else {}
    return {
        article_id: _ArticleState(
            row,
            Head.of(latest[row.id], title=row.title) if row.id in latest else None,
            cursors.get(row.id, 0),
            numbers.get(row.id, {}),
        )
        for article_id, row in rows.items()
    }


def apply(
    session: Session, items: Sequence[ImportItem], *, run: str | None, clock: Callable[[], datetime]
) -> ImportReport:
    """Apply lines in order in `session` (the caller commits); their counts."""
    report = ImportReport()
    states = _states(session, {item.article_id for item in items}, run, clock())
    stored = []  # (article CMS id, revision, change)
    advanced = set()  # articles given a revision
    for item in items:
        state = states[item.article_id]
        if item.line <= state.done:
            report.skipped += 1
            continue
        state.done = item.line
        if repeats(state.head, item.doc, item.new):
            report.unchanged += 1
            continue
        revert_of = state.previous_with_sha(item.doc.sha256)
        revision, change = next_revision(
            state.row, state.head, item.doc, item.new, clock(), revert_of
        )
        stored.append((item.article_id, revision, change))
        state.head = Head.of(revision, item.doc.blocks)
        state.numbers.setdefault(revision.content_sha256, []).append(revision.revision_no)
        advanced.add(item.article_id)
        report.created += 1
    storage.save_articles(session, [s.row for a, s in states.items() if a in advanced])
    storage.add_revisions(session, [(revision, change) for _, revision, change in stored])
    notifications.enqueue(session, stored, now=clock())
    if run:
        lines = {s.row.id: s.done for s in states.values()}
        storage.save_import_cursors(session, run, lines, clock())
    return report


class Importer:
    """Applies prepared lines in batches, each batch one transaction; a batch the
    database refuses is applied again line by line, so only the bad line fails."""

    def __init__(
        self,
        sessions: Sessions,
        *,
        run: str | None = None,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.sessions = sessions
        self.run = run
        self.clock = clock
        self.report = ImportReport()

    def take(
        self,
        lines: Iterable[tuple[int, bytes | None]],
        *,
        limits: ContentLimits,
        max_json_depth: int,
        max_line_bytes: int,
        owns: Callable[[str | None], bool] | None = None,
    ) -> ImportReport:
        """Read, check and apply raw numbered lines (None: a line over `max_line_bytes`).

        With `owns`, lines of articles it declines are left to another process; a line
        whose article cannot be read is reported by the process that owns None (one of
        them), so that every failure is counted once."""
        failed = ImportReport()
        items = []
        for number, raw in lines:
            try:
                if raw is None:
                    raise InvalidInput(f"longer than {max_line_bytes} bytes (MAX_BODY_BYTES)")
                article_id, new = read_line(raw, max_json_depth=max_json_depth)
            except InvalidInput as exc:
                if owns is None or owns(None):
                    failed.fail(number, exc.detail)
                continue
            if owns is not None and not owns(article_id):
                continue
            try:
                items.append(prepare(number, article_id, new, limits))
            except InvalidInput as exc:
                failed.fail(number, exc.detail)
        self.report.add(failed)
        done = self.write(items)
        failed.add(done)
        return failed

    def write(self, items: list[ImportItem]) -> ImportReport:
        """Apply one batch; what it did (also added to self.report)."""
        done = self._write(items)
        self.report.add(done)
        return done

    def _write(self, items: list[ImportItem]) -> ImportReport:
        if not items:
            return ImportReport()
        try:
            with self.sessions.write() as session:
                done = apply(session, items, run=self.run, clock=self.clock)
                session.commit()
                return done
        except (IntegrityError, DataError) as exc:
            return self._refused(items, exc)
        except SQLAlchemyError as exc:  # the database itself is in trouble: stop here
            raise Unavailable(
                f"The database failed ({exc.__class__.__name__}) after {self.report.lines} "
                "lines were handled; those are stored. Send the same lines again with the "
                "same Idempotency-Key (or run the same import again) to skip them.",
                headers={"Retry-After": "5"},
            ) from exc

    def _refused(self, items: list[ImportItem], exc: DBAPIError) -> ImportReport:
        """A batch the database refused: each line alone, so only the bad one fails."""
        done = ImportReport()
        if len(items) == 1:
            problem = str(exc.orig).splitlines()[0] if exc.orig else exc.__class__.__name__
            done.fail(items[0].line, f"the database refused it: {problem}")
        else:
            for item in items:
                done.add(self._write([item]))
        return done
