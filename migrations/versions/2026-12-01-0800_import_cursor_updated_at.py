"""Import cursors remember when they were last written (HTTP runs age out).

Cursors of POST /v1/import runs (named by their Idempotency-Key) are purged with
the receipts, RECEIPT_RETENTION_HOURS after their last write; rows written
before this migration have no time and count as old. Safe while old processes
serve: they never write the column.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("import_cursor") as batch:
        batch.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_import_cursor_updated_at", ["updated_at"])


def downgrade() -> None:
    with op.batch_alter_table("import_cursor") as batch:
        batch.drop_index("ix_import_cursor_updated_at")
        batch.drop_column("updated_at")
