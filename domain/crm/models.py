"""CRM tables: customers, contacts, leads, opportunities and the follow-up log."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain import clock
from domain.db import Base, Money, TextEnum
from domain.sales.pricing import to_cents


class CustomerTier(enum.StrEnum):
    STRATEGIC = "strategic"
    KEY = "key"
    REGULAR = "regular"


class CreditRating(enum.StrEnum):
    A = "A"
    B = "B"
    C = "C"
    D = "D"


WEAK_RATINGS = frozenset({CreditRating.C, CreditRating.D})


def is_weak_credit(rating: CreditRating | str | None) -> bool:
    """Whether a credit rating is weak (C or D): large orders from such customers also notify Finance."""
    return rating is not None and str(rating) in WEAK_RATINGS


class ContactRole(enum.StrEnum):
    DECISION_MAKER = "decision_maker"
    TECHNICAL = "technical"
    FINANCE = "finance"
    RECEIVING = "receiving"


class LeadStatus(enum.StrEnum):
    NEW = "new"
    CONTACTED = "contacted"
    QUALIFIED = "qualified"
    DISQUALIFIED = "disqualified"
    CONVERTED = "converted"


class OpportunityStage(enum.StrEnum):
    QUALIFICATION = "qualification"
    PROPOSAL = "proposal"
    NEGOTIATION = "negotiation"
    WON = "won"
    LOST = "lost"


CLOSED_STAGES = frozenset({OpportunityStage.WON, OpportunityStage.LOST})


class FollowUpChannel(enum.StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    VISIT = "visit"
    MEETING = "meeting"
    CHAT = "chat"
    OTHER = "other"


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
        TextEnum(CustomerTier, "tier"),
        default=CustomerTier.REGULAR,
    )
    credit_limit: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    payment_terms_days: Mapped[int] = mapped_column(default=30)
    owner: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    credit_rating: Mapped[CreditRating] = mapped_column(TextEnum(CreditRating, "credit_rating"), default=CreditRating.B)
    region: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    industry: Mapped[str | None] = mapped_column(String(64), default=None)
    sales_team: Mapped[str | None] = mapped_column(String(64), default=None)  # a group name: who works the pool
    last_follow_up_at: Mapped[datetime | None] = mapped_column(default=None)
    in_shared_pool: Mapped[bool] = mapped_column(default=False)
    pooled_at: Mapped[datetime | None] = mapped_column(default=None)

    contacts: Mapped[list[Contact]] = relationship(
        back_populates="customer", order_by="Contact.id", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def weak_credit(self) -> bool:
        return is_weak_credit(self.credit_rating)


class Contact(Base):
    """A person at a customer; one person may hold several roles (e.g. decision maker and finance)."""

    __tablename__ = "contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(100), default=None)
    email: Mapped[str | None] = mapped_column(String(254), default=None)
    phone: Mapped[str | None] = mapped_column(String(40), default=None)
    # A short list of ContactRole values; a JSON list keeps "several roles" one row without a join table.
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    customer: Mapped[Customer] = relationship(back_populates="contacts")


class Lead(Base):
    """A prospect before it is qualified; once qualified it links to the customer and opportunity it became."""

    __tablename__ = "lead"
    __table_args__ = (Index("ix_lead_status_owner", "status", "owner"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    company: Mapped[str] = mapped_column(String(200))
    contact_name: Mapped[str | None] = mapped_column(String(200), default=None)
    email: Mapped[str | None] = mapped_column(String(254), default=None)
    phone: Mapped[str | None] = mapped_column(String(40), default=None)
    region: Mapped[str | None] = mapped_column(String(64), default=None)
    industry: Mapped[str | None] = mapped_column(String(64), default=None)
    status: Mapped[LeadStatus] = mapped_column(TextEnum(LeadStatus, "lead_status"), default=LeadStatus.NEW)
    owner: Mapped[str | None] = mapped_column(String(64), default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    disqualified_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    business_key: Mapped[str | None] = mapped_column(String(128), default=None, index=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    assigned_at: Mapped[datetime | None] = mapped_column(default=None)
    first_contacted_at: Mapped[datetime | None] = mapped_column(default=None)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), default=None, index=True)

    customer: Mapped[Customer | None] = relationship()
    opportunity: Mapped[Opportunity | None] = relationship(viewonly=True, uselist=False, lazy="selectin")


class Opportunity(Base):
    """A deal in the pipeline for a customer; weighted amount = amount * probability."""

    __tablename__ = "opportunity"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint("probability >= 0 AND probability <= 100", name="probability_range"),
        Index("ix_opportunity_stage_owner", "stage", "owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("lead.id"), default=None, unique=True)
    title: Mapped[str] = mapped_column(String(200))
    stage: Mapped[OpportunityStage] = mapped_column(
        TextEnum(OpportunityStage, "opportunity_stage"), default=OpportunityStage.QUALIFICATION
    )
    amount: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    probability: Mapped[int] = mapped_column(default=10)
    expected_close: Mapped[date | None] = mapped_column(default=None)
    owner: Mapped[str | None] = mapped_column(String(64), default=None)
    lost_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)

    customer: Mapped[Customer] = relationship(lazy="selectin")
    lead: Mapped[Lead | None] = relationship(foreign_keys=[lead_id], overlaps="opportunity")

    @property
    def weighted_amount(self) -> Decimal:
        """amount * probability / 100, to the cent."""
        return to_cents(self.amount * self.probability / 100)

    @property
    def is_open(self) -> bool:
        return self.stage not in CLOSED_STAGES


class FollowUp(Base):
    """One contact with a customer, lead or opportunity: when, by whom, how, and what was said."""

    __tablename__ = "follow_up"
    __table_args__ = (
        CheckConstraint(
            "customer_id IS NOT NULL OR lead_id IS NOT NULL OR opportunity_id IS NOT NULL", name="has_subject"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), default=None, index=True)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("lead.id"), default=None, index=True)
    opportunity_id: Mapped[int | None] = mapped_column(ForeignKey("opportunity.id"), default=None, index=True)
    at: Mapped[datetime] = mapped_column(default=clock.now)
    by: Mapped[str] = mapped_column(String(64))
    channel: Mapped[FollowUpChannel] = mapped_column(TextEnum(FollowUpChannel, "channel"))
    note: Mapped[str] = mapped_column(Text, default="")
