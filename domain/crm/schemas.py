"""CRM input and output shapes (pydantic)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from domain.crm.models import CustomerTier

MoneyAmount = Annotated[Decimal, Field(max_digits=18, decimal_places=2)]
CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]


class CustomerCreate(BaseModel):
    code: Annotated[str, Field(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9_-]+$")] | None = None
    name: Annotated[str, Field(min_length=1, max_length=200)]
    tier: CustomerTier = CustomerTier.REGULAR
    credit_limit: Annotated[MoneyAmount, Field(ge=0)] = Decimal("0.00")
    currency: CurrencyCode = "CNY"
    payment_terms_days: Annotated[int, Field(ge=0, le=365)] = 30
    owner: Annotated[str, Field(max_length=64)] | None = None


class CustomerRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    tier: CustomerTier
    credit_limit: Decimal
    currency: str
    payment_terms_days: int
    owner: str | None
    created_at: datetime
