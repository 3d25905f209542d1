"""All SQL lives here. Functions take a session and never commit."""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    JSON,
    Boolean,
    Integer,
    Text,
    and_,
    bindparam,
    case,
    cast,
    delete,
    exists,
    func,
    insert,
    inspect,
    literal,
    null,
    or_,
    select,
    text,
    true,
    type_coerce,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, aliased, defer

from app.db import Base, UTCDateTime
from app.models import (
    KEY_WIDTH,
    ApiKey,
    Article,
    Change,
    ChangeKind,
    Delivery,
    DeliveryAttempt,
    ImportCursor,
    Receipt,
    Revision,
    Subscription,
)


def _insert_for(dialect: str, table: Any) -> Any:
    """An INSERT with the dialect's ON CONFLICT clauses."""
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def _insert(session: Session, table: Any) -> Any:
    return _insert_for(session.get_bind().dialect.name, table)


# The statements of the hottest paths are built once, with bound parameters: building
# a select and its cache key on every call cost 0.3–0.5 ms a query on PostgreSQL
# (GET diff's two queries: 2.8–3.1 ms p50 built per call, 2.3–2.4 ms prebuilt).
_GET_ARTICLE = select(Article).where(Article.external_id == bindparam("external_id"))


def get_article(session: Session, external_id: str) -> Article | None:
    return session.scalars(_GET_ARTICLE, {"external_id": external_id}).first()


@dataclass(slots=True)
class LockedArticle:
    """An article row locked for the transaction, as ingest advances it (plain data: no
    unit of work; `write_revision` and `save_articles` write the new number, title and url)."""

    id: int
    external_id: str
    latest_revision_no: int
    title: str | None
    url: str | None
    updated_at: datetime


def _locking(statement: Any, table: Any) -> Any:
    """An INSERT of articles made the upsert that creates them on first sight and locks
    them: its no-op update takes each row lock (as SELECT … FOR UPDATE would) and
    returns the rows."""
    statement = statement.on_conflict_do_update(
        index_elements=["external_id"], set_={"external_id": statement.excluded.external_id}
    )
    return statement.returning(*_locked_columns(table))


def _locked_columns(table: Any) -> list[Any]:
    """An article's columns as LockedArticle holds them."""
    return [
        table.c.id,
        table.c.external_id,
        table.c.latest_revision_no,
        table.c.title,
        table.c.url,
        table.c.updated_at,
    ]


class SubscriptionFilter(NamedTuple):
    """What a subscription takes (notifications.matches)."""

    id: int
    article_ids: list[str] | None
    article_prefix: str | None
    kinds: list[str] | None
    min_significance: float | None


def _filters_json(dialect: str) -> Any:
    """Every subscription's filter as one JSON array of arrays (id, article ids, article
    prefix, kinds, least significance), a scalar subquery (NULL or `[]` when there is none)."""
    columns: list[Any] = [
        Subscription.id,
        Subscription.article_ids,
        Subscription.article_prefix,
        Subscription.kinds,
        Subscription.min_significance,
    ]
    if dialect == "postgresql":
        rows = func.json_agg(func.json_build_array(*columns))
    else:
        # SQLite keeps JSON columns as text: json() nests them as JSON, not as strings.
        # Its JSON numbers keep 15 digits: the least significance goes as a 17-digit
        # string, so that it reads back as the very float stored.
        columns[1], columns[3] = func.json(columns[1]), func.json(columns[3])
        exact = func.printf("%!.17g", columns[4])
        columns[4] = case((columns[4].is_(None), null()), else_=exact)
        rows = func.json_group_array(func.json_array(*columns))
    return select(rows).scalar_subquery()


def _filters(dialect: str) -> Any:
    """_filters_json as the column `filters`, read back as JSON."""
    return type_coerce(_filters_json(dialect), JSON()).label("filters")


# Single ingest's lock, built once per dialect (a multi-row VALUES is compiled anew on
# every call, which cost ~0.3 ms an ingest); it also returns every subscription's filter,
# which ingest needs next: one round trip, not two.
_LOCK_ONE = {
    dialect: _locking(
        _insert_for(dialect, Base.metadata.tables["article"]).values(
            external_id=bindparam("lock_external_id"),
            latest_revision_no=0,
            created_at=bindparam("now", type_=UTCDateTime()),
            updated_at=bindparam("now", type_=UTCDateTime()),
        ),
        Base.metadata.tables["article"],
    ).returning(_filters(dialect))
    for dialect in ("postgresql", "sqlite")
}


def _lock_many(dialect: str) -> Any:
    """The upsert locking a batch's articles, their ids given as one array parameter
    (`external_ids`; on SQLite a JSON array), rows taken in the array's order: a
    statement compiled once, where a VALUES list of the batch's rows was compiled anew
    for every batch (0.06 ms a revision of a bulk import)."""
    if dialect == "postgresql":
        ids = (
            func.unnest(bindparam("external_ids", type_=postgresql.ARRAY(Text)))
            .table_valued("external_id", with_ordinality="position")
            .render_derived()
        )
        order = ids.c.position
    else:
        ids = func.json_each(bindparam("external_ids")).table_valued("value", "key")
        ids = ids.alias("ids")
        order = ids.c.key
    now = bindparam("now", type_=UTCDateTime())
    rows = select(ids.c[0], literal(0), now, now).where(true()).order_by(order)
    table = Base.metadata.tables["article"]
    statement = _insert_for(dialect, table).from_select(
        ["external_id", "latest_revision_no", "created_at", "updated_at"], rows
    )
    return _locking(statement, table)


