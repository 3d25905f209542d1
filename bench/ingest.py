"""Bulk import speed against its anchor, side by side in one run (issue 12).

Real corpus histories as plain text (about 6 KB a revision), replicated under
distinct article ids, imported with everything computed (blocks, provenance,
change records) through services.bulk, as `python -m app import` does; the
anchor is PostgreSQL's raw `COPY` of the same texts into a bare table with a
primary key. Each runs in a fresh database of its own, dropped afterwards.
PostgreSQL comes from BENCH_DATABASE_URL (default: the local server).
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from scripts.corpus_ndjson import lines as corpus_lines
from scripts.databases import fresh_database

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
COPIES = 10  # ~2,800 revisions
# (goal on revisions/s, goal on the ratio to raw COPY)
GOALS = {"import-postgresql": (1000.0, 0.15), "import-postgresql-j2": (1000.0, 0.15)}


def _database(url: str) -> AbstractContextManager[str]:
    """A fresh, migrated database on the server of `url` (a file for SQLite)."""
    return fresh_database(url, prefix="bench")


def _command(args: list[str], counted: str) -> tuple[float, int]:
    """Run `python -m app ARGS`; the seconds and the count its summary line reports
    (the command's own timing: interpreter start-up excluded)."""
    done = subprocess.run(
        [sys.executable, "-m", "app", *args], capture_output=True, text=True, check=True, cwd=ROOT
    )
    found = re.search(rf"([\d,]+) {counted}.* in ([\d.]+) s", done.stdout)
    assert found, done.stdout + done.stderr
    return float(found.group(2)), int(found.group(1).replace(",", ""))


def _import(url: str, path: Path, jobs: int) -> tuple[float, int]:
    """Seconds and revisions created by `python -m app import` with `jobs` processes."""
    args = ["import", str(path), "--jobs", str(jobs), "--database-url", url]
    return _command(args, "revisions created")


def _rebuild(url: str) -> tuple[float, int]:
    """Seconds and records of `python -m app rebuild` after marking every record as made
    by an older engine (what an engine upgrade leaves)."""
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as conn:
        conn.execute("UPDATE change SET engine_version = '0'")
    return _command(["rebuild", "--database-url", url], "change records recomputed")


def _copy(url: str, rows: list[dict[str, Any]]) -> float:
    """Seconds for a raw COPY of the same texts into a bare table with a primary key."""
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as conn:
        conn.execute("CREATE TABLE bare (id bigserial PRIMARY KEY, article text, body text)")
        start = time.perf_counter()
        with conn.cursor().copy("COPY bare (article, body) FROM STDIN") as copy:
            for row in rows:
                copy.write_row((row["article_id"], row["text"]))
        conn.commit()
        return time.perf_counter() - start


def histories(corpus: Path) -> list[list[str]]:
    """Each corpus history as the texts of its versions, repeats of the one before left
    out (front-matter edits): every version is a revision to store."""
    out: dict[str, list[str]] = {}
    for row in corpus_lines(corpus, text=True):
        versions = out.setdefault(row["article_id"], [])
        if not versions or versions[-1] != row["text"]:
            versions.append(row["text"])
    return list(out.values())


def run(corpus: Path) -> tuple[bool, dict[str, Any]]:
    """Print the import table; (every goal met, the figures)."""
    rows = [
        {"article_id": f"{k}-{copy}", "text": text}
        for copy in range(COPIES)
        for k, versions in enumerate(histories(corpus))
        for text in versions
    ]
    figures: dict[str, Any] = {}
    header = f"{'import':<20}{'revisions':>10}{'s':>8}{'rev/s':>9}{'COPY rows/s':>13}"
    print(f"\n{header}{'ratio':>8}  goals")
    all_met = True
    postgres = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    runs = (
        ("import-sqlite", "sqlite://", 1),
        ("import-postgresql", postgres, 1),
        ("import-postgresql-j2", postgres, 2),
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "archive.ndjson"
        path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
        for name, url, jobs in runs:
            rebuilt = None
            try:
                with _database(url) as own:
                    elapsed, created = _import(own, path, jobs)
                    copy = _copy(own, rows) if "postgresql" in name else None
                    if name == "import-postgresql":
                        rebuilt = _rebuild(own)
            except (OperationalError, psycopg.OperationalError) as exc:  # no server: say so
                print(f"{name:<20}unavailable: {exc.__class__.__name__}")
                continue
            all_met &= _report(name, elapsed, created, copy, len(rows), figures)
            if rebuilt is not None:
                took, records = rebuilt
                rate, goal = records / took, created / elapsed
                met = rate >= goal
                all_met &= met
                print(
                    f"{'rebuild-postgresql':<20}{records:>10,}{took:>8.1f}{rate:>9,.0f}{'':>21}"
                    f"  ≥ import's {goal:,.0f} rev/s {'ok' if met else 'MISSED'}"
                )
                figures["rebuild-postgresql"] = {
                    "records": records,
                    "seconds": round(took, 2),
                    "records_per_s": round(rate, 1),
                }
    print(
        f"lines: {len(rows):,} corpus revisions as text ({COPIES} copies of each history); "
        "-j2: --jobs 2"
    )
    return all_met, figures


def _report(
    name: str,
    elapsed: float,
    created: int,
    copy: float | None,
    lines: int,
    figures: dict[str, Any],
) -> bool:
    """Print one row of the import table and record it; whether its goals were met."""
    all_met = True
    rate = created / elapsed
    copy_rate = lines / copy if copy else None
    ratio = rate / copy_rate if copy_rate else None
    goals = []
    rate_goal, ratio_goal = GOALS.get(name, (None, None))
    if rate_goal is not None:
        met = rate >= rate_goal
        all_met &= met
        goals.append(f"≥{rate_goal:g} rev/s {'ok' if met else 'MISSED'}")
    if ratio_goal is not None and ratio is not None:
        met = ratio >= ratio_goal
        all_met &= met
        goals.append(f"≥{ratio_goal:g}×COPY {'ok' if met else 'MISSED'}")
    copy_text = f"{copy_rate:>13,.0f}" if copy_rate else f"{'':>13}"
    ratio_text = f"{ratio:>8.3f}" if ratio else f"{'':>8}"
    print(
        f"{name:<20}{created:>10,}{elapsed:>8.1f}{rate:>9,.0f}{copy_text}{ratio_text}"
        f"  {', '.join(goals)}"
    )
    figures[name] = {
        "lines": lines,
        "revisions": created,
        "seconds": round(elapsed, 2),
        "revisions_per_s": round(rate, 1),
        "copy_rows_per_s": round(copy_rate, 1) if copy_rate else None,
        "ratio_to_copy": round(ratio, 4) if ratio else None,
    }
    return all_met
