"""Command line.

    python -m app diff OLD NEW [--format unified|json|html] [--input-format auto|text|html|markdown]
                               [--context N]      (OLD or NEW may be - for standard input)
    python -m app keys create --scope read|write|admin --name NAME [--database-url URL]
    python -m app keys list [--database-url URL]
    python -m app keys revoke ID [--database-url URL]
    python -m app import FILE.ndjson [--jobs N] [--run NAME] [--database-url URL]
    python -m app rebuild [--article ID] [--jobs N] [--database-url URL]
    python -m app worker [--concurrency N] [--database-url URL]

`keys create` prints the new key once, alone on the last line of its output.
`import` and `rebuild` show a progress bar on a terminal and resume where an
interrupted run stopped; they exit 0 when all went in, 1 when some lines failed,
2 on trouble. `worker` sends subscribers their events until SIGTERM or Ctrl-C,
then finishes the requests in flight and gives back what it had claimed.
"""

import argparse
import json
import signal
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from tqdm import tqdm

from app.batch import ImportJob, R, import_job, progress_bar, rebuild_job, run_jobs
from app.db import create_db_engine, create_sessions
from app.engine import (
    ENGINE_VERSION,
    UNIFIED_CONTEXT,
    Block,
    NestingTooDeep,
    compare,
    parse_html,
    parse_markdown,
    parse_text,
    render_unified,
)
from app.errors import AppError
from app.models import ApiKey
from app.observability import configure_logging, ensure_metrics_folder
from app.services import keys
from app.services.bulk import ImportReport
from app.services.health import check_database, schema_head
from app.services.rebuild import RebuildReport, stale_articles
from app.settings import MAX_DELIVERY_CONCURRENCY, Settings
from app.web.templating import render_fragment
from app.worker import Worker

_FORMAT_BY_SUFFIX = {".html": "html", ".htm": "html", ".md": "markdown", ".markdown": "markdown"}
_PARSERS: dict[str, Callable[[str], tuple[Block, ...]]] = {
    "text": parse_text,
    "html": parse_html,
    "markdown": parse_markdown,
}


def _read(name: str, input_format: str) -> tuple[Block, ...]:
    text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
    if input_format == "auto":
        input_format = _FORMAT_BY_SUFFIX.get(Path(name).suffix.lower(), "text")
    return _PARSERS[input_format](text)


def _diff(args: argparse.Namespace) -> int:
    """Exit like diff: 0 when nothing changed, 1 when something did, 2 on trouble."""
    if args.old == "-" and args.new == "-":
        print("error: only one of OLD and NEW can be '-' (standard input)", file=sys.stderr)
        return 2
    sides = []
    for name in (args.old, args.new):
        try:
            sides.append(_read(name, args.input_format))
        except UnicodeDecodeError as exc:
            where = "standard input" if name == "-" else name
            print(
                f"error: {where} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at "
                f"offset {exc.start}); convert it first, e.g. with iconv -t UTF-8",
                file=sys.stderr,
            )
            return 2
        except (OSError, NestingTooDeep) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    old, new = sides
    result = compare(old, new)
    if args.format == "json":
        print(json.dumps(result.to_dict(context=args.context), ensure_ascii=False, indent=2))
    elif args.format == "html":
        sys.stdout.write(render_fragment(result, context=args.context))
    else:
        context = UNIFIED_CONTEXT if args.context is None else args.context
        sys.stdout.write(
            render_unified(result, context=context, old_label=args.old, new_label=args.new)
        )
    return 1 if any(e.op != "equal" for e in result.entries) else 0


def _print_keys(rows: Sequence[ApiKey]) -> None:
    print(f"{'id':>4}  {'name':<20} {'scope':<6} {'key starts':<14} {'last used (UTC)':<17} state")
    for row in rows:
        used = row.last_used_at.strftime("%Y-%m-%d %H:%M") if row.last_used_at else "never"
        state = "revoked" if row.revoked_at else "live"
        start = row.prefix + "…"
        print(f"{row.id:>4}  {row.name:<20} {row.scope:<6} {start:<14} {used:<17} {state}")


