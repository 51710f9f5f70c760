"""CRM input and output shapes (pydantic)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from domain.crm.models import (
    ContactRole,
    CreditRating,
    CustomerTier,
    FollowUpChannel,
    LeadStatus,
    OpportunityStage,
)

MoneyAmount = Annotated[Decimal, Field(max_digits=18, decimal_places=2)]
CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
ShortText = Annotated[str, Field(max_length=64)]
Email = Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Phone = Annotated[str, Field(max_length=40, pattern=r"^[0-9+()\-. ]+$")]


class CustomerCreate(BaseModel):
    code: Annotated[str, Field(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9_-]+$")] | None = None
    name: Annotated[str, Field(min_length=1, max_length=200)]
    tier: CustomerTier = CustomerTier.REGULAR
    credit_rating: CreditRating = CreditRating.B
    credit_limit: Annotated[MoneyAmount, Field(ge=0)] = Decimal("0.00")
    currency: CurrencyCode = "CNY"
    payment_terms_days: Annotated[int, Field(ge=0, le=365)] = 30
    owner: ShortText | None = None
    region: ShortText | None = None
    industry: ShortText | None = None
    sales_team: ShortText | None = None


class CustomerRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    tier: CustomerTier
    credit_rating: CreditRating
    weak_credit: bool
    credit_limit: Decimal
    currency: str
    payment_terms_days: int
    owner: str | None
    region: str | None
    industry: str | None
    sales_team: str | None
    last_follow_up_at: datetime | None
    in_shared_pool: bool
    pooled_at: datetime | None
    created_at: datetime


class ContactCreate(BaseModel):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    title: Annotated[str, Field(max_length=100)] | None = None
    email: Email | None = None
    phone: Phone | None = None
    roles: list[ContactRole] = Field(default_factory=list)

    @field_validator("roles")
    @classmethod
    def _distinct(cls, roles: list[ContactRole]) -> list[ContactRole]:
        return sorted(set(roles), key=list(ContactRole).index)


class ContactRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    customer_id: int
    name: str
    title: str | None
    email: str | None
    phone: str | None
    roles: list[ContactRole]


class LeadCreate(BaseModel):
    source: Annotated[str, Field(min_length=1, max_length=32)]
    company: Annotated[str, Field(min_length=1, max_length=200)]
    contact_name: Annotated[str, Field(max_length=200)] | None = None
    email: Email | None = None
    phone: Phone | None = None
    region: ShortText | None = None
    industry: ShortText | None = None
    owner: ShortText | None = None
    note: Annotated[str, Field(max_length=4000)] | None = None
    business_key: Annotated[str, Field(max_length=128)] | None = None


class LeadRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    source: str
    company: str
    contact_name: str | None
    email: str | None
    phone: str | None
    region: str | None
    industry: str | None
    status: LeadStatus
    owner: str | None
    business_key: str | None
    created_at: datetime
    assigned_at: datetime | None
    first_contacted_at: datetime | None
    customer_id: int | None


class OpportunityCreate(BaseModel):
    customer_code: Annotated[str, Field(min_length=1)]
    title: Annotated[str, Field(min_length=1, max_length=200)]
    amount: Annotated[MoneyAmount, Field(ge=0)] = Decimal("0.00")
    probability: Annotated[int, Field(ge=0, le=100)] | None = None
    expected_close: date | None = None
    owner: ShortText | None = None


class OpportunityRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    customer_id: int
    lead_id: int | None
    title: str
    stage: OpportunityStage
    amount: Decimal
    currency: str
    probability: int
    weighted_amount: Decimal
    expected_close: date | None
    owner: str | None
    created_at: datetime
    closed_at: datetime | None


class FollowUpCreate(BaseModel):
    customer_code: str | None = None
    lead_id: int | None = None
    opportunity_id: int | None = None
    channel: FollowUpChannel = FollowUpChannel.PHONE
    note: Annotated[str, Field(max_length=4000)] = ""
    at: datetime | None = None


class FollowUpRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    customer_id: int | None
    lead_id: int | None
    opportunity_id: int | None
    at: datetime
    by: str
    channel: FollowUpChannel
    note: str
