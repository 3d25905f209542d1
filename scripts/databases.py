"""Fresh, migrated databases for tests and benchmarks (never the service's own)."""

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["database_url"] = url
    config.attributes["configure_logger"] = False
    return config


@contextmanager
def fresh_database(url: str, folder: Path | None = None, prefix: str = "test") -> Iterator[str]:
    """A new database migrated to head on the server of `url`, dropped afterwards; for
    SQLite a new file (in `folder`, or a temporary folder)."""
    if make_url(url).get_backend_name() == "sqlite":
        with tempfile.TemporaryDirectory() as temporary:  # used when no folder is given
            path = (folder or Path(temporary)) / f"{prefix}-{uuid.uuid4().hex[:8]}.db"
            own = f"sqlite:///{path}"
            command.upgrade(alembic_config(own), "head")
            yield own
        return
    name = f"{prefix}_{uuid.uuid4().hex[:16]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    own = make_url(url).set(database=name).render_as_string(hide_password=False)
    try:
        command.upgrade(alembic_config(own), "head")
        yield own
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
