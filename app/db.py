"""Engine and session factories, and the declarative base with a constraint naming convention."""

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import (
    JSON,
    BigInteger,
    Connection,
    DateTime,
    Engine,
    Index,
    Integer,
    MetaData,
    create_engine,
    event,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JSONType = JSON().with_variant(JSONB(), "postgresql")
# Row ids: 64-bit everywhere. SQLite's INTEGER PRIMARY KEY already is (and only that
# spelling is the auto-numbered rowid), so BIGINT is for the other databases.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def only_on(dialect: str, index: Index) -> Index:
    """An index made on one database alone, by create_all and by migrations alike
    (`compared_on` leaves it out of the models' comparison on the others)."""
    index.info["only_on"] = dialect
    return index.ddl_if(dialect=dialect)


def compared_on(dialect: str) -> Callable[..., bool]:
    """Alembic's include_object for a database of `dialect`: what the models make there."""

    def include(item: Any, _name: Any, kind: str, reflected: bool, _compare_to: Any) -> bool:
        only = None if reflected or kind != "index" else item.info.get("only_on")
        return only is None or only == dialect

    return include


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# Execution option set on the engine behind write sessions; on SQLite it makes
# transactions begin IMMEDIATE (see create_db_engine).
WRITE_OPTION = "article_diff_write"
_HOLDS_WRITERS = "article_diff_holds_writers"  # connection.info: this one holds the lock


def json_text(value: Any) -> str:
    """The text of JSON columns: orjson (a revision's blocks in 7 µs, 25 with json.dumps),
    json.dumps for what orjson refuses (integers past 64 bits in a CMS's metadata).
    Request bodies never hold NaN or Infinity (payloads.load_json refuses them), which
    orjson would write as null."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # orjson.JSONEncodeError
        return json.dumps(value)


def create_db_engine(url: str, *, durable_commits: bool = True, **kwargs: Any) -> Engine:
    """An engine for `url`; on SQLite, write-safe: WAL, busy timeout, and write
    transactions that begin IMMEDIATE (reads begin deferred and never wait for writers).

    `durable_commits=False` (PostgreSQL): a commit returns before its WAL reaches the
    disk (synchronous_commit off), for work that can be redone: a crash may lose the
    last fraction of a second of commits, never corrupt anything."""
    parsed = make_url(url)
    # Statement parameters (article text) never appear in errors or logs.
    kwargs.setdefault("hide_parameters", True)
    kwargs.setdefault("json_serializer", json_text)
    if parsed.get_backend_name() != "sqlite":
        if not durable_commits:
            kwargs["connect_args"] = {"options": "-c synchronous_commit=off"}
        engine = create_engine(url, **kwargs)
        _ping_when_idle(engine)
        return engine
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

    # The pysqlite recipe from the SQLAlchemy docs: take transaction control away from the
    # driver and begin write transactions IMMEDIATE, so concurrent writers queue on the
    # busy timeout instead of failing with "database is locked" when they upgrade a lock.
    # Reads begin deferred: in WAL mode they never wait for a writer.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    # Writers of this process queue on a lock before BEGIN IMMEDIATE: SQLite's busy
    # handler would make them poll with sleeps of up to 100 ms (8 concurrent writers
    # had a p99 near 1 s). Other processes still meet the busy timeout.
    writers = threading.Lock()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        if not connection.get_execution_options().get(WRITE_OPTION, False):
            connection.exec_driver_sql("BEGIN")
            return
        if not writers.acquire(timeout=30):
            raise TimeoutError("another write transaction of this process held SQLite for 30 s")
        connection.info[_HOLDS_WRITERS] = True
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _release(connection)
            raise

    def _release(connection: Connection) -> None:
        if connection.info.pop(_HOLDS_WRITERS, False):
            writers.release()

    # The "commit" event runs before the driver's commit. Released there, the lock let
    # the next writer's BEGIN IMMEDIATE meet this COMMIT still in progress and sleep in
    # SQLite's busy handler (1 ms at least: 97 % of the ingests of 8 concurrent clients,
    # a third of the wall time). So the writer commits here, holding the lock, and
    # releases it after; the driver's own commit then finds nothing left to do. A
    # failed COMMIT keeps the lock until the rollback that follows it.
    @event.listens_for(engine, "commit")
    def _on_commit(connection: Connection) -> None:
        if connection.info.get(_HOLDS_WRITERS, False):
            connection.exec_driver_sql("COMMIT")
            _release(connection)

    event.listen(engine, "rollback", _release)

    # Backstop: a connection that goes back to the pool (or is discarded) mid-write.
    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        if record is not None and record.info.pop(_HOLDS_WRITERS, False):
            writers.release()

    @event.listens_for(engine, "invalidate")
    def _on_invalidate(_dbapi_connection: Any, record: Any, _exception: Any) -> None:
        _on_checkin(_dbapi_connection, record)

    return engine


# A pooled connection idle for longer than this is pinged before use; one in steady
# use is not (pool_pre_ping's round trip was a tenth of a revision read).
IDLE_PING_SECONDS = 5.0


def _ping_when_idle(engine: Engine) -> None:
    """Pessimistic disconnect handling for connections that sat idle (a database
    restart, a proxy dropping idle sockets): a failed ping makes the pool replace the
    connection (DisconnectionError), so the request never sees it. A connection that
    breaks mid-use invalidates the pool as usual, and that request answers 503."""

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < IDLE_PING_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError(f"an idle connection failed its ping: {exc}") from exc


@dataclass(frozen=True, slots=True)
class Sessions:
    """Session factories: `read` for requests that only read, `write` for those that write."""

    read: sessionmaker[Session]
    write: sessionmaker[Session]


def create_sessions(bind: Engine | Connection) -> Sessions:
    """Read and write session factories for an engine (or, in tests, one connection)."""
    if isinstance(bind, Engine):
        write_bind: Engine | Connection = bind.execution_options(**{WRITE_OPTION: True})
        options: dict[str, Any] = {}
        if bind.dialect.name == "postgresql":
            # Reads run outside a transaction: no BEGIN and ROLLBACK round trips (0.3–0.4
            # ms of a 1 ms revision read). Revisions never change once stored, so a read
            # of several statements sees nothing it could not have seen in one.
            bind = bind.execution_options(isolation_level="AUTOCOMMIT")
    else:
        # A test's connection inside an outer transaction: commits release savepoints.
        write_bind = bind
        options = {"join_transaction_mode": "create_savepoint"}
    return Sessions(
        read=sessionmaker(bind=bind, expire_on_commit=False, autoflush=False, **options),
        write=sessionmaker(bind=write_bind, expire_on_commit=False, autoflush=False, **options),
    )
