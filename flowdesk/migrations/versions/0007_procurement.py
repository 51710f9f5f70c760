"""procurement: suppliers, purchase requests/orders, receipts, supplier invoices; shipments and reorder settings (#3)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 14:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import domain.db

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_KINDS = ("receipt", "shipment", "adjustment")
_NEW_KINDS = (*_OLD_KINDS, "supplier_return")


def _qty(name: str, **kw: object) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.Numeric(precision=18, scale=3), nullable=False, **kw)  # type: ignore[arg-type]


def _money(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.Numeric(precision=18, scale=2), nullable=False)


def _at(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, domain.db.UTCDateTime(timezone=True), nullable=nullable)


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=16)


def _set_move_kinds(kinds: tuple[str, ...]) -> None:
    # The kind CHECK lists the allowed values: replace it (a batch copy on SQLite).
    listed = ", ".join(f"'{k}'" for k in kinds)
    with op.batch_alter_table("stock_move", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_stock_move_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_stock_move_kind"), sa.text(f"kind IN ({listed})"))


def _inventory_upgrade() -> None:
    with op.batch_alter_table("item", schema=None) as batch_op:
        for name in ("safety_stock", "reorder_point", "reorder_quantity"):
            batch_op.add_column(_qty(name, server_default="0"))
        batch_op.add_column(sa.Column("lead_time_days", sa.Integer(), nullable=False, server_default="0"))
        batch_op.create_check_constraint(
            op.f("ck_item_replenishment_not_negative"),
            sa.text("safety_stock >= 0 AND reorder_point >= 0 AND reorder_quantity >= 0 AND lead_time_days >= 0"),
        )
    _set_move_kinds(_NEW_KINDS)
    op.create_table(
        "shipment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("sales_order_id", sa.Integer(), nullable=False),
        _at("shipped_at"),
        sa.Column("shipped_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["sales_order_id"], ["sales_order.id"], name=op.f("fk_shipment_sales_order_id_sales_order")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipment")),
        sa.UniqueConstraint("number", name=op.f("uq_shipment_number")),
    )
    with op.batch_alter_table("shipment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shipment_sales_order_id"), ["sales_order_id"], unique=False)
    op.create_table(
        "shipment_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shipment_id", sa.Integer(), nullable=False),
        sa.Column("sales_order_line_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        _qty("quantity"),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_shipment_line_quantity_positive")),
        sa.ForeignKeyConstraint(["shipment_id"], ["shipment.id"], name=op.f("fk_shipment_line_shipment_id_shipment")),
        sa.ForeignKeyConstraint(
            ["sales_order_line_id"],
            ["sales_order_line.id"],
            name=op.f("fk_shipment_line_sales_order_line_id_sales_order_line"),
        ),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], name=op.f("fk_shipment_line_item_id_item")),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouse.id"], name=op.f("fk_shipment_line_warehouse_id_warehouse")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipment_line")),
    )
    with op.batch_alter_table("shipment_line", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shipment_line_shipment_id"), ["shipment_id"], unique=False)


def _inventory_downgrade() -> None:
    with op.batch_alter_table("shipment_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shipment_line_shipment_id"))
    op.drop_table("shipment_line")
    with op.batch_alter_table("shipment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shipment_sales_order_id"))
    op.drop_table("shipment")
    # Supplier returns stay in the ledger (the balances depend on them) as plain adjustments.
    op.execute("UPDATE stock_move SET kind = 'adjustment' WHERE kind = 'supplier_return'")
    _set_move_kinds(_OLD_KINDS)
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_item_replenishment_not_negative"), type_="check")
        for name in ("lead_time_days", "reorder_quantity", "reorder_point", "safety_stock"):
            batch_op.drop_column(name)


def _procurement_upgrade() -> None:
    op.create_table(
        "supplier",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("lead_time_days", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("payment_terms_days", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", domain.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("lead_time_days >= 0", name=op.f("ck_supplier_lead_time_not_negative")),
        sa.CheckConstraint("payment_terms_days >= 0", name=op.f("ck_supplier_payment_terms_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier")),
        sa.UniqueConstraint("code", name=op.f("uq_supplier_code")),
    )
    op.create_table(
        "supplier_item",
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.CheckConstraint("unit_price >= 0", name=op.f("ck_supplier_item_unit_price_not_negative")),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], name=op.f("fk_supplier_item_item_id_item")),
        sa.ForeignKeyConstraint(["supplier_id"], ["supplier.id"], name=op.f("fk_supplier_item_supplier_id_supplier")),
        sa.PrimaryKeyConstraint("supplier_id", "item_id", name=op.f("pk_supplier_item")),
    )
    with op.batch_alter_table("supplier_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_supplier_item_item_id"), ["item_id"], unique=False)

    op.create_table(
        "purchase_order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("order_date", sa.Date(), nullable=False),
        sa.Column("expected_date", sa.Date(), nullable=False),
        sa.Column("created_at", domain.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["supplier_id"], ["supplier.id"], name=op.f("fk_purchase_order_supplier_id_supplier")),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouse.id"], name=op.f("fk_purchase_order_warehouse_id_warehouse")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_order")),
        sa.UniqueConstraint("number", name=op.f("uq_purchase_order_number")),
    )
    with op.batch_alter_table("purchase_order", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_purchase_order_expected_date"), ["expected_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_purchase_order_supplier_id"), ["supplier_id"], unique=False)

    op.create_table(
        "purchase_order_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=3), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("received_qty", sa.Numeric(precision=18, scale=3), nullable=False),
        sa.Column("accepted_qty", sa.Numeric(precision=18, scale=3), nullable=False),
        sa.Column("invoiced_qty", sa.Numeric(precision=18, scale=3), nullable=False),
        sa.CheckConstraint(
            "accepted_qty <= received_qty", name=op.f("ck_purchase_order_line_accepted_within_received")
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_purchase_order_line_quantity_positive")),
        sa.CheckConstraint(
            "received_qty >= 0 AND accepted_qty >= 0 AND invoiced_qty >= 0",
            name=op.f("ck_purchase_order_line_progress_not_negative"),
        ),
        sa.CheckConstraint("unit_price >= 0", name=op.f("ck_purchase_order_line_unit_price_not_negative")),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], name=op.f("fk_purchase_order_line_item_id_item")),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["purchase_order.id"],
            name=op.f("fk_purchase_order_line_order_id_purchase_order"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_order_line")),
    )
    with op.batch_alter_table("purchase_order_line", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_purchase_order_line_item_id"), ["item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_purchase_order_line_order_id"), ["order_id"], unique=False)

    op.create_table(
        "purchase_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "shortage", "reorder", "manual", name="source", native_enum=False, create_constraint=True, length=16
            ),
            nullable=False,
        ),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=3), nullable=False),
        sa.Column("needed_by", sa.Date(), nullable=True),
        sa.Column("required_steps", sa.Integer(), nullable=False),
        sa.Column("sales_order_id", sa.Integer(), nullable=True),
        sa.Column("business_key", sa.String(length=128), nullable=True),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("purchase_order_line_id", sa.Integer(), nullable=True),
        sa.Column("created_at", domain.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_purchase_request_quantity_positive")),
        sa.CheckConstraint("required_steps IN (1, 2)", name=op.f("ck_purchase_request_required_steps_range")),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], name=op.f("fk_purchase_request_item_id_item")),
        sa.ForeignKeyConstraint(
            ["purchase_order_line_id"],
            ["purchase_order_line.id"],
            name=op.f("fk_purchase_request_purchase_order_line_id_purchase_order_line"),
        ),
        sa.ForeignKeyConstraint(
            ["sales_order_id"], ["sales_order.id"], name=op.f("fk_purchase_request_sales_order_id_sales_order")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_request")),
        sa.UniqueConstraint("number", name=op.f("uq_purchase_request_number")),
    )
    with op.batch_alter_table("purchase_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_purchase_request_business_key"), ["business_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_purchase_request_item_id"), ["item_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_purchase_request_purchase_order_line_id"), ["purchase_order_line_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_purchase_request_sales_order_id"), ["sales_order_id"], unique=False)

    op.create_table(
        "purchase_approval",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column(
            "decision",
            sa.Enum("approved", "rejected", name="decision", native_enum=False, create_constraint=True, length=16),
            nullable=False,
        ),
        sa.Column("decided_by", sa.String(length=64), nullable=False),
        sa.Column("decided_at", domain.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.CheckConstraint("step IN (1, 2)", name=op.f("ck_purchase_approval_step_range")),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["purchase_request.id"],
            name=op.f("fk_purchase_approval_request_id_purchase_request"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_approval")),
        sa.UniqueConstraint("request_id", "step", name="uq_purchase_approval_request_step"),
    )
    op.create_table(
        "goods_receipt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("purchase_order_id", sa.Integer(), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("received_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", domain.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["purchase_order_id"], ["purchase_order.id"], name=op.f("fk_goods_receipt_purchase_order_id_purchase_order")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouse.id"], name=op.f("fk_goods_receipt_warehouse_id_warehouse")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goods_receipt")),
        sa.UniqueConstraint("number", name=op.f("uq_goods_receipt_number")),
    )
    with op.batch_alter_table("goods_receipt", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_goods_receipt_purchase_order_id"), ["purchase_order_id"], unique=False)

    op.create_table(
        "goods_receipt_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("receipt_id", sa.Integer(), nullable=False),
        sa.Column("purchase_order_line_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("received_qty", sa.Numeric(precision=18, scale=3), nullable=False),
        sa.Column("accepted_qty", sa.Numeric(precision=18, scale=3), nullable=False),
        sa.Column("rejected_qty", sa.Numeric(precision=18, scale=3), nullable=False),
        sa.Column("inspection_note", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "accepted_qty <= received_qty AND rejected_qty <= received_qty",
            name=op.f("ck_goods_receipt_line_inspection_within_received"),
        ),
        sa.CheckConstraint(
            "accepted_qty >= 0 AND rejected_qty >= 0", name=op.f("ck_goods_receipt_line_inspection_not_negative")
        ),
        sa.CheckConstraint("received_qty > 0", name=op.f("ck_goods_receipt_line_received_positive")),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], name=op.f("fk_goods_receipt_line_item_id_item")),
        sa.ForeignKeyConstraint(
            ["purchase_order_line_id"],
            ["purchase_order_line.id"],
            name=op.f("fk_goods_receipt_line_purchase_order_line_id_purchase_order_line"),
        ),
        sa.ForeignKeyConstraint(
            ["receipt_id"],
            ["goods_receipt.id"],
            name=op.f("fk_goods_receipt_line_receipt_id_goods_receipt"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goods_receipt_line")),
    )
    with op.batch_alter_table("goods_receipt_line", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_goods_receipt_line_purchase_order_line_id"), ["purchase_order_line_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_goods_receipt_line_receipt_id"), ["receipt_id"], unique=False)

    op.create_table(
        "supplier_return",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("receipt_line_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=3), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("stock_move_id", sa.Integer(), nullable=True),
        sa.Column("returned_at", domain.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("returned_by", sa.String(length=64), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_supplier_return_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["receipt_line_id"],
            ["goods_receipt_line.id"],
            name=op.f("fk_supplier_return_receipt_line_id_goods_receipt_line"),
        ),
        sa.ForeignKeyConstraint(
            ["stock_move_id"], ["stock_move.id"], name=op.f("fk_supplier_return_stock_move_id_stock_move")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier_return")),
        sa.UniqueConstraint("number", name=op.f("uq_supplier_return_number")),
    )
    with op.batch_alter_table("supplier_return", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_supplier_return_receipt_line_id"), ["receipt_line_id"], unique=False)

    op.create_table(
        "supplier_invoice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("supplier_number", sa.String(length=64), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("purchase_order_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("invoice_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column(
            "match_status",
            sa.Enum(
                "unmatched",
                "matched",
                "mismatch",
                name="match_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("mismatches", sa.JSON(), nullable=False),
        sa.Column("matched_at", domain.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("approved_by", sa.String(length=64), nullable=True),
        sa.Column("approved_at", domain.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("approval_comment", sa.Text(), nullable=False),
        sa.Column("created_at", domain.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["purchase_order_id"],
            ["purchase_order.id"],
            name=op.f("fk_supplier_invoice_purchase_order_id_purchase_order"),
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["supplier.id"], name=op.f("fk_supplier_invoice_supplier_id_supplier")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier_invoice")),
        sa.UniqueConstraint("number", name=op.f("uq_supplier_invoice_number")),
        sa.UniqueConstraint("supplier_id", "supplier_number", name="uq_supplier_invoice_supplier_number"),
    )
    with op.batch_alter_table("supplier_invoice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_supplier_invoice_purchase_order_id"), ["purchase_order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_supplier_invoice_supplier_id"), ["supplier_id"], unique=False)

    op.create_table(
        "supplier_invoice_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("purchase_order_line_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=3), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_supplier_invoice_line_quantity_positive")),
        sa.CheckConstraint("unit_price >= 0", name=op.f("ck_supplier_invoice_line_unit_price_not_negative")),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["supplier_invoice.id"],
            name=op.f("fk_supplier_invoice_line_invoice_id_supplier_invoice"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["purchase_order_line_id"],
            ["purchase_order_line.id"],
            name=op.f("fk_supplier_invoice_line_purchase_order_line_id_purchase_order_line"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier_invoice_line")),
    )
    with op.batch_alter_table("supplier_invoice_line", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_supplier_invoice_line_invoice_id"), ["invoice_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_supplier_invoice_line_purchase_order_line_id"), ["purchase_order_line_id"], unique=False
        )

    op.create_table(
        "supplier_payment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", domain.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_supplier_payment_amount_positive")),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["supplier_invoice.id"], name=op.f("fk_supplier_payment_invoice_id_supplier_invoice")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier_payment")),
    )
    with op.batch_alter_table("supplier_payment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_supplier_payment_invoice_id"), ["invoice_id"], unique=False)


def _procurement_downgrade() -> None:
    op.drop_table("supplier_payment")
    op.drop_table("supplier_invoice_line")
    op.drop_table("supplier_invoice")
    op.drop_table("supplier_return")
    op.drop_table("goods_receipt_line")
    op.drop_table("goods_receipt")
    op.drop_table("purchase_approval")
    op.drop_table("purchase_request")
    op.drop_table("purchase_order_line")
    op.drop_table("purchase_order")
    op.drop_table("supplier_item")
    op.drop_table("supplier")


def upgrade() -> None:
    _inventory_upgrade()
    _procurement_upgrade()


def downgrade() -> None:
    _procurement_downgrade()
    _inventory_downgrade()
