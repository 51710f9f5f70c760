"""indexes for monitoring queries, instance facets, element passage roll-up (#6)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 14:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import domain.db

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "instance_facet",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=256), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["process_instance.id"],
            name=op.f("fk_instance_facet_instance_id_process_instance"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instance_facet")),
        sa.UniqueConstraint("instance_id", "name", "value", name="uq_instance_facet_instance_name_value"),
    )
    op.create_table(
        "element_passage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("definition_id", sa.Integer(), nullable=False),
        sa.Column("element_id", sa.String(length=128), nullable=False),
        sa.Column("prev_element_id", sa.String(length=128), nullable=True),
        sa.Column("human", sa.Boolean(), nullable=False),
        sa.Column("completed_at", domain.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("total_seconds", sa.Double(), nullable=False),
        sa.Column("waiting_seconds", sa.Double(), nullable=True),
        sa.Column("working_seconds", sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(["definition_id"], ["process_definition.id"],
                                name=op.f("fk_element_passage_definition_id_process_definition")),
        sa.ForeignKeyConstraint(["instance_id"], ["process_instance.id"],
                                name=op.f("fk_element_passage_instance_id_process_instance"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_element_passage")),
    )
    op.create_index(op.f("ix_element_passage_instance_id"), "element_passage", ["instance_id"], unique=False)
    op.create_index("ix_element_passage_definition_completed", "element_passage",
                    ["definition_id", "completed_at", "human", "element_id", "prev_element_id", "total_seconds",
                     "waiting_seconds", "working_seconds"], unique=False)
    op.create_table(
        "passage_rollup",
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("rolled_up_at", domain.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["instance_id"], ["process_instance.id"],
                                name=op.f("fk_passage_rollup_instance_id_process_instance"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("instance_id", name=op.f("pk_passage_rollup")),
    )
    op.create_index("ix_instance_facet_name_value", "instance_facet", ["name", "value", "instance_id"], unique=False)
    op.create_index("ix_process_instance_key_started", "process_instance", ["process_key", "started_at"], unique=False)
    op.create_index("ix_process_instance_key_ended", "process_instance", ["process_key", "ended_at"], unique=False)
    op.create_index("ix_human_task_status_due", "human_task", ["status", "due_at"], unique=False)
    op.create_index("ix_human_task_completed_at", "human_task", ["completed_at"], unique=False)
    op.create_index("ix_human_task_open", "human_task", ["created_at"], unique=False,
                    sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))
    op.create_index("ix_event_instance_seq", "event", ["instance_id", "seq"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_event_instance_seq", table_name="event")
    op.drop_index("ix_human_task_open", table_name="human_task")
    op.drop_index("ix_human_task_completed_at", table_name="human_task")
    op.drop_index("ix_human_task_status_due", table_name="human_task")
    op.drop_index("ix_process_instance_key_ended", table_name="process_instance")
    op.drop_index("ix_process_instance_key_started", table_name="process_instance")
    op.drop_index("ix_instance_facet_name_value", table_name="instance_facet")
    op.drop_table("instance_facet")
    op.drop_table("passage_rollup")
    op.drop_index("ix_element_passage_definition_completed", table_name="element_passage")
    op.drop_index(op.f("ix_element_passage_instance_id"), table_name="element_passage")
    op.drop_table("element_passage")