_LOCK_MANY = {dialect: _lock_many(dialect) for dialect in ("postgresql", "sqlite")}


def lock_articles(
    session: Session, external_ids: Sequence[str], now: datetime
) -> dict[str, LockedArticle]:
    """The articles' rows, created on first sight, locked for the rest of the transaction
    in the order given (callers that lock several sort them, so that no two
    transactions wait on each other). One statement."""
    if not external_ids:
        return {}
    dialect = session.get_bind().dialect.name
    ids = list(external_ids) if dialect == "postgresql" else json.dumps(list(external_ids))
    parameters = {"external_ids": ids, "now": now}
    # Core statements go to the connection: the session's ORM layer would add 0.07 ms.
    result = session.connection().execute(_LOCK_MANY[dialect], parameters)
    locked = (LockedArticle(*row) for row in result)
    return {article.external_id: article for article in locked}


def lock_article(
    session: Session, external_id: str, now: datetime
) -> tuple[LockedArticle, list[SubscriptionFilter]]:
    """One article's row, created on first sight, locked for the rest of the transaction;
    and every subscription's filter (paused ones too: their events wait for them), by id.
    One statement."""
    statement = _LOCK_ONE[session.get_bind().dialect.name]
    parameters = {"lock_external_id": external_id, "now": now}
    *article, filters = session.connection().execute(statement, parameters).one()
    return LockedArticle(*article), _listeners(filters)


def _listeners(filters: Sequence[Sequence[Any]] | None) -> list[SubscriptionFilter]:
    return sorted(
        SubscriptionFilter(ident, ids, prefix, kinds, None if least is None else float(least))
        for ident, ids, prefix, kinds, least in filters or ()
    )


def _update_by_id(table_name: str, id_parameter: str, *columns: str) -> Any:
    """UPDATE table_name SET each column = :column WHERE id = :id_parameter, built once."""
    table = Base.metadata.tables[table_name]
    return (
        update(table)
        .where(table.c.id == bindparam(id_parameter))
        .values({column: bindparam(column) for column in columns})
    )


_SAVE_ARTICLE = _update_by_id(
    "article", "article_pk", "latest_revision_no", "title", "url", "updated_at"
)


def save_articles(session: Session, articles: Sequence[LockedArticle]) -> None:
    """Write back what ingest advanced: the latest number, title, url and activity time
    (one statement, executed for each article)."""
    if not articles:
        return
    rows = [_saved(a) for a in articles]
    session.connection().execute(_SAVE_ARTICLE, rows if len(rows) > 1 else rows[0])


def _saved(article: LockedArticle) -> dict[str, Any]:
    """_SAVE_ARTICLE's parameters for an article."""
    return {
        "article_pk": article.id,
        "latest_revision_no": article.latest_revision_no,
        "title": article.title,
        "url": article.url,
        "updated_at": article.updated_at,
    }


def _columns(table_name: str, prefix: str) -> dict[str, Any]:
    """A bound parameter for each column of a table but its id, named prefix + column."""
    table = Base.metadata.tables[table_name]
    return {c.key: bindparam(prefix + c.key, type_=c.type) for c in table.c if c.key != "id"}


def _write_one(with_change: bool) -> Any:
    """PostgreSQL: the article saved, its new revision inserted and (`with_change`) the
    change record with its kind rows, in one statement of writable CTEs; it returns
    the new ids."""
    revision_t, change_t, kind_t = (
        Base.metadata.tables[n] for n in ("revision", "change", "change_kind")
    )
    saved = _SAVE_ARTICLE.cte("saved")
    revision = insert(revision_t).values(_columns("revision", "r_")).returning(revision_t.c.id)
    revision_cte = revision.cte("new_revision")
    if not with_change:
        return select(revision_cte.c.id, null()).add_cte(saved)
    change_values = _columns("change", "c_")
    del change_values["revision_id"]
    change_cte = (
        insert(change_t)
        .from_select(
            ["revision_id", *change_values], select(revision_cte.c.id, *change_values.values())
        )
        .returning(change_t.c.id)
        .cte("new_change")
    )
    kinds = (
        func.unnest(bindparam("kinds", type_=postgresql.ARRAY(Text)))
        .table_valued("kind")
        .render_derived()
    )
    kinds_cte = (
        insert(kind_t)
        .from_select(
            ["change_id", "kind", "received_at"],
            select(change_cte.c.id, kinds.c.kind, change_values["received_at"]).select_from(
                change_cte.join(kinds, true())
            ),
        )
        .cte("new_kinds")
    )
    both = revision_cte.join(change_cte, true())
    return select(revision_cte.c.id, change_cte.c.id).select_from(both).add_cte(saved, kinds_cte)


_WRITE_ONE = {with_change: _write_one(with_change) for with_change in (False, True)}


def write_revision(
    session: Session, article: LockedArticle, revision: Revision, change: Change | None
) -> None:
    """Save the article and store its new revision with its change record and kind rows:
    one statement on PostgreSQL, four on SQLite. The objects get their ids."""
    if session.get_bind().dialect.name != "postgresql":
        save_articles(session, [article])
        add_revisions(session, [(revision, change)])
        return
    parameters = _saved(article) | {"r_" + k: v for k, v in _values(revision).items()}
    if change is not None:
        parameters |= {"c_" + k: v for k, v in _values(change).items() if k != "revision_id"}
        parameters["kinds"] = list(change.kinds)
    statement = _WRITE_ONE[change is not None]
    revision.id, change_id = session.connection().execute(statement, parameters).one()
    if change is not None:
        change.id, change.revision_id = change_id, revision.id


