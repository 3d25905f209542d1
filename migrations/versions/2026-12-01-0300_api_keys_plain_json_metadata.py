"""API keys; 64-bit row ids; revision metadata as plain JSON on PostgreSQL.

Plain JSON keeps "\\u0000" in metadata as sent (jsonb cannot). SQLite's
INTEGER PRIMARY KEY is already 64-bit, so only PostgreSQL's ids change.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# (table, column) holding row ids, widened from integer to bigint on PostgreSQL.
ID_COLUMNS = (
    ("article", "id"),
    ("revision", "id"),
    ("revision", "article_id"),
    ("change", "id"),
    ("change", "article_id"),
    ("change", "revision_id"),
    ("change_kind", "change_id"),
)


def upgrade() -> None:
    op.create_table(
        "api_key",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("prefix", sa.String(length=20), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_key")),
        sa.UniqueConstraint("digest", name=op.f("uq_api_key_digest")),
    )
    if op.get_bind().dialect.name == "postgresql":
        # Safe while old processes serve: json accepts everything jsonb held.
        op.execute("ALTER TABLE revision ALTER COLUMN metadata TYPE json USING metadata::json")
        for table, column in ID_COLUMNS:
            op.execute(f'ALTER TABLE "{table}" ALTER COLUMN {column} TYPE bigint')


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, column in ID_COLUMNS:
            op.execute(f'ALTER TABLE "{table}" ALTER COLUMN {column} TYPE integer')
        # Fails if a stored document holds "\u0000", which jsonb cannot: nothing is lost silently.
        op.execute("ALTER TABLE revision ALTER COLUMN metadata TYPE jsonb USING metadata::jsonb")
    op.drop_table("api_key")
