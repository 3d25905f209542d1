"""Migrations run both ways and match the models."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from app.db import Base, compared_on, create_db_engine
from scripts.databases import alembic_config


def test_models_match_migrations(database_url: str) -> None:
    engine = create_db_engine(database_url)
    with engine.connect() as conn:
        options = {"include_object": compared_on(conn.dialect.name)}
        diff = compare_metadata(MigrationContext.configure(conn, opts=options), Base.metadata)
    engine.dispose()
    assert diff == [], "models changed without a migration: alembic revision --autogenerate"


def test_downgrade_and_upgrade(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    config = alembic_config(url)
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    engine = create_db_engine(url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    command.upgrade(config, "head")
