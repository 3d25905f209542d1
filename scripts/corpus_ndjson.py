"""Write ../shared/corpus's article histories as NDJSON for `python -m app import`.

    python -m scripts.corpus_ndjson CORPUS.jsonl [--copies N] [--text] > histories.ndjson

Each version becomes a line {"article_id", "markdown", "title", "published_at",
"source_revision_id"} (with --text, "text": its paragraphs as plain text, what
a CMS exporting text sends); with --copies N every history is repeated under N
distinct article ids (to reach 100,000+ revisions), copies interleaved so that
one article's revisions are spread through the file as a live archive's are.
"""

import argparse
import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.engine import parse_markdown


def histories(corpus: Path) -> list[tuple[str, list[dict[str, Any]]]]:
    with corpus.open(encoding="utf-8") as posts:
        return [(f"dg{k:03d}", json.loads(line)["versions"]) for k, line in enumerate(posts)]


def lines(corpus: Path, copies: int = 1, text: bool = False) -> Iterator[dict[str, Any]]:
    """Import lines: for each history and copy, its versions in order."""
    stories = histories(corpus)
    if text:
        plain = {
            body: "\n\n".join(b.text for b in parse_markdown(body))
            for _, versions in stories
            for body in {v["body"] for v in versions}
        }
    for copy in range(copies):
        for article, versions in stories:
            for version in versions:
                body = version["body"]
                yield {
                    "article_id": f"{article}-{copy}" if copies > 1 else article,
                    **({"text": plain[body]} if text else {"markdown": body}),
                    "title": version.get("title"),
                    "published_at": datetime.fromtimestamp(version["author_time"], UTC)
                    .isoformat()
                    .replace("+00:00", "Z"),
                    "source_revision_id": version["commit"],
                }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--text", action="store_true", help="plain text instead of Markdown")
    args = parser.parse_args()
    for line in lines(args.corpus, args.copies, args.text):
        sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
