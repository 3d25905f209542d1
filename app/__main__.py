"""Command line.

    python -m app diff OLD_FILE NEW_FILE [--format unified|json|html] [--context N]
    python -m app keys create --scope read|write|admin --name NAME [--database-url URL]
    python -m app keys list [--database-url URL]
    python -m app keys revoke ID [--database-url URL]

`keys create` prints the new key once, alone on the last line of its output.
"""

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from app.db import create_db_engine, create_sessions
from app.engine import compare, render_html, render_unified
from app.errors import AppError
from app.models import ApiKey
from app.services import keys
from app.settings import Settings


def _diff(args: argparse.Namespace) -> int:
    try:
        old, new = args.old.read_text(encoding="utf-8"), args.new.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    result = compare(old, new)
    if args.format == "json":
        print(json.dumps(result.to_dict(context=args.context), ensure_ascii=False, indent=2))
    elif args.format == "html":
        sys.stdout.write(render_html(result, context=args.context))
    else:
        sys.stdout.write(
            render_unified(
                result, context=args.context, old_label=str(args.old), new_label=str(args.new)
            )
        )
    return 0


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m app",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    diff = sub.add_parser("diff", help="diff two text files without a server")
    diff.add_argument("old", type=Path)
    diff.add_argument("new", type=Path)
    diff.add_argument("--format", choices=("unified", "json", "html"), default="unified")
    diff.add_argument("--context", type=int, default=None, help="unchanged blocks around changes")
    diff.set_defaults(run=_diff)

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
    keys_parser.set_defaults(run=_keys)

    args = parser.parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