def get_revision(session: Session, article_id: int, revision_no: int) -> Revision | None:
    return session.scalars(
        select(Revision).where(
            Revision.article_id == article_id, Revision.revision_no == revision_no
        )
    ).first()


_HEAVY_DEFERRED = (
    defer(Revision.text),
    defer(Revision.original_body),
    defer(Revision.meta),
    defer(Revision.provenance),
)
_NO_REVISION = 0  # stands for a number no revision has (none is 0 or beyond 32 bits)
_LATEST = Article.latest_revision_no
_TO_NO = func.coalesce(bindparam("to_no", type_=Integer), _LATEST)
_FROM_NO = func.coalesce(
    bindparam("from_no", type_=Integer),
    case((bindparam("from_latest", type_=Boolean), _LATEST), else_=_TO_NO - 1),
)
_DIFF_ENDS = (
    select(Article, Revision)
    .outerjoin(
        Revision,
        and_(Revision.article_id == Article.id, Revision.revision_no.in_([_FROM_NO, _TO_NO])),
    )
    .where(Article.external_id == bindparam("external_id"))
    .options(*_HEAVY_DEFERRED)
)


def diff_ends(
    session: Session, external_id: str, *, from_no: int | None, from_latest: bool, to_no: int | None
) -> tuple[Article | None, dict[int, Revision]]:
    """In one query: an article and the two revisions a diff compares, by number, with
    what a diff needs (blocks, hashes), not their texts, bodies or provenance.

    `to_no` None: the latest; `from_no` None: the latest if `from_latest`, else the one
    before `to`. (None, {}) when the article does not exist; a revision that does not is
    simply absent."""

    def column(number: int | None) -> int | None:  # revision_no is a 32-bit column
        return None if number is None else number if 0 < number < 2**31 else _NO_REVISION

    parameters = {
        "external_id": external_id,
        "to_no": column(to_no),
        "from_no": column(from_no),
        "from_latest": from_latest,
    }
    rows = session.execute(_DIFF_ENDS, parameters).all()
    if not rows:
        return None, {}
    return rows[0][0], {r.revision_no: r for _, r in rows if r is not None}


# What ingest needs of an article's latest revision: what the next diff starts from and
# what a repeat answers with (not its text, nor its body as sent).
_HEAD_COLUMNS = (
    Revision.id,
    Revision.revision_no,
    Revision.content_sha256,
    Revision.title,
    Revision.blocks,
    Revision.provenance,
    Revision.received_at,
    Revision.revert_of,
)
_HEAD_KEYS = [c.key for c in _HEAD_COLUMNS]


def _head_or_namesake(article_id: Any, latest_no: Any) -> Any:
    """The revisions head_and_namesakes reads: the article's revision `latest_no`, and
    those whose text has the hash bound as `sha256`."""
    return and_(
        Revision.article_id == article_id,
        or_(Revision.revision_no == latest_no, Revision.content_sha256 == bindparam("sha256")),
    )


_HEAD_AND_NAMESAKES = (
    select(*_HEAD_COLUMNS)
    .where(_head_or_namesake(bindparam("article_id"), bindparam("latest_no")))
    .order_by(Revision.revision_no)
)


def head_and_namesakes(
    session: Session, article_id: int, latest_no: int, sha256: str
) -> tuple[Revision | None, list[int]]:
    """In one query: revision `latest_no` (a detached Revision holding only _HEAD_COLUMNS),
    and the numbers of the revisions before it whose text has this hash (newest last).
    Plain rows, not ORM entities: a third less time."""
    parameters = {"article_id": article_id, "latest_no": latest_no, "sha256": sha256}
    rows = session.connection().execute(_HEAD_AND_NAMESAKES, parameters)
    return _head_of([row._asdict() for row in rows], article_id, latest_no, sha256)


def _head_of(
    rows: Sequence[dict[str, Any]], article_id: int, latest_no: int, sha256: str
) -> tuple[Revision | None, list[int]]:
    """head_and_namesakes' answer from its rows (_HEAD_COLUMNS by name, by number)."""
    found = next((r for r in rows if r["revision_no"] == latest_no), None)
    head = Revision(article_id=article_id, **found) if found is not None else None
    namesakes = [
        r["revision_no"]
        for r in rows
        if r["content_sha256"] == sha256 and r["revision_no"] < latest_no
    ]
    return head, namesakes


class ForIngest(NamedTuple):
    """What ingest needs before it diffs: the article locked, the subscriptions' filters,
    the latest revision (as head_and_namesakes reads it) and the earlier ones with the
    new text's hash."""

    article: LockedArticle
    listeners: list[SubscriptionFilter]
    head: Revision | None
    namesakes: list[int]


def _lock_with_head(dialect: str) -> Any:
    """_LOCK_ONE's row with the rows of head_and_namesakes joined to it (by its latest
    number): one statement for both.

    On SQLite a write transaction holds the database's write lock from its BEGIN
    IMMEDIATE, so the article row is only read (lock_for_ingest creates it when there
    is none yet), and the upsert is spared on every later revision."""
    if dialect == "postgresql":
        locked = _LOCK_ONE["postgresql"].cte("locked")
    else:
        article = Base.metadata.tables["article"]
        locked = (
            select(*_locked_columns(article), _filters(dialect))
            .where(article.c.external_id == bindparam("lock_external_id"))
            .subquery("locked")
        )
    head = [c.label(f"head_{c.key}") for c in _HEAD_COLUMNS]
    joined = locked.outerjoin(Revision, _head_or_namesake(locked.c.id, locked.c.latest_revision_no))
    return select(locked, *head).select_from(joined).order_by(Revision.revision_no)


