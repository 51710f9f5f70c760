"""How a return ends: a refund by credit note, or replacement goods on a new zero-priced sales order.

Either needs every received unit inspected; restocking may run before or after (in parallel in the process).
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from domain import clock
from domain.errors import InvalidInput
from domain.finance.credit_notes import issue_credit_note
from domain.sales.pricing import CENT
from domain.sales.schemas import SalesOrderLineCreate
from domain.sales.service import confirm_order, create_sales_order
from domain.service.models import ReturnOrder, ReturnResolution
from domain.service.returns import check_ready_to_resolve, get_return, refundable_amount


def refund_return(*, session: Session, return_id: int, actor: str, amount: Decimal | None = None) -> ReturnOrder:
    """Refund by a credit note (applied to the order's open invoices); the amount defaults to the goods' value."""
    rma = get_return(session=session, return_id=return_id, for_update=True)
    check_ready_to_resolve(rma)
    value = refundable_amount(session=session, rma=rma)
    amount = value if amount is None else amount
    if not isinstance(amount, Decimal) or amount.quantize(CENT) != amount or not 0 < amount <= value:
        raise InvalidInput(f"refund of {amount} must be positive, in cents, and at most the goods' value {value}")
    note = issue_credit_note(session=session, customer_id=rma.customer_id, amount=amount, actor=actor,
                             reason=f"Return {rma.number}", sales_order_id=rma.sales_order_id)
    rma.resolution, rma.refund_amount = ReturnResolution.REFUND, amount
    rma.credit_note_id, rma.credit_note_number = note.id, note.number
    rma.resolved_at = clock.now()
    session.flush()
    return rma


def replace_return(*, session: Session, return_id: int, actor: str) -> ReturnOrder:
    """Send the received goods again: a confirmed, zero-priced sales order to reserve and ship as usual."""
    rma = get_return(session=session, return_id=return_id, for_update=True)
    check_ready_to_resolve(rma)
    lines = [SalesOrderLineCreate(item_sku=line.item.sku, quantity=line.received_qty, unit_price=Decimal("0"))
             for line in rma.lines if line.received_qty > 0]
    order = create_sales_order(session=session, customer_code=rma.customer.code, lines=lines,
                               business_key=rma.number, actor=actor)
    confirm_order(session=session, order_id=order.id)
    rma.resolution, rma.replacement_order_id = ReturnResolution.REPLACEMENT, order.id
    rma.resolved_at = clock.now()
    session.flush()
    return rma
