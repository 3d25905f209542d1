"""API keys; revision metadata as plain JSON on PostgreSQL (keeps "\\u0000" as sent).

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


def upgrade() -> None:
    op.create_table(
        "api_key",
        sa.Column("id", sa.Integer(), nullable=False),
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


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # Fails if a stored document holds "\u0000", which jsonb cannot: nothing is lost silently.
        op.execute("ALTER TABLE revision ALTER COLUMN metadata TYPE jsonb USING metadata::jsonb")
    op.drop_table("api_key")