_LOCK_WITH_HEAD = {dialect: _lock_with_head(dialect) for dialect in ("postgresql", "sqlite")}


def lock_for_ingest(session: Session, external_id: str, now: datetime, sha256: str) -> ForIngest:
    """lock_article and head_and_namesakes in one statement (two for an article's first
    revision on SQLite).

    On PostgreSQL the join reads the statement's snapshot, taken before the lock was
    granted: if another publish of this article committed while this one waited, the
    locked row already counts its revision but the snapshot does not hold it. Then
    the head is read again, by a statement that sees it."""
    dialect = session.get_bind().dialect.name
    parameters = {"lock_external_id": external_id, "now": now, "sha256": sha256}
    rows = session.connection().execute(_LOCK_WITH_HEAD[dialect], parameters).all()
    if not rows:  # SQLite, first sight of the article
        article, listeners = lock_article(session, external_id, now)
        return ForIngest(article, listeners, None, [])
    split = len(rows[0]) - len(_HEAD_COLUMNS)  # the article's columns, then the head's
    *columns, filters = rows[0][:split]
    article = LockedArticle(*columns)
    found = [
        dict(zip(_HEAD_KEYS, row[split:], strict=True)) for row in rows if row[split] is not None
    ]
    latest = article.latest_revision_no
    head, namesakes = _head_of(found, article.id, latest, sha256)
    if latest and head is None:  # committed by the publish this one waited for
        head, namesakes = head_and_namesakes(session, article.id, latest, sha256)
    return ForIngest(article, _listeners(filters), head, namesakes)


def latest_revisions(session: Session, article_pks: Sequence[int]) -> dict[int, Revision]:
    """Each article's latest revision, by article id (articles without one left out)."""
    if not article_pks:
        return {}
    rows = session.scalars(
        select(Revision)
        .join(
            Article,
            and_(
                Article.id == Revision.article_id,
                Article.latest_revision_no == Revision.revision_no,
            ),
        )
        .where(Article.id.in_(article_pks))
    )
    return {r.article_id: r for r in rows}


def revision_numbers_by_sha(
    session: Session, article_pks: Sequence[int]
) -> dict[int, dict[str, list[int]]]:
    """Per article id, its revision numbers by content hash, ascending."""
    out: dict[int, dict[str, list[int]]] = {pk: {} for pk in article_pks}
    if not article_pks:
        return out
    query = (
        select(Revision.article_id, Revision.content_sha256, Revision.revision_no)
        .where(Revision.article_id.in_(article_pks))
        .order_by(Revision.article_id, Revision.revision_no)
    )
    for pk, sha, number in session.execute(query):
        out[pk].setdefault(sha, []).append(number)
    return out


def fit_key(key: str) -> str:
    """`key` as stored in a column of KEY_WIDTH characters: itself when it fits, else its
    head and a SHA-256 of the whole. Receipt keys and run names join parts each within
    its own limit (a 200-character article id and a 200-character Idempotency-Key, a
    web-hook id of any length, a file's path), and PostgreSQL refused the sum.

    >>> fit_key("idem:a:k"), len(fit_key("x" * 1000)), fit_key("api:" + "k" * 400)[:8]
    ('idem:a:k', 300, 'api:kkkk')
    """
    if len(key) <= KEY_WIDTH:
        return key
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{key[: KEY_WIDTH - len(digest) - 1]}#{digest}"


def import_cursors(session: Session, run: str, article_pks: Sequence[int]) -> dict[int, int]:
    """The last line of import `run` applied to each article (absent: none)."""
    if not article_pks:
        return {}
    query = select(ImportCursor.article_id, ImportCursor.line_no).where(
        ImportCursor.run == fit_key(run), ImportCursor.article_id.in_(article_pks)
    )
    return {pk: int(line) for pk, line in session.execute(query)}


def save_import_cursors(session: Session, run: str, lines: dict[int, int], now: datetime) -> None:
    if not lines:
        return
    run = fit_key(run)
    statement = _insert(session, ImportCursor).values(
        [{"run": run, "article_id": a, "line_no": n, "updated_at": now} for a, n in lines.items()]
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["run", "article_id"],
            set_={"line_no": statement.excluded.line_no, "updated_at": now},
        )
    )


