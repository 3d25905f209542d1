"""python -m app import and python -m app rebuild, against real databases."""

import fcntl
import json
import os
import pty
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path
from select import select as wait_readable

import pytest
from sqlalchemy import delete, func, select, update

from app import batch
from app.__main__ import main
from app.db import create_db_engine, create_sessions
from app.engine import ENGINE_VERSION
from app.models import Article, Change, ChangeKind, Revision
from app.services.bulk import ImportReport
from scripts.corpus_ndjson import lines as corpus_lines
from scripts.databases import fresh_database
from tests.conftest import CORPUS_DIR, shared_file


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    """Two copies of every corpus history, copies interleaved: ~1,000 lines."""
    corpus = shared_file(CORPUS_DIR / "digitalgov-news.jsonl", "CORPUS_DIR")
    path = tmp_path / "archive.ndjson"
    with path.open("w", encoding="utf-8") as out:
        for line in corpus_lines(corpus, copies=2):
            out.write(json.dumps(line) + "\n")
    return path


def stored(url: str) -> dict[str, list[str | None]]:
    """Per article, the source revision ids of its revisions in revision order."""
    engine = create_db_engine(url)
    try:
        with create_sessions(engine).read() as session:
            rows = session.execute(
                select(Article.external_id, Revision.revision_no, Revision.source_revision_id)
                .join(Revision, Revision.article_id == Article.id)
                .order_by(Article.external_id, Revision.revision_no)
            ).all()
    finally:
        engine.dispose()
    out: dict[str, list[str | None]] = {}
    for article, number, source in rows:
        assert number == len(out.get(article, [])) + 1  # no gaps, no duplicates
        out.setdefault(article, []).append(source)
    return out


def test_import_in_two_processes_then_again(archive: Path, own_database_url: str) -> None:
    command = [sys.executable, "-m", "app", "import", str(archive), "--jobs", "2"]
    first = subprocess.run(
        [*command, "--database-url", own_database_url], capture_output=True, text=True
    )
    assert first.returncode == 0, first.stderr
    assert first.stderr == ""  # no progress bar when not on a terminal
    created = int(first.stdout.split(" revisions created")[0].split()[-1].replace(",", ""))
    kept = stored(own_database_url)
    assert sum(len(v) for v in kept.values()) == created > 500
    # Each article's revisions are in file order: its stored sources are a subsequence.
    order: dict[str, list[str | None]] = {}
    file_lines = archive.read_text(encoding="utf-8").splitlines()
    for line in file_lines:
        data = json.loads(line)
        order.setdefault(data["article_id"], []).append(data["source_revision_id"])
    for article, sources in kept.items():
        positions = [order[article].index(s) for s in sources]
        assert positions == sorted(positions), article
    again = subprocess.run(
        [*command, "--database-url", own_database_url], capture_output=True, text=True
    )
    assert again.returncode == 0, again.stderr
    assert f"0 revisions created, 0 unchanged, {len(file_lines):,} skipped" in again.stdout
    assert stored(own_database_url) == kept


def test_a_run_named_past_the_column_width_resumes(
    tmp_path: Path, own_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run is named by the file's absolute path unless --run says otherwise; a path (or
    name) longer than the cursor column's 300 characters failed on PostgreSQL."""
    path = tmp_path / "long.ndjson"
    path.write_text('{"article_id": "a", "text": "One."}\n', encoding="utf-8")
    command = ["import", str(path), "--database-url", own_database_url, "--run", "r" * 1000]
    assert main(command) == 0
    assert "1 revisions created" in capsys.readouterr().out
    assert main(command) == 0
    assert "0 revisions created, 0 unchanged, 1 skipped" in capsys.readouterr().out


@pytest.mark.parametrize("jobs", [1, 2])
def test_bad_lines_are_listed_once_and_exit_1(
    tmp_path: Path, own_database_url: str, capsys: pytest.CaptureFixture[str], jobs: int
) -> None:
    """A line whose article cannot be read is reported by one job only."""
    path = tmp_path / "mixed.ndjson"
    path.write_text(
        '{"article_id": "a", "text": "One."}\n{"article_id": "a"}\n\n'
        '{"article_id": "a", "text": "One. Two."}\n',
        encoding="utf-8",
    )
    command = ["import", str(path), "--jobs", str(jobs)]
    code = main([*command, "--database-url", own_database_url])
    out = capsys.readouterr().out
    assert code == 1
    assert (
        "2 revisions created, 0 unchanged, 0 skipped (applied by an earlier run), 1 failed" in out
    )
    assert "line 2: body: Value error, send exactly one of 'text', 'html' or 'markdown'" in out