def _keys(args: argparse.Namespace) -> int:
    url = args.database_url or Settings().DATABASE_URL
    engine = create_db_engine(url)
    now = datetime.now(UTC)
    try:
        with create_sessions(engine).write() as session:
            if args.action == "create":
                made = keys.create_key(session, name=args.name, scope=args.scope, now=now)
                session.commit()
                print(f"Created API key {made.key.id} '{made.key.name}' with scope {args.scope}.")
                print("Store it now: it is shown only this once.")
                print(made.secret)
            elif args.action == "revoke":
                row = keys.revoke_key(session, args.id, now=now)
                session.commit()
                print(f"Revoked API key {row.id} '{row.name}'.")
            else:
                _print_keys(keys.list_keys(session))
    except AppError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 2
    except SQLAlchemyError as exc:
        print(
            f"error: the database at DATABASE_URL is unusable ({exc.__class__.__name__}); "
            "is it migrated? run `alembic upgrade head`",
            file=sys.stderr,
        )
        return 2
    finally:
        engine.dispose()
    return 0


# Processes an import or rebuild may run: each holds a database connection, and past the
# machine's cores none adds speed (--jobs 999999 forked until the machine ran out of memory).
MAX_JOBS = 64


def _count(maximum: int | None, minimum: int = 1) -> Callable[[str], int]:
    """An argparse type: a whole number from `minimum` to `maximum` (None: no bound)."""

    def count(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, not {value!r}") from None
        if number < minimum or (maximum is not None and number > maximum):
            bound = f"{minimum} or more" if maximum is None else f"from {minimum} to {maximum}"
            raise argparse.ArgumentTypeError(f"must be {bound}, not {number}")
        return number

    return count


def _unusable(exc: Exception) -> int:
    print(
        f"error: the database at DATABASE_URL is unusable ({exc.__class__.__name__}); "
        "is it migrated? run `alembic upgrade head`",
        file=sys.stderr,
    )
    return 2


def _run_jobs(
    target: Callable[..., R],
    args_of: Callable[[int], tuple[Any, ...]],
    jobs: int,
    report: R,
    *,
    bar: "tqdm[Any]",
    rate: Callable[[R], int],
    scale: float = 1.0,
) -> int | None:
    """batch.run_jobs under its progress bar: None when it ran, else the exit code."""
    with bar:
        try:
            run_jobs(target, args_of, jobs, report, bar, rate=rate, scale=scale)
        except SQLAlchemyError as exc:
            return _unusable(exc)
        except AppError as exc:
            print(f"error: {exc.detail}", file=sys.stderr)
            return 2
        except (OSError, RuntimeError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    return None


def _not_ready(url: str) -> str | None:
    """Why the database cannot take an import (unreachable, not migrated), or None."""
    engine = create_db_engine(url)
    try:
        with create_sessions(engine).read() as session:
            ready, state, detail = check_database(session, schema_head())
    finally:
        engine.dispose()
    if ready:
        return None
    hint = detail or "is it migrated? run `alembic upgrade head`"
    return f"{state}: {hint}"


def _import(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.is_file():
        print(f"error: {path} is not a file", file=sys.stderr)
        return 2
    url = args.database_url or Settings().DATABASE_URL
    problem = _not_ready(url)
    if problem:
        print(f"error: the database at DATABASE_URL is {problem}", file=sys.stderr)
        return 2
    run = args.run or f"file:{path.resolve()}"
    report = ImportReport()
    start = time.monotonic()
    trouble = _run_jobs(
        import_job,
        lambda k: (ImportJob(path, url, run, k, args.jobs),),
        args.jobs,
        report,
        bar=progress_bar(path.stat().st_size, "B", scale=True),
        rate=lambda r: r.created,
        scale=1 / args.jobs,  # every job reads the whole file
    )
    if trouble is not None:
        return trouble
    elapsed = time.monotonic() - start
    print(
        f"{path}: {report.created:,} revisions created, {report.unchanged:,} unchanged, "
        f"{report.skipped:,} skipped (applied by an earlier run), {report.failed:,} failed "
        f"in {elapsed:.1f} s ({report.created / max(elapsed, 1e-6):,.0f} revisions/s)"
    )
    for line, detail in report.failures[:20]:
        print(f"line {line}: {detail}")
    if report.failed > 20:
        print(f"… and {report.failed - 20:,} more failed lines")
    return 1 if report.failed else 0


def _rebuild(args: argparse.Namespace) -> int:
    url = args.database_url or Settings().DATABASE_URL
    engine = create_db_engine(url)
    try:
        with create_sessions(engine).read() as session:
            todo = len(stale_articles(session, args.article))
    except SQLAlchemyError as exc:
        return _unusable(exc)
    except AppError as exc:  # no such article
        print(f"error: {exc.detail}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    report = RebuildReport()
    start = time.monotonic()
    trouble = _run_jobs(
        rebuild_job,
        lambda k: (url, args.article, k, args.jobs),
        args.jobs,
        report,
        bar=progress_bar(todo, "article", scale=False),
        rate=lambda r: r.records,
    )
    if trouble is not None:
        return trouble
    elapsed = time.monotonic() - start
    print(
        f"Rebuilt {report.articles:,} articles: {report.records:,} change records recomputed "
        f"by engine {ENGINE_VERSION}, {report.moved:,} with other kinds or significance "
        f"now, in {elapsed:.1f} s ({report.records / max(elapsed, 1e-6):,.0f} revisions/s)"
    )
    for example in report.examples:
        print(f"  {example}")
    return 0


def _worker(args: argparse.Namespace) -> int:
    overrides: dict[str, Any] = {}
    if args.database_url:
        overrides["DATABASE_URL"] = args.database_url
    if args.concurrency:
        overrides["DELIVERY_CONCURRENCY"] = args.concurrency
    settings = Settings(**overrides)
    problem = _not_ready(settings.DATABASE_URL)
    if problem:
        print(f"error: the database is not ready ({problem})", file=sys.stderr)
        return 2
    configure_logging(settings.LOG_FORMAT, settings.LOG_LEVEL)
    ensure_metrics_folder()
    engine = create_db_engine(settings.DATABASE_URL)
    worker = Worker(create_sessions(engine), settings)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: worker.stop())
    try:
        worker.run()
    finally:
        engine.dispose()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m app",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    diff = sub.add_parser(
        "diff",
        help="diff two files without a server; exit 0: same, 1: different, 2: trouble",
    )
    diff.add_argument("old", help="a file, or - for standard input")
    diff.add_argument("new", help="a file, or - for standard input")
    diff.add_argument("--format", choices=("unified", "json", "html"), default="unified")
    diff.add_argument(
        "--input-format",
        choices=("auto", "text", "html", "markdown"),
        default="auto",
        help="how to read the files; auto: .html/.htm as HTML, .md as Markdown, else text",
    )
    diff.add_argument(
        "--context",
        type=_count(None, minimum=0),
        default=None,
        help=f"unchanged blocks around each change (unified: {UNIFIED_CONTEXT}; else all)",
    )
    diff.set_defaults(handler=_diff)

    keys_parser = sub.add_parser("keys", help="create, list and revoke API keys")
    database = argparse.ArgumentParser(add_help=False)
    database.add_argument("--database-url", help="default: DATABASE_URL from the environment")
    actions = keys_parser.add_subparsers(dest="action", required=True)
    create = actions.add_parser(
        "create", parents=[database], help="make a key; it is printed once, on the last line"
    )
    create.add_argument("--scope", choices=keys.SCOPES, required=True)
    create.add_argument("--name", required=True, help="who or what uses it, e.g. cms")
    actions.add_parser("list", parents=[database], help="every key, without the keys themselves")
    revoke = actions.add_parser("revoke", parents=[database], help="revoke a key by its id")
    revoke.add_argument("id", type=int)
    keys_parser.set_defaults(handler=_keys)

    jobs = argparse.ArgumentParser(add_help=False)
    jobs.add_argument(
        "--jobs",
        type=_count(MAX_JOBS),
        default=1,
        help=f"processes, each owning a share of the articles (at most {MAX_JOBS})",
    )
    importer = sub.add_parser(
        "import",
        parents=[database, jobs],
        help="backfill revisions from NDJSON, one per line, as POST /v1/import takes them",
    )
    importer.add_argument("file", help="NDJSON: one revision object with its article_id a line")
    importer.add_argument(
        "--run",
        help="name of this import, for resuming it (default: the file's absolute path)",
    )
    importer.set_defaults(handler=_import)
    rebuild = sub.add_parser(
        "rebuild",
        parents=[database, jobs],
        help="recompute change records and provenance made by an older engine version",
    )
    rebuild.add_argument("--article", help="only this article (its CMS id)")
    rebuild.set_defaults(handler=_rebuild)
    worker = sub.add_parser(
        "worker",
        parents=[database],
        help="send subscribers their events (settings: DELIVERY_* in the environment)",
    )
    worker.add_argument(
        "--concurrency",
        type=_count(MAX_DELIVERY_CONCURRENCY),
        help="requests at once (default DELIVERY_CONCURRENCY)",
    )
    worker.set_defaults(handler=_worker)

    args = parser.parse_args(argv)
    code: int = args.handler(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