def purge_import_cursors(session: Session, prefix: str, older_than: datetime) -> int:
    """Forget the cursors of runs named `prefix…` last written before `older_than`."""
    result = session.execute(
        delete(ImportCursor).where(
            or_(ImportCursor.updated_at < older_than, ImportCursor.updated_at.is_(None)),
            ImportCursor.run.startswith(prefix),
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def articles_with_engine_other_than(
    session: Session, version: str, external_id: str | None = None
) -> list[int]:
    """Ids of the articles with a change record made by another engine version."""
    # Two ranges rather than "<>", so both are index range scans (ix_change_engine_version).
    other = or_(Change.engine_version < version, Change.engine_version > version)
    query = select(Change.article_id).where(other).distinct()
    if external_id is not None:
        query = query.join(Article, Article.id == Change.article_id).where(
            Article.external_id == external_id
        )
    return sorted(session.scalars(query))


# What a rebuild reads of each revision and of its change record's row (not the record
# itself, which it replaces; nor the texts as stored and as sent).
_HISTORY_REVISION = (
    Revision.id,
    Revision.revision_no,
    Revision.content_sha256,
    Revision.title,
    Revision.url,
    Revision.blocks,
    Revision.provenance,
    Revision.received_at,
    Revision.published_at,
    Revision.revert_of,
)
_HISTORY_CHANGE = (
    Change.id,
    Change.from_revision_no,
    Change.received_at,
    Change.published_at,
    Change.kinds,
    Change.significance,
)
_ARTICLE_HISTORY = (
    select(
        Article.external_id,
        *_HISTORY_REVISION,
        *(column.label(f"change_{column.key}") for column in _HISTORY_CHANGE),
    )
    .join(Revision, Revision.article_id == Article.id)
    .outerjoin(Change, Change.revision_id == Revision.id)
    .where(Article.id == bindparam("article_pk"))
    .order_by(Revision.revision_no)
    .with_for_update(of=Article)
)


def lock_article_history(
    session: Session, article_pk: int
) -> tuple[str, list[tuple[Revision, Change | None]]] | None:
    """In one query: lock an article's row, and read its revisions in order each with its
    change record's row, as detached objects holding _HISTORY_REVISION and
    _HISTORY_CHANGE (plain rows: no ORM loading, and nothing for a flush to track; see
    save_rebuilt). The article's CMS id and those pairs; None if it is gone or has no
    revision."""
    rows = session.connection().execute(_ARTICLE_HISTORY, {"article_pk": article_pk}).all()
    if not rows:
        return None
    history: list[tuple[Revision, Change | None]] = []
    for row in rows:
        values = row._mapping
        revision = Revision(
            article_id=article_pk, **{c.key: values[c.key] for c in _HISTORY_REVISION}
        )
        change = None
        if row.change_id is not None:
            change = Change(
                article_id=article_pk,
                revision_id=revision.id,
                revision_no=revision.revision_no,
                **{c.key: values[f"change_{c.key}"] for c in _HISTORY_CHANGE},
            )
        history.append((revision, change))
    return rows[0].external_id, history


_REDERIVED = _update_by_id(
    "change", "change_pk", "kinds", "significance", "record", "engine_version"
)
_PROVENANCE = _update_by_id("revision", "revision_pk", "provenance")
_TITLE = _update_by_id("revision", "revision_pk", "title")


def save_rebuilt(
    session: Session,
    *,
    recomputed: Sequence[Change],
    repaired: Sequence[Change],
    kinds_moved: Sequence[Change],
    provenance_moved: Sequence[Revision],
    titled: Sequence[Revision] = (),
) -> None:
    """Write what a rebuild re-derived for one article, one statement per kind of write:
    the `recomputed` records (kinds, significance, record, engine version), the
    `repaired` ones (lost, inserted anew), the kind rows of the records in
    `kinds_moved`, the provenance of the revisions in `provenance_moved`, and the
    title in force of the revisions in `titled`."""
    connection = session.connection()
    if repaired:
        _insert_with_ids(session, "change", repaired)
    if recomputed:
        rows = [
            {
                "change_pk": c.id,
                "kinds": c.kinds,
                "significance": c.significance,
                "record": c.record,
                "engine_version": c.engine_version,
            }
            for c in recomputed
        ]
        connection.execute(_REDERIVED, rows)
    if kinds_moved:
        ids = [c.id for c in kinds_moved]
        connection.execute(delete(ChangeKind).where(ChangeKind.change_id.in_(ids)))
        kinds = _kind_rows(kinds_moved)
        if kinds:
            connection.execute(insert(Base.metadata.tables["change_kind"]), kinds)
    if provenance_moved:
        rows = [{"revision_pk": r.id, "provenance": r.provenance} for r in provenance_moved]
        connection.execute(_PROVENANCE, rows)
    if titled:
        connection.execute(_TITLE, [{"revision_pk": r.id, "title": r.title} for r in titled])


def _kind_rows(changes: Sequence[Change]) -> list[dict[str, Any]]:
    """The change_kind rows of change records that have their ids: one per kind."""
    return [
        {"change_id": c.id, "kind": kind, "received_at": c.received_at}
        for c in changes
        for kind in c.kinds
    ]


def add(session: Session, *rows: Base) -> None:
    session.add_all(rows)
    session.flush()


def _values(row: Base) -> dict[str, Any]:
    """An ORM object's values by column name (a Core insert's parameters), id left out."""
    return {
        attr.columns[0].key: getattr(row, attr.key)
        for attr in inspect(type(row)).column_attrs
        if attr.key != "id"
    }


_INSERT_ONE = {
    name: insert(Base.metadata.tables[name]).returning(Base.metadata.tables[name].c.id)
    for name in ("revision", "change")
}
_INSERT_KINDS = insert(Base.metadata.tables["change_kind"])


def _insert_with_ids(session: Session, table_name: str, rows: Sequence[Revision | Change]) -> None:
    """One INSERT … RETURNING id for ORM objects kept outside the session (several
    rows: a bulk one, ids in the rows' order); each gets the id the database gave it.
    A single row skips the bulk machinery (sentinels, sorting), a third of an ingest's
    time in SQLAlchemy."""
    if len(rows) == 1:
        statement = _INSERT_ONE[table_name]
        rows[0].id = session.connection().execute(statement, _values(rows[0])).scalar_one()
        return
    table = Base.metadata.tables[table_name]
    ids = session.scalars(
        insert(table).returning(table.c.id, sort_by_parameter_order=True),
        [_values(row) for row in rows],
    ).all()
    for row, ident in zip(rows, ids, strict=True):
        row.id = ident


_NEXT_IDS = text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)")


def _copy(session: Session, table_name: str, rows: Sequence[dict[str, Any]]) -> None:
    """PostgreSQL: rows (values by column name, all with the same columns) in one COPY,
    each value converted by its column's type as an INSERT would convert it."""
    connection = session.connection()
    dialect = connection.dialect
    table = Base.metadata.tables[table_name]
    names = list(rows[0])
    convert = [(n, table.c[n].type.dialect_impl(dialect).bind_processor(dialect)) for n in names]
    columns = ", ".join(dialect.identifier_preparer.quote(n) for n in names)
    driver = connection.connection.driver_connection
    assert driver is not None
    statement = f"COPY {table_name} ({columns}) FROM STDIN"
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row([row[n] if c is None else c(row[n]) for n, c in convert])
    except dialect.loaded_dbapi.Error as exc:  # as SQLAlchemy reports an INSERT's errors
        raise DBAPIError.instance(
            statement, None, exc, dialect.loaded_dbapi.Error, hide_parameters=True, dialect=dialect
        ) from exc


def _copy_with_ids(session: Session, table_name: str, rows: Sequence[Revision | Change]) -> None:
    """PostgreSQL: ids drawn from the table's sequence in one query, then one COPY of
    the rows; each object gets its id."""
    ids = session.scalars(_NEXT_IDS, {"table": table_name, "n": len(rows)}).all()
    for row, ident in zip(rows, ids, strict=True):
        row.id = ident
    _copy(session, table_name, [{"id": row.id, **_values(row)} for row in rows])


# From this many revisions on, PostgreSQL takes them by COPY (bulk import's batches);
# fewer go by INSERT, one round trip less.
COPY_FROM = 8


def add_revisions(session: Session, rows: Sequence[tuple[Revision, Change | None]]) -> None:
    """Insert revisions with their change records and kind rows: one statement per table,
    whatever the number of rows (bulk INSERT … RETURNING id, or on PostgreSQL for many
    rows COPY with ids drawn first; no unit of work). The objects stay outside the
    session, their ids set from what the database returned."""
    if not rows:
        return
    copy = len(rows) >= COPY_FROM and session.get_bind().dialect.name == "postgresql"
    add = _copy_with_ids if copy else _insert_with_ids
    add(session, "revision", [revision for revision, _ in rows])
    changes = []
    for revision, change in rows:
        if change is not None:
            change.revision_id = revision.id
            changes.append(change)
    if not changes:
        return
    add(session, "change", changes)
    kinds = _kind_rows(changes)
    if kinds and copy:
        _copy(session, "change_kind", kinds)
    elif kinds:
        session.connection().execute(_INSERT_KINDS, kinds)


def list_articles(
    session: Session, limit: int, after: tuple[datetime, int] | None
) -> Sequence[Article]:
    query = select(Article).order_by(Article.updated_at.desc(), Article.id.desc())
    if after is not None:
        at, ident = after
        query = query.where(
            or_(Article.updated_at < at, and_(Article.updated_at == at, Article.id < ident))
        )
    return session.scalars(query.limit(limit)).all()


class SummaryRow(NamedTuple):
    """A revision summary (views.revision_page), as list_revisions reads it: the change
    record as JSON text, decoded by the caller. A plain tuple: its fields read several
    times faster than a result Row's (a 500-revision history: 0.3 against 2.3 ms)."""

    revision_no: int
    content_sha256: str
    received_at: datetime
    published_at: datetime | None
    title: str | None
    source_revision_id: str | None
    revert_of: int | None
    from_revision_no: int | None
    record: str | None


# SummaryRow's columns, in its order.
_SUMMARY_COLUMNS = (
    Revision.revision_no,
    Revision.content_sha256,
    Revision.received_at,
    Revision.published_at,
    Revision.title,
    Revision.source_revision_id,
    Revision.revert_of,
    Change.from_revision_no,
    cast(Change.record, Text).label("record"),
)


_REVISION_PAGE = (
    select(*_SUMMARY_COLUMNS)
    .outerjoin(Change, Change.revision_id == Revision.id)
    .where(Revision.article_id == bindparam("article_id"))
    .limit(bindparam("limit"))
)
_OLDEST_FIRST = _REVISION_PAGE.where(Revision.revision_no > bindparam("bound")).order_by(
    Revision.revision_no
)
_NEWEST_FIRST = _REVISION_PAGE.where(Revision.revision_no < bindparam("bound")).order_by(
    Revision.revision_no.desc()
)


def list_revisions(
    session: Session, article_id: int, bound: int, limit: int, *, newest_first: bool = False
) -> list[SummaryRow]:
    """A page of an article's revisions as plain rows: numbers, times, titles and the
    stored change record as JSON text (a listing never loads texts, blocks or bodies,
    and builds no ORM objects: a 500-revision history is one light query; decoding
    500 records through the driver's JSON loader took 11 ms, orjson on the text 2).
    Oldest first after revision `bound`, or newest first before it (0: from the end)."""
    if newest_first:
        query, bound = _NEWEST_FIRST, bound or 2**31 - 1  # the column is 32-bit
    else:
        query = _OLDEST_FIRST
    parameters = {"article_id": article_id, "bound": bound, "limit": limit}
    return [SummaryRow._make(row) for row in session.execute(query, parameters)]


_REVISION_VIEW = (
    select(
        Article.external_id,
        *_SUMMARY_COLUMNS,
        Revision.url,
        Revision.meta,
        Revision.original_media_type,
        Revision.text,
        Revision.blocks,
    )
    .join(Revision, Revision.article_id == Article.id)
    .outerjoin(Change, Change.revision_id == Revision.id)
    .where(Article.external_id == bindparam("external_id"))
)
_REVISION_VIEW_BY_NUMBER = _REVISION_VIEW.where(Revision.revision_no == bindparam("number"))
_REVISION_VIEW_LATEST = _REVISION_VIEW.where(Revision.revision_no == Article.latest_revision_no)


def revision_view(session: Session, external_id: str, number: int | None) -> Any | None:
    """One revision as the API shows it, with its article id and change record (as JSON
    text), in one query; None when the article or the revision does not exist.
    `number` None: the latest."""
    if number is None:
        return session.execute(_REVISION_VIEW_LATEST, {"external_id": external_id}).first()
    parameters = {"external_id": external_id, "number": number}
    return session.execute(_REVISION_VIEW_BY_NUMBER, parameters).first()


def get_change(session: Session, revision_id: int) -> Change | None:
    return session.scalars(select(Change).where(Change.revision_id == revision_id)).first()


def list_changes(
    session: Session,
    *,
    limit: int,
    after: tuple[datetime, int] | None,
    since: datetime | None,
    until: datetime | None,
    article_id: int | None,
    kinds: Sequence[str],
    min_significance: float | None,
) -> Sequence[tuple[Change, str, str | None]]:
    """The feed, newest first, keyset-paginated on (received_at, id): each change with
    its article's id and current title."""
    query = select(Change, Article.external_id, Article.title).join(
        Article, Article.id == Change.article_id
    )
    if kinds:
        query = query.where(
            exists().where(ChangeKind.change_id == Change.id, ChangeKind.kind.in_(list(kinds)))
        )
    if since is not None:
        query = query.where(Change.received_at >= since)
    if until is not None:
        query = query.where(Change.received_at < until)
    if article_id is not None:
        query = query.where(Change.article_id == article_id)
    if min_significance is not None:
        query = query.where(Change.significance >= min_significance)
    if after is not None:
        at, ident = after
        query = query.where(
            or_(Change.received_at < at, and_(Change.received_at == at, Change.id < ident))
        )
    query = query.order_by(Change.received_at.desc(), Change.id.desc()).limit(limit)
    return [(c, ext, title) for c, ext, title in session.execute(query).all()]


def claim_receipt(session: Session, key: str, request_sha256: str, now: datetime) -> Receipt | None:
    """Claim `key` for this request; returns the earlier receipt if someone else holds it.

    On PostgreSQL a concurrent claim of the same key waits here until the first
    transaction ends, so a retry that arrives mid-flight replays its answer.
    """
    key = fit_key(key)
    inserted = session.execute(
        _insert(session, Receipt)
        .values(key=key, request_sha256=request_sha256, status_code=0, response={}, created_at=now)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(Receipt.key)
    ).first()
    if inserted is not None:
        return None
    return session.scalars(
        select(Receipt).where(Receipt.key == key).execution_options(populate_existing=True)
    ).one()


def complete_receipt(
    session: Session, key: str, status_code: int, response: dict[str, Any]
) -> None:
    session.execute(
        update(Receipt)
        .where(Receipt.key == fit_key(key))
        .values(status_code=status_code, response=response)
    )


def purge_receipts(session: Session, older_than: datetime) -> int:
    result = session.execute(delete(Receipt).where(Receipt.created_at < older_than))
    return int(getattr(result, "rowcount", 0) or 0)


def schema_version(session: Session) -> str | None:
    return session.execute(text("SELECT version_num FROM alembic_version")).scalar()


def get_api_key_by_digest(session: Session, digest: str) -> ApiKey | None:
    return session.scalars(select(ApiKey).where(ApiKey.digest == digest)).first()


def get_api_key(session: Session, key_id: int) -> ApiKey | None:
    return session.get(ApiKey, key_id)


def list_api_keys(session: Session) -> Sequence[ApiKey]:
    return session.scalars(select(ApiKey).order_by(ApiKey.id)).all()


def touch_api_key(session: Session, key_id: int, now: datetime) -> None:
    session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=now))


