"""Command line: python -m app diff OLD_FILE NEW_FILE [--format unified|json|html] [--context N]."""

import argparse
import json
import sys
from pathlib import Path

from app.engine import compare, render_html, render_unified


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    diff = sub.add_parser("diff", help="diff two text files without a server")
    diff.add_argument("old", type=Path)
    diff.add_argument("new", type=Path)
    diff.add_argument("--format", choices=("unified", "json", "html"), default="unified")
    diff.add_argument("--context", type=int, default=None, help="unchanged blocks around changes")
    args = parser.parse_args(argv)
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


if __name__ == "__main__":
    sys.exit(main())
