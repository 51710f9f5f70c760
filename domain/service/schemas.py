"""Service input and output shapes (pydantic)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from domain.service.models import (
    Channel,
    Disposition,
    InspectionResult,
    ReturnResolution,
    ReturnStatus,
    TicketStatus,
)
from domain.service.sla import Priority

PositiveQuantity = Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=3)]


class TicketCreate(BaseModel):
    customer_code: Annotated[str, Field(min_length=1, max_length=40)]
    subject: Annotated[str, Field(min_length=1, max_length=200)]
    description: str = ""
    channel: Channel = Channel.PHONE
    priority: Annotated[str, Field(description="P1-P4 or urgent/high/normal/low")] = "P3"
    category: Annotated[str, Field(min_length=1, max_length=64)] = "general"
    contact_id: Annotated[int | None, Field(gt=0)] = None
    contact: Annotated[str | None, Field(max_length=200)] = None
    sales_order_id: Annotated[int | None, Field(gt=0)] = None
    item_sku: Annotated[str | None, Field(max_length=64)] = None
    business_key: Annotated[str | None, Field(max_length=128)] = None


class PartUsed(BaseModel):
    item_sku: Annotated[str, Field(min_length=1, max_length=64)]
    warehouse_id: Annotated[int, Field(gt=0)]
    quantity: PositiveQuantity


class ReturnLineCreate(BaseModel):
    shipment_line_id: Annotated[int, Field(gt=0)]
    quantity: PositiveQuantity
    reason: Annotated[str, Field(max_length=200)] = ""


class ReceivedLine(BaseModel):
    line_id: Annotated[int, Field(gt=0)]
    quantity: PositiveQuantity


class InspectedLine(BaseModel):
    line_id: Annotated[int, Field(gt=0)]
    result: InspectionResult
    disposition: Disposition


class VisitPartRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    item_id: int
    warehouse_id: int
    quantity: Decimal
    stock_move_id: int


class VisitRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    technician: str
    scheduled_at: datetime
    visited_at: datetime | None
    report: str
    parts: list[VisitPartRead]


class TicketRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    customer_id: int
    contact_id: int | None
    contact: str | None
    channel: Channel
    priority: Priority
    category: str
    subject: str
    description: str
    status: TicketStatus
    sales_order_id: int | None
    item_id: int | None
    business_key: str | None
    created_at: datetime
    created_by: str
    response_due_at: datetime
    resolution_due_at: datetime
    first_response_at: datetime | None
    technician: str | None
    resolved_at: datetime | None
    resolution_code: str | None
    resolution_notes: str
    closed_at: datetime | None
    reopen_count: int
    visits: list[VisitRead]


class ReturnLineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    shipment_line_id: int
    item_id: int
    quantity: Decimal
    reason: str
    received_qty: Decimal
    inspected_qty: Decimal
    inspection_result: InspectionResult | None
    disposition: Disposition | None
    restocked_qty: Decimal
    scrapped_qty: Decimal
    repaired_at: datetime | None


class ReturnRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    ticket_id: int
    customer_id: int
    sales_order_id: int
    shipment_id: int
    warehouse_id: int
    status: ReturnStatus
    created_at: datetime
    created_by: str
    resolution: ReturnResolution | None
    refund_amount: Decimal | None
    credit_note_id: int | None
    credit_note_number: str | None
    replacement_order_id: int | None
    resolved_at: datetime | None
    lines: list[ReturnLineRead]


class SurveyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    ticket_id: int
    customer_id: int
    sent_at: datetime
    answered_at: datetime | None
    score: int | None
    comment: str


class NpsResult(BaseModel):
    """Net promoter score over answered surveys: %promoters - %detractors, rounded half-up to one place."""

    responses: int
    promoters: int
    passives: int
    detractors: int
    score: Decimal | None  # None without responses
