"""finance: payments received from customers, allocations, credit notes (#3)

Payments used to belong to one invoice (payment.invoice_id). Each such payment becomes a customer payment with one
allocation of its whole amount to that invoice, dated its paid_on.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 14:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import domain.db

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_METHODS = ("bank_transfer", "cash", "card", "cheque", "other")
_NOT_EMPTY = sa.text("reference <> ''")


def _money(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.Numeric(precision=18, scale=2), nullable=False)


def _at(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, domain.db.UTCDateTime(timezone=True), nullable=False)


def upgrade() -> None:
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("customer_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("currency", sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column(
            "method",
            sa.Enum(*_METHODS, name="payment_method", native_enum=False, create_constraint=True, length=16),
            nullable=False,
            server_default="bank_transfer",
        ))
    conn = op.get_bind()
    conn.execute(sa.text(
        "UPDATE payment SET"
        " customer_id = (SELECT invoice.customer_id FROM invoice WHERE invoice.id = payment.invoice_id),"
        " currency = (SELECT invoice.currency FROM invoice WHERE invoice.id = payment.invoice_id)"
    ))
    old_payments = conn.execute(sa.text(
        "SELECT id, invoice_id, amount, paid_on, created_at FROM payment ORDER BY id"
    )).all()
    _make_references_unique(conn)
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_invoice_id"))
        batch_op.drop_constraint(batch_op.f("fk_payment_invoice_id_invoice"), type_="foreignkey")
        batch_op.drop_column("invoice_id")
        batch_op.alter_column("customer_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("currency", existing_type=sa.String(length=3), nullable=False)
        batch_op.alter_column("method", existing_type=sa.String(length=16), server_default=None)
        batch_op.create_foreign_key(batch_op.f("fk_payment_customer_id_customer"), "customer", ["customer_id"], ["id"])
        batch_op.create_index(batch_op.f("ix_payment_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index("uq_payment_customer_id_reference", ["customer_id", "reference"], unique=True,
                              sqlite_where=_NOT_EMPTY, postgresql_where=_NOT_EMPTY)
    _create_tables()
    # Untyped columns: the values go back exactly as the database returned them (SQLite gives text for dates).
    allocation = sa.table("payment_allocation", *(sa.column(name) for name in (
        "payment_id", "invoice_id", "amount", "allocated_on", "created_at")))
    if old_payments:
        op.bulk_insert(allocation, [
            {"payment_id": p.id, "invoice_id": p.invoice_id, "amount": p.amount, "allocated_on": p.paid_on,
             "created_at": p.created_at}
            for p in old_payments
        ])


def _make_references_unique(conn: sa.Connection) -> None:
    """Old payments could repeat a reference per customer; keep the first, suffix the others with their id."""
    rows = conn.execute(sa.text(
        "SELECT id, customer_id, reference FROM payment WHERE reference <> '' ORDER BY id"
    )).all()
    seen: set[tuple[int, str]] = set()
    for row in rows:
        key = (row.customer_id, row.reference)
        if key in seen:
            suffix = f" #{row.id}"
            conn.execute(sa.text("UPDATE payment SET reference = :ref WHERE id = :id"),
                         {"ref": row.reference[: 100 - len(suffix)] + suffix, "id": row.id})
        seen.add(key)


def _create_tables() -> None:
    op.create_table(
        "payment_allocation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        _money("amount"),
        sa.Column("allocated_on", sa.Date(), nullable=False),
        _at("created_at"),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payment_allocation_amount_positive")),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoice.id"], name=op.f("fk_payment_allocation_invoice_id_invoice")),
        sa.ForeignKeyConstraint(["payment_id"], ["payment.id"], name=op.f("fk_payment_allocation_payment_id_payment")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_allocation")),
    )
    with op.batch_alter_table("payment_allocation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_allocation_invoice_id"), ["invoice_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_payment_allocation_payment_id"), ["payment_id"], unique=False)

    op.create_table(
        "credit_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("sales_order_id", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=False),
        _money("amount"),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        _at("created_at"),
        sa.CheckConstraint("amount > 0", name=op.f("ck_credit_note_amount_positive")),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], name=op.f("fk_credit_note_customer_id_customer")),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoice.id"], name=op.f("fk_credit_note_invoice_id_invoice")),
        sa.ForeignKeyConstraint(
            ["sales_order_id"], ["sales_order.id"], name=op.f("fk_credit_note_sales_order_id_sales_order")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_note")),
        sa.UniqueConstraint("number", name=op.f("uq_credit_note_number")),
    )
    with op.batch_alter_table("credit_note", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_credit_note_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_credit_note_invoice_id"), ["invoice_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_credit_note_sales_order_id"), ["sales_order_id"], unique=False)

    op.create_table(
        "credit_note_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("credit_note_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=3), nullable=False),
        _money("unit_price"),
        _money("amount"),
        sa.CheckConstraint("amount > 0", name=op.f("ck_credit_note_line_amount_positive")),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_credit_note_line_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["credit_note_id"], ["credit_note.id"], name=op.f("fk_credit_note_line_credit_note_id_credit_note"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_note_line")),
    )
    with op.batch_alter_table("credit_note_line", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_credit_note_line_credit_note_id"), ["credit_note_id"], unique=False)

    op.create_table(
        "credit_application",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("credit_note_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        _money("amount"),
        sa.Column("applied_on", sa.Date(), nullable=False),
        _at("created_at"),
        sa.CheckConstraint("amount > 0", name=op.f("ck_credit_application_amount_positive")),
        sa.ForeignKeyConstraint(
            ["credit_note_id"], ["credit_note.id"], name=op.f("fk_credit_application_credit_note_id_credit_note")
        ),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoice.id"], name=op.f("fk_credit_application_invoice_id_invoice")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_application")),
    )
    with op.batch_alter_table("credit_application", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_credit_application_credit_note_id"), ["credit_note_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_credit_application_invoice_id"), ["invoice_id"], unique=False)


def downgrade() -> None:
    """Back to one invoice per payment: a payment becomes one row per allocation; unallocated money is dropped."""
    conn = op.get_bind()
    allocations = conn.execute(sa.text(
        "SELECT a.payment_id, a.invoice_id, a.amount, p.paid_on, p.reference, p.created_at"
        " FROM payment_allocation a JOIN payment p ON p.id = a.payment_id ORDER BY a.payment_id, a.id"
    )).all()
    for table in ("credit_application", "credit_note_line", "credit_note", "payment_allocation"):
        op.drop_table(table)
    conn.execute(sa.text("DELETE FROM payment"))
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_index("uq_payment_customer_id_reference", sqlite_where=_NOT_EMPTY, postgresql_where=_NOT_EMPTY)
        batch_op.drop_index(batch_op.f("ix_payment_customer_id"))
        batch_op.drop_constraint(batch_op.f("fk_payment_customer_id_customer"), type_="foreignkey")
        batch_op.drop_constraint(op.f("ck_payment_payment_method"), type_="check")
        batch_op.drop_column("method")
        batch_op.drop_column("currency")
        batch_op.drop_column("customer_id")
        batch_op.add_column(sa.Column("invoice_id", sa.Integer(), nullable=False))
        batch_op.create_foreign_key(batch_op.f("fk_payment_invoice_id_invoice"), "invoice", ["invoice_id"], ["id"])
        batch_op.create_index(batch_op.f("ix_payment_invoice_id"), ["invoice_id"], unique=False)
    payment = sa.table("payment", *(sa.column(name) for name in (
        "invoice_id", "amount", "paid_on", "reference", "created_at")))
    if allocations:
        op.bulk_insert(payment, [
            {"invoice_id": a.invoice_id, "amount": a.amount, "paid_on": a.paid_on, "reference": a.reference,
             "created_at": a.created_at}
            for a in allocations
        ])
