"""service: tickets, returns, surveys (#3)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24 14:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import domain.db

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "service_ticket",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("contact", sa.String(length=200), nullable=True),
        sa.Column(
            "channel",
            sa.Enum(
                "phone",
                "email",
                "web",
                "wechat",
                "on_site",
                name="channel",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "priority",
            sa.Enum("P1", "P2", "P3", "P4", name="priority", native_enum=False, create_constraint=True, length=16),
            nullable=False,
        ),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("sales_order_id", sa.Integer(), nullable=True),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("business_key", sa.String(length=128), nullable=True),
        sa.Column("created_at", domain.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("response_due_at", domain.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolution_due_at", domain.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("first_response_at", domain.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("started_at", domain.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("technician", sa.String(length=64), nullable=True),
        sa.Column("resolved_at", domain.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolution_code", sa.String(length=32), nullable=True),
        sa.Column("resolution_notes", sa.Text(), nullable=False),
        sa.Column("closed_at", domain.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reopen_count", sa.Integer(), nullable=False),
        sa.CheckConstraint("reopen_count >= 0", name=op.f("ck_service_ticket_reopen_count_not_negative")),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contact.id"], name=op.f("fk_service_ticket_contact_id_contact"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], name=op.f("fk_service_ticket_customer_id_customer")),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], name=op.f("fk_service_ticket_item_id_item")),
        sa.ForeignKeyConstraint(
            ["sales_order_id"], ["sales_order.id"], name=op.f("fk_service_ticket_sales_order_id_sales_order")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_ticket")),
        sa.UniqueConstraint("number", name=op.f("uq_service_ticket_number")),
    )
    with op.batch_alter_table("service_ticket", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_service_ticket_business_key"), ["business_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_service_ticket_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_service_ticket_priority"), ["priority"], unique=False)
        batch_op.create_index(batch_op.f("ix_service_ticket_sales_order_id"), ["sales_order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_service_ticket_technician"), ["technician"], unique=False)

    op.create_table(
        "service_survey",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("sent_at", domain.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", domain.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.CheckConstraint("score IS NULL OR (score >= 0 AND score <= 10)", name=op.f("ck_service_survey_score_range")),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], name=op.f("fk_service_survey_customer_id_customer")),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["service_ticket.id"], name=op.f("fk_service_survey_ticket_id_service_ticket")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_survey")),
        sa.UniqueConstraint("ticket_id", name=op.f("uq_service_survey_ticket_id")),
    )
    with op.batch_alter_table("service_survey", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_service_survey_answered_at"), ["answered_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_service_survey_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "service_visit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("technician", sa.String(length=64), nullable=False),
        sa.Column("scheduled_at", domain.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("visited_at", domain.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("report", sa.Text(), nullable=False),
        sa.Column("created_at", domain.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["service_ticket.id"],
            name=op.f("fk_service_visit_ticket_id_service_ticket"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_visit")),
    )
    with op.batch_alter_table("service_visit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_service_visit_ticket_id"), ["ticket_id"], unique=False)

    op.create_table(
        "return_order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("sales_order_id", sa.Integer(), nullable=False),
        sa.Column("shipment_id", sa.Integer(), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("created_at", domain.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column(
            "resolution",
            sa.Enum("refund", "replacement", name="resolution", native_enum=False, create_constraint=True, length=16),
            nullable=True,
        ),
        sa.Column("refund_amount", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("credit_note_id", sa.Integer(), nullable=True),
        sa.Column("credit_note_number", sa.String(length=40), nullable=True),
        sa.Column("replacement_order_id", sa.Integer(), nullable=True),
        sa.Column("resolved_at", domain.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "refund_amount IS NULL OR refund_amount >= 0", name=op.f("ck_return_order_refund_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["credit_note_id"], ["credit_note.id"], name=op.f("fk_return_order_credit_note_id_credit_note")
        ),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], name=op.f("fk_return_order_customer_id_customer")),
        sa.ForeignKeyConstraint(
            ["replacement_order_id"], ["sales_order.id"], name=op.f("fk_return_order_replacement_order_id_sales_order")
        ),
        sa.ForeignKeyConstraint(
            ["sales_order_id"], ["sales_order.id"], name=op.f("fk_return_order_sales_order_id_sales_order")
        ),
        sa.ForeignKeyConstraint(["shipment_id"], ["shipment.id"], name=op.f("fk_return_order_shipment_id_shipment")),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["service_ticket.id"], name=op.f("fk_return_order_ticket_id_service_ticket")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouse.id"], name=op.f("fk_return_order_warehouse_id_warehouse")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_order")),
        sa.UniqueConstraint("number", name=op.f("uq_return_order_number")),
    )
    with op.batch_alter_table("return_order", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_return_order_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_return_order_sales_order_id"), ["sales_order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_return_order_shipment_id"), ["shipment_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_return_order_ticket_id"), ["ticket_id"], unique=False)

    op.create_table(
        "service_visit_part",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=3), nullable=False),
        sa.Column("stock_move_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_service_visit_part_quantity_positive")),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], name=op.f("fk_service_visit_part_item_id_item")),
        sa.ForeignKeyConstraint(
            ["stock_move_id"], ["stock_move.id"], name=op.f("fk_service_visit_part_stock_move_id_stock_move")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["service_visit.id"],
            name=op.f("fk_service_visit_part_visit_id_service_visit"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouse.id"], name=op.f("fk_service_visit_part_warehouse_id_warehouse")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_visit_part")),
    )
    with op.batch_alter_table("service_visit_part", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_service_visit_part_visit_id"), ["visit_id"], unique=False)

    op.create_table(
        "return_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("return_id", sa.Integer(), nullable=False),
        sa.Column("shipment_line_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=3), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("received_qty", sa.Numeric(precision=18, scale=3), nullable=False),
        sa.Column("inspected_qty", sa.Numeric(precision=18, scale=3), nullable=False),
        sa.Column(
            "inspection_result",
            sa.Enum(
                "ok",
                "damaged",
                "defective",
                name="inspection_result",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column(
            "disposition",
            sa.Enum(
                "restock", "scrap", "repair", name="disposition", native_enum=False, create_constraint=True, length=16
            ),
            nullable=True,
        ),
        sa.Column("restocked_qty", sa.Numeric(precision=18, scale=3), nullable=False),
        sa.Column("repaired_at", domain.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "inspected_qty >= 0 AND inspected_qty <= received_qty", name=op.f("ck_return_line_inspected_qty_range")
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_return_line_quantity_positive")),
        sa.CheckConstraint(
            "received_qty >= 0 AND received_qty <= quantity", name=op.f("ck_return_line_received_qty_range")
        ),
        sa.CheckConstraint(
            "restocked_qty >= 0 AND restocked_qty <= inspected_qty", name=op.f("ck_return_line_restocked_qty_range")
        ),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], name=op.f("fk_return_line_item_id_item")),
        sa.ForeignKeyConstraint(
            ["return_id"], ["return_order.id"], name=op.f("fk_return_line_return_id_return_order"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["shipment_line_id"], ["shipment_line.id"], name=op.f("fk_return_line_shipment_line_id_shipment_line")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_line")),
    )
    with op.batch_alter_table("return_line", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_return_line_return_id"), ["return_id"], unique=False)
        batch_op.create_index("ix_return_line_shipment_line_id", ["shipment_line_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("return_line", schema=None) as batch_op:
        batch_op.drop_index("ix_return_line_shipment_line_id")
        batch_op.drop_index(batch_op.f("ix_return_line_return_id"))

    op.drop_table("return_line")
    with op.batch_alter_table("service_visit_part", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_visit_part_visit_id"))

    op.drop_table("service_visit_part")
    with op.batch_alter_table("return_order", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_return_order_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_return_order_shipment_id"))
        batch_op.drop_index(batch_op.f("ix_return_order_sales_order_id"))
        batch_op.drop_index(batch_op.f("ix_return_order_customer_id"))

    op.drop_table("return_order")
    with op.batch_alter_table("service_visit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_visit_ticket_id"))

    op.drop_table("service_visit")
    with op.batch_alter_table("service_survey", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_survey_customer_id"))
        batch_op.drop_index(batch_op.f("ix_service_survey_answered_at"))

    op.drop_table("service_survey")
    with op.batch_alter_table("service_ticket", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_ticket_technician"))
        batch_op.drop_index(batch_op.f("ix_service_ticket_sales_order_id"))
        batch_op.drop_index(batch_op.f("ix_service_ticket_priority"))
        batch_op.drop_index(batch_op.f("ix_service_ticket_customer_id"))
        batch_op.drop_index(batch_op.f("ix_service_ticket_business_key"))

    op.drop_table("service_ticket")