# Subscriptions and the outbox of deliveries


_SUBSCRIPTION_FILTERS = select(
    Subscription.id,
    Subscription.article_ids,
    Subscription.article_prefix,
    Subscription.kinds,
    Subscription.min_significance,
).order_by(Subscription.id)


def subscription_filters(session: Session) -> list[SubscriptionFilter]:
    """Every subscription's filter (paused ones too: their events wait for them), by id;
    read once by each import batch and each rebuilt article (single ingest has them
    from lock_for_ingest)."""
    return [SubscriptionFilter(*row) for row in session.connection().execute(_SUBSCRIPTION_FILTERS)]


def get_subscription(session: Session, subscription_id: int) -> Subscription | None:
    return session.get(Subscription, subscription_id)


def list_subscriptions(session: Session, after_id: int, limit: int) -> Sequence[Subscription]:
    return session.scalars(
        select(Subscription)
        .where(Subscription.id > after_id)
        .order_by(Subscription.id)
        .limit(limit)
    ).all()


def delete_subscription(session: Session, subscription: Subscription) -> None:
    """The subscription and its deliveries (cascade on both backends)."""
    session.execute(delete(Subscription).where(Subscription.id == subscription.id))


def add_deliveries(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(Delivery), rows)


def claim_deliveries(
    session: Session, *, now: datetime, until: datetime, worker: str, limit: int
) -> Sequence[Any]:
    """Lease up to `limit` due deliveries to `worker` until `until`: the oldest event
    still pending of each (subscription, article), of subscriptions not paused.

    FOR UPDATE SKIP LOCKED lets workers claim side by side on PostgreSQL (SQLite
    runs one write transaction at a time). An earlier pending event of the same
    subscription and article (leased or waiting for its retry) holds later ones
    back, so they go out in revision order.
    """
    earlier = aliased(Delivery)
    holds_back = (
        exists()
        .where(
            earlier.status == "pending",
            earlier.subscription_id == Delivery.subscription_id,
            earlier.article_id == Delivery.article_id,
            earlier.id < Delivery.id,
        )
        .correlate(Delivery)
    )
    ids = session.scalars(
        select(Delivery.id)
        .join(Subscription, Subscription.id == Delivery.subscription_id)
        .where(
            Delivery.status == "pending",
            Delivery.next_attempt_at <= now,
            or_(Delivery.lease_until.is_(None), Delivery.lease_until < now),
            Subscription.paused_at.is_(None),
            ~holds_back,
        )
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
        .with_for_update(of=Delivery, skip_locked=True)
    ).all()
    if not ids:
        return []
    session.execute(
        update(Delivery).where(Delivery.id.in_(ids)).values(lease_until=until, leased_by=worker)
    )
    return session.execute(
        select(
            Delivery.id,
            Delivery.event_id,
            Delivery.payload,
            Delivery.attempts,
            Delivery.subscription_id,
            Subscription.url,
            Subscription.secret,
            Subscription.previous_secret,
            Subscription.previous_secret_until,
        )
        .join(Subscription, Subscription.id == Delivery.subscription_id)
        .where(Delivery.id.in_(ids))
        .order_by(Delivery.id)
    ).all()


