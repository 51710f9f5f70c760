"""Parameter schemas of the procurement operators (validated by the engine before the call)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field, model_validator

from domain.procurement.models import Decision
from domain.procurement.schemas import InvoiceLineCreate, MatchTolerance, ReceiptLineCreate, ShortfallLine

Id = Annotated[int, Field(gt=0)]


class CreateRequestParams(BaseModel):
    lines: Annotated[list[ShortfallLine], Field(min_length=1)]
    sales_order_id: Id | None = None  # set: a shortage of that order
    business_key: Annotated[str, Field(max_length=128)] | None = None  # of the instance waiting for the goods
    instance_id: Id | None = None
    needed_by: date | None = None
    required_steps: Annotated[int, Field(ge=1, le=2)] | None = None  # None: by value
    note: Annotated[str, Field(max_length=2000)] = ""


class StepsParams(BaseModel):
    request_id: Id
    steps: Annotated[int, Field(ge=1, le=2)]


class ApprovalParams(BaseModel):
    request_id: Id
    step: Annotated[int, Field(ge=1, le=2)]
    decision: Decision
    approver: Annotated[str, Field(min_length=1, max_length=64)]
    comment: Annotated[str, Field(max_length=2000)] = ""


class ChooseSupplierParams(BaseModel):
    item_sku: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    request_id: Id | None = None

    @model_validator(mode="after")
    def _one_of(self) -> ChooseSupplierParams:
        if (self.item_sku is None) == (self.request_id is None):
            raise ValueError("give either item_sku or request_id")
        return self


class CreateOrderParams(BaseModel):
    request_ids: Annotated[list[Id], Field(min_length=1)]
    supplier_id: Id | None = None
    warehouse_id: Id | None = None


class OrderIdParams(BaseModel):
    purchase_order_id: Id


class ReceiptParams(BaseModel):
    purchase_order_id: Id
    lines: list[ReceiptLineCreate] | None = None  # None: everything still open arrived and was accepted
    received_on: date | None = None


class ReceiptIdParams(BaseModel):
    receipt_id: Id
    reason: Annotated[str, Field(max_length=2000)] = ""


class RegisterInvoiceParams(BaseModel):
    purchase_order_id: Id
    supplier_number: Annotated[str, Field(min_length=1, max_length=64)]
    invoice_date: date
    lines: Annotated[list[InvoiceLineCreate], Field(min_length=1)]


class MatchParams(BaseModel):
    invoice_id: Id
    tolerance: MatchTolerance | None = None


class ApproveInvoiceParams(BaseModel):
    invoice_id: Id
    approver: Annotated[str, Field(min_length=1, max_length=64)]
    comment: Annotated[str, Field(min_length=1, max_length=2000)]


class PayParams(BaseModel):
    invoice_id: Id
    amount: Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=2)] | None = None
    paid_on: date | None = None
    reference: Annotated[str, Field(max_length=100)] = ""


class NoParams(BaseModel):
    pass
