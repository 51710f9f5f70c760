"""crm and sales: contacts, leads, opportunities, follow-ups, quotes (#3)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 14:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import domain.db

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_RATINGS = ("A", "B", "C", "D")
_LEAD_STATUSES = ("new", "contacted", "qualified", "disqualified", "converted")
_STAGES = ("qualification", "proposal", "negotiation", "won", "lost")
_CHANNELS = ("phone", "email", "visit", "meeting", "chat", "other")
_QUOTE_STATUSES = ("draft", "sent", "accepted", "rejected", "expired")


def _enum(name: str, values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=16)


def _at(name: str, nullable: bool = True) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, domain.db.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("credit_rating", _enum("credit_rating", _RATINGS), server_default="B",
                                      nullable=False))
        batch_op.add_column(sa.Column("region", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("industry", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("sales_team", sa.String(length=64), nullable=True))
        batch_op.add_column(_at("last_follow_up_at"))
        batch_op.add_column(sa.Column("in_shared_pool", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(_at("pooled_at"))
        batch_op.create_index(batch_op.f("ix_customer_region"), ["region"], unique=False)

    op.create_table(
        "contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("roles", sa.JSON(), nullable=False),
        _at("created_at", nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], name=op.f("fk_contact_customer_id_customer"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact")),
    )
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contact_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "lead",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("company", sa.String(length=200), nullable=False),
        sa.Column("contact_name", sa.String(length=200), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("region", sa.String(length=64), nullable=True),
        sa.Column("industry", sa.String(length=64), nullable=True),
        sa.Column("status", _enum("lead_status", _LEAD_STATUSES), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("disqualified_reason", sa.String(length=500), nullable=True),
        sa.Column("business_key", sa.String(length=128), nullable=True),
        _at("created_at", nullable=False),
        _at("assigned_at"),
        _at("first_contacted_at"),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], name=op.f("fk_lead_customer_id_customer")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead")),
    )
    with op.batch_alter_table("lead", schema=None) as batch_op:
        batch_op.create_index("ix_lead_status_owner", ["status", "owner"], unique=False)
        batch_op.create_index(batch_op.f("ix_lead_business_key"), ["business_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_lead_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "opportunity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("stage", _enum("opportunity_stage", _STAGES), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("probability", sa.Integer(), nullable=False),
        sa.Column("expected_close", sa.Date(), nullable=True),
        sa.Column("owner", sa.String(length=64), nullable=True),
        sa.Column("lost_reason", sa.String(length=500), nullable=True),
        _at("created_at", nullable=False),
        _at("closed_at"),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_opportunity_amount_not_negative")),
        sa.CheckConstraint("probability >= 0 AND probability <= 100", name=op.f("ck_opportunity_probability_range")),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], name=op.f("fk_opportunity_customer_id_customer")),
        sa.ForeignKeyConstraint(["lead_id"], ["lead.id"], name=op.f("fk_opportunity_lead_id_lead")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opportunity")),
        sa.UniqueConstraint("lead_id", name=op.f("uq_opportunity_lead_id")),
    )
    with op.batch_alter_table("opportunity", schema=None) as batch_op:
        batch_op.create_index("ix_opportunity_stage_owner", ["stage", "owner"], unique=False)
        batch_op.create_index(batch_op.f("ix_opportunity_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "follow_up",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("lead_id", sa.Integer(), nullable=True),
        sa.Column("opportunity_id", sa.Integer(), nullable=True),
        _at("at", nullable=False),
        sa.Column("by", sa.String(length=64), nullable=False),
        sa.Column("channel", _enum("channel", _CHANNELS), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.CheckConstraint("customer_id IS NOT NULL OR lead_id IS NOT NULL OR opportunity_id IS NOT NULL",
                           name=op.f("ck_follow_up_has_subject")),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], name=op.f("fk_follow_up_customer_id_customer")),
        sa.ForeignKeyConstraint(["lead_id"], ["lead.id"], name=op.f("fk_follow_up_lead_id_lead")),
        sa.ForeignKeyConstraint(["opportunity_id"], ["opportunity.id"],
                                name=op.f("fk_follow_up_opportunity_id_opportunity")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_up")),
    )
    with op.batch_alter_table("follow_up", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_follow_up_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_follow_up_lead_id"), ["lead_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_follow_up_opportunity_id"), ["opportunity_id"], unique=False)

    op.create_table(
        "quote",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("opportunity_id", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", _enum("quote_status", _QUOTE_STATUSES), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("business_key", sa.String(length=128), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("sales_order_id", sa.Integer(), nullable=True),
        _at("created_at", nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        _at("sent_at"),
        _at("answered_at"),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], name=op.f("fk_quote_customer_id_customer")),
        sa.ForeignKeyConstraint(["opportunity_id"], ["opportunity.id"],
                                name=op.f("fk_quote_opportunity_id_opportunity")),
        sa.ForeignKeyConstraint(["sales_order_id"], ["sales_order.id"],
                                name=op.f("fk_quote_sales_order_id_sales_order")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quote")),
        sa.UniqueConstraint("number", name=op.f("uq_quote_number")),
    )
    with op.batch_alter_table("quote", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quote_business_key"), ["business_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_quote_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_quote_opportunity_id"), ["opportunity_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_quote_status"), ["status"], unique=False)

    op.create_table(
        "quote_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("quote_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=3), nullable=False),
        sa.Column("list_price", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("unit_cost", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("discount_pct", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.CheckConstraint("discount_pct >= 0 AND discount_pct <= 100", name=op.f("ck_quote_line_discount_pct_range")),
        sa.CheckConstraint("list_price >= 0", name=op.f("ck_quote_line_list_price_not_negative")),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_quote_line_quantity_positive")),
        sa.CheckConstraint("unit_cost >= 0", name=op.f("ck_quote_line_unit_cost_not_negative")),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], name=op.f("fk_quote_line_item_id_item")),
        sa.ForeignKeyConstraint(["quote_id"], ["quote.id"], name=op.f("fk_quote_line_quote_id_quote"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quote_line")),
    )
    with op.batch_alter_table("quote_line", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quote_line_item_id"), ["item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_quote_line_quote_id"), ["quote_id"], unique=False)


def downgrade() -> None:
    for table in ("quote_line", "quote", "follow_up", "opportunity", "lead", "contact"):
        op.drop_table(table)
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_region"))
        batch_op.drop_constraint(op.f("ck_customer_credit_rating"), type_="check")
        for column in ("pooled_at", "in_shared_pool", "last_follow_up_at", "sales_team", "industry", "region",
                       "credit_rating"):
            batch_op.drop_column(column)
