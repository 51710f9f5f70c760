"""CRM tables: the customer master."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Enum, String
from sqlalchemy.orm import Mapped, mapped_column

from domain import clock
from domain.db import Base, Money


class CustomerTier(enum.StrEnum):
    STRATEGIC = "strategic"
    KEY = "key"
    REGULAR = "regular"


class Customer(Base):
    """A customer; `code` is the business identifier ("C000123") that processes and users refer to."""

    __tablename__ = "customer"
    __table_args__ = (
        CheckConstraint("credit_limit >= 0", name="credit_limit_not_negative"),
        CheckConstraint("payment_terms_days >= 0", name="payment_terms_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    tier: Mapped[CustomerTier] = mapped_column(
        Enum(
            CustomerTier,
            name="tier",
            native_enum=False,
            create_constraint=True,
            length=16,
            values_callable=lambda tiers: [t.value for t in tiers],
        ),
        default=CustomerTier.REGULAR,
    )
    credit_limit: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    payment_terms_days: Mapped[int] = mapped_column(default=30)
    owner: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
