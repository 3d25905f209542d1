"""Readiness: database reachable and migrated."""

from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app import storage

MIGRATIONS = Path(__file__).resolve().parent.parent.parent / "migrations"


def schema_head() -> str | None:
    """The newest Alembic revision shipped with this code."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


def check_database(session: Session, head: str | None) -> tuple[bool, str, str | None]:
    try:
        version = storage.schema_version(session)
    except SQLAlchemyError:
        return False, "unreachable or not migrated", None
    if version != head:
        return False, "reachable", f"at {version}, expected {head}: run alembic upgrade head"
    return True, "reachable", version
