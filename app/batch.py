"""The long-running commands, `python -m app import` and `python -m app rebuild`:
work split across N processes by article, a progress bar (on a terminal only),
and a summary at the end.

Both resume after an interruption: an import run remembers per article the last
line it applied (services.bulk), and a rebuild only visits articles that still
hold records of another engine version (services.rebuild).
"""

import multiprocessing
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.context import ForkContext, SpawnContext
from pathlib import Path
from queue import Empty
from typing import Any, TypeVar

from tqdm import tqdm

from app.db import create_db_engine, create_sessions
from app.services.bulk import (
    BATCH_BYTES,
    BATCH_LINES,
    Importer,
    ImportReport,
    LineSplitter,
    owner,
)
from app.services.content import ContentLimits
from app.services.rebuild import RebuildReport, rebuild_article, stale_articles
from app.settings import Settings

Report = ImportReport | RebuildReport
READ_BYTES = 1024 * 1024
R = TypeVar("R", ImportReport, RebuildReport)


@dataclass(frozen=True, slots=True)
class ImportJob:
    path: Path
    database_url: str
    run: str
    job: int
    jobs: int


def import_job(job: ImportJob, progress: Callable[[int, Report], None]) -> ImportReport:
    """One process's share of an import: the articles `owner` gives it, in file order.
    Calls progress(bytes read, what the batch did) after each batch."""
    settings = Settings(DATABASE_URL=job.database_url)
    limits = ContentLimits.from_settings(settings)
    engine = create_db_engine(job.database_url)
    importer = Importer(create_sessions(engine), run=job.run)
    max_line = settings.MAX_BODY_BYTES

    def owns(article_id: str | None) -> bool:
        return owner(article_id, job.jobs) == job.job

    def flush(batch: list[tuple[int, bytes | None]], read: int) -> None:
        done = importer.take(
            batch,
            limits=limits,
            max_json_depth=settings.MAX_JSON_DEPTH,
            max_line_bytes=max_line,
            owns=owns,
        )
        progress(read, done)

    # The same splitter as POST /v1/import: bounded memory whatever the file holds
    # (a line over MAX_BODY_BYTES is dropped as it is read, and fails alone).
    splitter = LineSplitter(max_line)
    try:
        batch: list[tuple[int, bytes | None]] = []
        read = size = 0
        with job.path.open("rb") as source:
            while chunk := source.read(READ_BYTES):
                read += len(chunk)
                for line in splitter.feed(chunk):
                    batch.append(line)
                    size += len(line[1] or b"")
                    if len(batch) >= BATCH_LINES * job.jobs or size >= BATCH_BYTES * job.jobs:
                        flush(batch, read)
                        batch, read, size = [], 0, 0
        batch.extend(splitter.close())
        flush(batch, read)
    finally:
        engine.dispose()
    return importer.report


def rebuild_job(
    database_url: str,
    article: str | None,
    job: int,
    jobs: int,
    progress: Callable[[int, Report], None],
) -> RebuildReport:
    """One process's share of a rebuild: the stale articles whose id falls to it.

    Its commits do not wait for the disk: a rebuild only re-derives what is stored, and
    an article whose commit a crash lost still holds old records, so the next run redoes
    it (0.3–0.4 ms saved an article of six revisions)."""
    engine = create_db_engine(database_url, durable_commits=False)
    sessions = create_sessions(engine)
    total = RebuildReport()
    try:
        with sessions.read() as session:
            todo = [a for a in stale_articles(session, article) if a % jobs == job]
        for article_pk in todo:
            with sessions.write() as session:
                done = rebuild_article(session, article_pk, now=datetime.now(UTC))
                session.commit()
            total.add(done)
            progress(1, done)
    finally:
        engine.dispose()
    return total


def _in_child(target: Callable[..., Report], args: tuple[Any, ...], queue: Any) -> None:
    def progress(step: int, done: Report) -> None:
        queue.put(("progress", step, done))

    try:
        queue.put(("done", 0, target(*args, progress)))
    except BaseException as exc:  # reported to the parent, which exits 2
        queue.put(("error", 0, f"{exc.__class__.__name__}: {exc}"))
        raise


def run_jobs(
    target: Callable[..., R],
    args_of: Callable[[int], tuple[Any, ...]],
    jobs: int,
    total: R,
    bar: "tqdm[Any]",
    *,
    rate: Callable[[R], int],
    scale: float = 1.0,
) -> None:
    """Run target(*args_of(k), progress) for k < jobs (in this process when jobs is 1),
    adding what they report to `total` and advancing `bar` by scale × each step."""
    start = time.monotonic()

    def progress(step: int, done: R) -> None:
        total.add(done)
        bar.update(step * scale)
        elapsed = max(time.monotonic() - start, 1e-6)
        bar.set_postfix_str(f"{rate(total) / elapsed:,.0f} revisions/s", refresh=False)

    if jobs == 1:
        target(*args_of(0), progress)
        return
    # fork where there is one: a job starts in milliseconds instead of importing the
    # app again (about a second each); nothing that must not be shared is open yet.
    context: ForkContext | SpawnContext = (
        multiprocessing.get_context("fork")
        if "fork" in multiprocessing.get_all_start_methods()
        else multiprocessing.get_context("spawn")
    )
    queue = context.Queue()
    children = [
        context.Process(target=_in_child, args=(target, args_of(k), queue), daemon=True)
        for k in range(jobs)
    ]
    for child in children:
        child.start()
    finished = 0
    errors = []
    while finished < jobs:
        try:
            kind, step, payload = queue.get(timeout=1.0)
        except Empty:
            if all(not c.is_alive() for c in children):
                errors.append("a job process ended without reporting")
                break
            continue
        if kind == "progress":
            progress(step, payload)
        elif kind == "error":
            errors.append(payload)
            finished += 1
        else:
            finished += 1
    for child in children:
        child.join()
    if errors:
        raise RuntimeError("; ".join(errors))


def progress_bar(total: float, unit: str, scale: bool) -> "tqdm[Any]":
    """A bar on a terminal (standard error); nothing when output is redirected."""
    return tqdm(
        total=total,
        unit=unit,
        unit_scale=scale,
        disable=None if sys.stderr.isatty() else True,
        dynamic_ncols=True,
    )
