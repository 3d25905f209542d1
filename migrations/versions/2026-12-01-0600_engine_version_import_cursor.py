"""Engine version on change records; bulk import cursors.

Records stored before this migration get engine_version "0" (unknown), so
`python -m app rebuild` recomputes them. Safe while old processes serve: the
new column has a server default, and the new table is only read by new code.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("change") as batch:
        batch.add_column(
            sa.Column("engine_version", sa.String(length=20), nullable=False, server_default="0")
        )
        batch.create_index("ix_change_engine_version", ["engine_version", "article_id"])
    op.create_table(
        "import_cursor",
        sa.Column("run", sa.String(length=300), nullable=False),
        sa.Column("article_id", BIG_ID, nullable=False),
        sa.Column("line_no", BIG_ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["article.id"],
            name=op.f("fk_import_cursor_article_id_article"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run", "article_id", name=op.f("pk_import_cursor")),
    )


def downgrade() -> None:
    op.drop_table("import_cursor")
    with op.batch_alter_table("change") as batch:
        batch.drop_index("ix_change_engine_version")
        batch.drop_column("engine_version")
