"""indexes serving the monitoring percentiles on SQLite and the SLA count (#6)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-24 15:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MODES = ("total", "waiting", "working")


def upgrade() -> None:
    for mode in MODES:
        op.create_index(f"ix_element_passage_{mode}_rank", "element_passage",
                        ["definition_id", "human", "element_id", f"{mode}_seconds", "completed_at", "instance_id"],
                        unique=False)
    op.create_index("ix_human_task_status_due_completed", "human_task",
                    ["status", "due_at", "completed_at", "instance_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_human_task_status_due_completed", table_name="human_task")
    for mode in reversed(MODES):
        op.drop_index(f"ix_element_passage_{mode}_rank", table_name="element_passage")
