"""history retention archive (#6)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 14:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import domain.db

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "history_archive",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", domain.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("policy", sa.JSON(), nullable=False),
        sa.Column("instance_count", sa.Integer(), nullable=False),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.Column("heads", sa.JSON(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("payload_sha256", sa.String(length=64), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_history_archive")),
        sa.UniqueConstraint("seq", name=op.f("uq_history_archive_seq")),
    )
    op.create_table(
        "archived_instance",
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("archive_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["archive_id"], ["history_archive.id"],
                                name=op.f("fk_archived_instance_archive_id_history_archive")),
        sa.ForeignKeyConstraint(["instance_id"], ["process_instance.id"],
                                name=op.f("fk_archived_instance_instance_id_process_instance"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("instance_id", name=op.f("pk_archived_instance")),
    )
    with op.batch_alter_table("archived_instance", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_archived_instance_archive_id"), ["archive_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("archived_instance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_archived_instance_archive_id"))
    op.drop_table("archived_instance")
    op.drop_table("history_archive")
