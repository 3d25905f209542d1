"""Read use cases: articles, revisions, histories, provenance."""

import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app import storage
from app.engine import Kind, block_from_dict
from app.errors import InvalidInput, NotFound
from app.models import Article, Revision
from app.services.pagination import (
    decode_number_cursor,
    decode_time_cursor,
    encode_number_cursor,
    encode_time_cursor,
)

REVISION_NUMBER_RE = re.compile(r"[1-9][0-9]*")


def no_such_article(article_id: str) -> NotFound:
    return NotFound(f"No article with id '{article_id}'; publish a revision to create it.")


def require_article(session: Session, article_id: str) -> Article:
    article = storage.get_article(session, article_id)
    if article is None:
        raise no_such_article(article_id)
    return article


def parse_revision_ref(ref: str, name: str = "revision") -> int | None:
    """'latest' → None; a positive integer in ASCII digits → itself.

    >>> parse_revision_ref("latest"), parse_revision_ref("12")
    (None, 12)
    """
    if ref == "latest":
        return None
    if not REVISION_NUMBER_RE.fullmatch(ref):
        raise InvalidInput(f"{name}: '{ref}' is not a revision number (1, 2, …) or 'latest'")
    return int(ref)


def require_revision(session: Session, article: Article, number: int | None) -> Revision:
    number = article.latest_revision_no if number is None else number
    exists = 0 < number <= article.latest_revision_no  # numbers are gapless: 1..latest
    revision = storage.get_revision(session, article.id, number) if exists else None
    if revision is None:
        raise NotFound(
            f"Article '{article.external_id}' has no revision {number}; "
            f"it has revisions 1 to {article.latest_revision_no}."
        )
    return revision


def revision_view(session: Session, article_id: str, number: int | None) -> Any:
    """A revision with what the API shows of it (see storage.revision_view); a 404
    naming what is missing when there is none."""
    # revision_no is a 32-bit column: a larger number exists nowhere (and would overflow).
    fits = number is None or number < 2**31
    row = storage.revision_view(session, article_id, number) if fits else None
    if row is None:
        require_revision(session, require_article(session, article_id), number)  # raises
    return row


def list_articles(
    session: Session, *, limit: int, cursor: str | None
) -> tuple[Sequence[Article], str | None]:
    rows = storage.list_articles(session, limit + 1, decode_time_cursor(cursor))
    page = rows[:limit]
    more = len(rows) > limit
    return page, encode_time_cursor(page[-1].updated_at, page[-1].id) if more else None


def list_revisions(
    session: Session,
    article: Article,
    *,
    limit: int,
    cursor: str | None,
    newest_first: bool = False,
) -> tuple[list[storage.SummaryRow], str | None]:
    """A page of revision rows (see storage.list_revisions) and the next cursor."""
    bound = decode_number_cursor(cursor)
    rows = storage.list_revisions(session, article.id, bound, limit + 1, newest_first=newest_first)
    page = rows[:limit]
    more = len(rows) > limit
    return page, encode_number_cursor(page[-1].revision_no) if more else None


def original_body(revision: Revision) -> bytes:
    return zlib.decompress(revision.original_body)


@dataclass(frozen=True, slots=True)
class BlockOrigin:
    """Where one block of a revision came from."""

    index: int
    kind: Kind
    text: str
    origin_revision: int  # the revision the block first appeared in
    text_revision: int  # the revision its current text dates from


def blame(revision: Revision) -> list[BlockOrigin]:
    return [
        BlockOrigin(k, block.kind, block.text, origin, text_rev)
        for k, (block, (origin, text_rev)) in enumerate(
            zip(map(block_from_dict, revision.blocks), revision.provenance, strict=True)
        )
    ]