def any_due_delivery(session: Session, now: datetime) -> bool:
    """Whether some pending delivery is due (a read: idle workers take no write lock)."""
    return (
        session.scalar(
            select(Delivery.id)
            .where(Delivery.status == "pending", Delivery.next_attempt_at <= now)
            .limit(1)
        )
        is not None
    )


def lock_delivery(session: Session, delivery_id: int) -> Delivery | None:
    return session.scalars(
        select(Delivery).where(Delivery.id == delivery_id).with_for_update()
    ).first()


def release_deliveries(session: Session, worker: str, ids: Sequence[int]) -> None:
    """Give back leases `worker` holds without having tried them."""
    session.execute(
        update(Delivery)
        .where(Delivery.id.in_(list(ids)), Delivery.leased_by == worker)
        .values(lease_until=None, leased_by=None)
    )


def list_deliveries(
    session: Session, subscription_id: int, *, before_id: int | None, status: str | None, limit: int
) -> Sequence[tuple[Delivery, str]]:
    """A subscription's deliveries, newest first, with their articles' CMS ids."""
    query = (
        select(Delivery, Article.external_id)
        .join(Article, Article.id == Delivery.article_id)
        .where(Delivery.subscription_id == subscription_id)
    )
    if before_id is not None:
        query = query.where(Delivery.id < before_id)
    if status is not None:
        query = query.where(Delivery.status == status)
    query = query.order_by(Delivery.id.desc()).limit(limit)
    return [(d, ext) for d, ext in session.execute(query).all()]


