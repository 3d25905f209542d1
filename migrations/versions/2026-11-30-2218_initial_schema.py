"""Initial schema: articles, revisions, changes (with kinds) and request receipts.

Revision ID: 0001
Revises:
Create Date: 2026-11-30 22:18:51.195520
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "article",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("latest_revision_no", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article")),
        sa.UniqueConstraint("external_id", name=op.f("uq_article_external_id")),
    )
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.create_index("ix_article_activity", ["updated_at", "id"], unique=False)

    op.create_table(
        "receipt",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("request_sha256", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response", JSON_TYPE, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_receipt")),
    )
    with op.batch_alter_table("receipt", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_receipt_created_at"), ["created_at"], unique=False)

    op.create_table(
        "revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("revision_no", sa.Integer(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("blocks", JSON_TYPE, nullable=False),
        sa.Column("provenance", JSON_TYPE, nullable=False),
        sa.Column("original_body", sa.LargeBinary(), nullable=False),
        sa.Column("original_media_type", sa.String(length=100), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_revision_id", sa.String(length=200), nullable=True),
        sa.Column("metadata", JSON_TYPE, nullable=True),
        sa.Column("revert_of", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["article.id"],
            name=op.f("fk_revision_article_id_article"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revision")),
        sa.UniqueConstraint(
            "article_id", "revision_no", name=op.f("uq_revision_article_id_revision_no")
        ),
    )
    with op.batch_alter_table("revision", schema=None) as batch_op:
        batch_op.create_index(
            "ix_revision_article_sha", ["article_id", "content_sha256"], unique=False
        )

    op.create_table(
        "change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=False),
        sa.Column("revision_no", sa.Integer(), nullable=False),
        sa.Column("from_revision_no", sa.Integer(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("kinds", JSON_TYPE, nullable=False),
        sa.Column("significance", sa.Float(), nullable=False),
        sa.Column("record", JSON_TYPE, nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["article.id"],
            name=op.f("fk_change_article_id_article"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["revision_id"],
            ["revision.id"],
            name=op.f("fk_change_revision_id_revision"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change")),
        sa.UniqueConstraint("revision_id", name=op.f("uq_change_revision_id")),
    )
    with op.batch_alter_table("change", schema=None) as batch_op:
        batch_op.create_index(
            "ix_change_article_feed", ["article_id", "received_at", "id"], unique=False
        )
        batch_op.create_index("ix_change_feed", ["received_at", "id"], unique=False)

    op.create_table(
        "change_kind",
        sa.Column("change_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["change_id"],
            ["change.id"],
            name=op.f("fk_change_kind_change_id_change"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("change_id", "kind", name=op.f("pk_change_kind")),
    )
    with op.batch_alter_table("change_kind", schema=None) as batch_op:
        batch_op.create_index(
            "ix_change_kind_feed", ["kind", "received_at", "change_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("change_kind", schema=None) as batch_op:
        batch_op.drop_index("ix_change_kind_feed")

    op.drop_table("change_kind")
    with op.batch_alter_table("change", schema=None) as batch_op:
        batch_op.drop_index("ix_change_feed")
        batch_op.drop_index("ix_change_article_feed")

    op.drop_table("change")
    with op.batch_alter_table("revision", schema=None) as batch_op:
        batch_op.drop_index("ix_revision_article_sha")

    op.drop_table("revision")
    with op.batch_alter_table("receipt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_receipt_created_at"))

    op.drop_table("receipt")
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.drop_index("ix_article_activity")

    op.drop_table("article")