def test_import_of_a_missing_file_or_database_is_trouble(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", str(tmp_path / "none.ndjson")]) == 2
    path = tmp_path / "one.ndjson"
    path.write_text('{"article_id": "a", "text": "One."}\n', encoding="utf-8")
    unmigrated = f"sqlite:///{tmp_path / 'empty.db'}"
    assert main(["import", str(path), "--database-url", unmigrated]) == 2
    assert "is it migrated?" in capsys.readouterr().err


@pytest.mark.parametrize("jobs", ["0", "65", "999999", "two"])
def test_jobs_past_the_bound_are_refused_before_anything_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, jobs: str
) -> None:
    """--jobs 999999 forked processes until the machine ran out of memory."""

    def started(*_: object, **__: object) -> None:
        pytest.fail("jobs were started")

    monkeypatch.setattr("app.__main__.run_jobs", started)
    path = tmp_path / "one.ndjson"
    path.write_text('{"article_id": "a", "text": "One."}\n', encoding="utf-8")
    for command in (["import", str(path)], ["rebuild"]):
        with pytest.raises(SystemExit) as exited:
            main([*command, "--jobs", jobs])
        assert exited.value.code == 2
        assert "--jobs: must be" in capsys.readouterr().err


def test_rebuild_of_an_unknown_article_is_trouble(
    own_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A mistyped id said "Rebuilt 0 articles" and exited 0."""
    assert main(["rebuild", "--article", "nope", "--database-url", own_database_url]) == 2
    assert "No article with id 'nope'" in capsys.readouterr().err


def test_rebuild_recomputes_records_of_older_engines(
    archive: Path, own_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", str(archive), "--database-url", own_database_url]) == 0
    engine = create_db_engine(own_database_url)
    sessions = create_sessions(engine)
    with sessions.write() as session:
        change = session.scalars(
            select(Change).where(Change.kinds.is_not(None)).order_by(Change.id).limit(1)
        ).one()
        truth = (list(change.kinds), change.significance, change.record)
        # As an older engine might have left it: other kinds, significance, kind rows.
        session.execute(update(Change).values(engine_version="0"))
        change.kinds, change.significance = ["title_changed"], 0.01
        session.execute(delete(ChangeKind).where(ChangeKind.change_id == change.id))
        session.add(
            ChangeKind(change_id=change.id, kind="title_changed", received_at=change.received_at)
        )
        # Another article's third revision: stale provenance, and its record lost.
        third = session.scalars(
            select(Revision)
            .where(Revision.revision_no == 3, Revision.article_id != change.article_id)
            .order_by(Revision.id)
            .limit(1)
        ).one()
        lost = session.scalars(select(Change).where(Change.revision_id == third.id)).one()
        lost_truth = (lost.from_revision_no, list(lost.kinds), lost.significance, lost.record)
        provenance = list(third.provenance)
        third.provenance = [[0, 0] for _ in provenance]
        session.delete(lost)
        session.commit()
        changed_id = change.id
    capsys.readouterr()
    assert main(["rebuild", "--jobs", "2", "--database-url", own_database_url]) == 0
    out = capsys.readouterr().out
    assert "Rebuilt 80 articles" in out
    assert "2 with other kinds or significance now" in out  # the lost record was repaired
    with sessions.read() as session:
        assert session.get(Revision, third.id).provenance == provenance  # type: ignore[union-attr]
        found = session.scalars(select(Change).where(Change.revision_id == third.id)).one()
        assert (found.from_revision_no, found.kinds, found.significance, found.record) == (
            lost_truth
        )
        assert found.engine_version == ENGINE_VERSION
        found_kinds = session.scalars(
            select(ChangeKind.kind)
            .where(ChangeKind.change_id == found.id)
            .order_by(ChangeKind.kind)
        ).all()
        assert list(found_kinds) == sorted(lost_truth[1])
        fixed = session.get(Change, changed_id)
        assert fixed is not None
        assert (fixed.kinds, fixed.significance, fixed.record) == truth
        assert fixed.engine_version == ENGINE_VERSION
        rows = session.scalars(
            select(ChangeKind.kind)
            .where(ChangeKind.change_id == changed_id)
            .order_by(ChangeKind.kind)
        ).all()
        assert list(rows) == sorted(truth[0])
        stale = session.scalar(select(Change.id).where(Change.engine_version != ENGINE_VERSION))
        assert stale is None
    engine.dispose()
    assert main(["rebuild", "--database-url", own_database_url]) == 0
    assert "Rebuilt 0 articles" in capsys.readouterr().out


def test_an_import_killed_midway_resumes_without_duplicates(
    archive: Path, own_database_url: str, tmp_path: Path
) -> None:
    """SIGKILL the import once some batches are in, run it again: every article ends up
    with exactly what one uninterrupted import stores."""
    command = [sys.executable, "-m", "app", "import", str(archive)]
    command += ["--database-url", own_database_url]
    first = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    engine = create_db_engine(own_database_url)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and first.poll() is None:
            with engine.connect() as conn:
                if conn.execute(select(func.count()).select_from(Revision)).scalar_one():
                    break
            time.sleep(0.02)
        first.send_signal(signal.SIGKILL)
        first.wait()
    finally:
        engine.dispose()
    partial = sum(len(v) for v in stored(own_database_url).values())
    again = subprocess.run(command, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    with fresh_database(own_database_url, tmp_path) as clean_url:
        clean = subprocess.run(
            [sys.executable, "-m", "app", "import", str(archive), "--database-url", clean_url],
            capture_output=True,
            text=True,
        )
        assert clean.returncode == 0, clean.stderr
        expected = stored(clean_url)
    assert stored(own_database_url) == expected
    assert 0 < partial < sum(len(v) for v in expected.values())  # it was killed midway


def test_a_terminal_gets_a_progress_bar(tmp_path: Path, own_database_url: str) -> None:
    """On a terminal (a pseudo-terminal here, 100 columns) the import draws a bar with
    bytes, ETA and revisions/s on standard error; the summary stays on standard output."""
    path = tmp_path / "few.ndjson"
    lines = [{"article_id": "bar", "text": f"Paragraph {k} of a growing story."} for k in range(5)]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    command = [sys.executable, "-m", "app", "import", str(path)]
    process = subprocess.Popen(
        [*command, "--database-url", own_database_url], stderr=terminal, stdout=subprocess.PIPE
    )
    os.close(terminal)
    drawn = b""
    while True:
        ready, _, _ = wait_readable([controller], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the other end closed
                break
            if not chunk:
                break
            drawn += chunk
        elif process.poll() is not None:
            break
    os.close(controller)
    summary = process.communicate(timeout=30)[0].decode()
    assert process.returncode == 0
    assert "100%|" in drawn.decode()
    assert "revisions/s" in drawn.decode()
    assert "5 revisions created" in summary


def test_a_line_over_the_body_limit_fails_alone(
    tmp_path: Path,
    own_database_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Read in bounded pieces: a line longer than MAX_BODY_BYTES is dropped as it streams."""
    monkeypatch.setenv("MAX_BODY_BYTES", "4096")
    big = json.dumps({"article_id": "big", "text": "word " * 100_000})
    path = tmp_path / "big.ndjson"
    path.write_text(
        f'{{"article_id": "s", "text": "One."}}\n{big}\n{{"article_id": "s", "text": "Two."}}',
        encoding="utf-8",
    )
    assert main(["import", str(path), "--database-url", own_database_url]) == 1
    out = capsys.readouterr().out
    assert "2 revisions created" in out
    assert "line 2: longer than 4096 bytes (MAX_BODY_BYTES)" in out


def test_an_import_commits_once_its_lines_hold_batch_bytes(
    tmp_path: Path, own_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Memory stays bounded by bytes, not only by lines: lines of about 2 KB with a 5 KB
    bound go three to a batch, the third passing it (the line bound alone would take
    all ten at once)."""
    monkeypatch.setattr(batch, "BATCH_BYTES", 5000)
    path = tmp_path / "wide.ndjson"
    path.write_text(
        "".join(
            json.dumps({"article_id": f"w{k}", "text": f"Line {k}. " + "word " * 400}) + "\n"
            for k in range(10)
        ),
        encoding="utf-8",
    )
    batches: list[int] = []

    def progress(_read: int, done: batch.Report) -> None:
        assert isinstance(done, ImportReport)
        batches.append(done.created)

    job = batch.ImportJob(path, own_database_url, run="wide", job=0, jobs=1)
    report = batch.import_job(job, progress)
    assert report.created == 10
    assert batches == [3, 3, 3, 1]  # the last: what the file's end left over