def get_delivery(
    session: Session, subscription_id: int, delivery_id: int
) -> tuple[Delivery, str] | None:
    row = session.execute(
        select(Delivery, Article.external_id)
        .join(Article, Article.id == Delivery.article_id)
        .where(Delivery.id == delivery_id, Delivery.subscription_id == subscription_id)
    ).first()
    return None if row is None else (row[0], row[1])


def delivery_attempts(
    session: Session, delivery_ids: Sequence[int]
) -> dict[int, list[DeliveryAttempt]]:
    found: dict[int, list[DeliveryAttempt]] = {i: [] for i in delivery_ids}
    for attempt in session.scalars(
        select(DeliveryAttempt)
        .where(DeliveryAttempt.delivery_id.in_(list(delivery_ids)))
        .order_by(DeliveryAttempt.id)
    ):
        found[attempt.delivery_id].append(attempt)
    return found


def outbox_counts(session: Session) -> tuple[int, int, datetime | None]:
    """Pending and dead deliveries, and when the oldest pending one was made."""
    pending, oldest = session.execute(
        select(func.count(), func.min(Delivery.created_at)).where(Delivery.status == "pending")
    ).one()
    dead = session.scalar(
        select(func.count()).select_from(Delivery).where(Delivery.status == "dead")
    )
    return int(pending), int(dead or 0), oldest  # min() keeps the column's UTC type


def purge_deliveries(session: Session, older_than: datetime) -> int:
    """Forget delivered and dead events made before `older_than` (with their attempts)."""
    result = session.execute(
        delete(Delivery).where(
            Delivery.created_at < older_than, Delivery.status.in_(("delivered", "dead"))
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def resume_deliveries(session: Session, subscription_id: int, now: datetime) -> None:
    """Make a subscription's pending deliveries due now."""
    session.execute(
        update(Delivery)
        .where(Delivery.subscription_id == subscription_id, Delivery.status == "pending")
        .values(next_attempt_at=now)
    )
