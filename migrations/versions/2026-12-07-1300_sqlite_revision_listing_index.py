"""SQLite: an index that holds what a history or a revision listing reads.

SQLite keeps a row's columns in one record, and a revision's title, times and
source id come after its text and blocks: a listing read each revision's
overflow pages to reach them (a 500-revision history: 5.1 ms in the query, 0.9
with this index). PostgreSQL keeps large values apart (TOAST): nothing to do
there. Safe while old processes serve: an index they never name.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 13:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = [
    "article_id",
    "revision_no",
    "content_sha256",
    "received_at",
    "published_at",
    "title",
    "source_revision_id",
    "revert_of",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.create_index("ix_revision_listing", "revision", COLUMNS)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index("ix_revision_listing", "revision")
