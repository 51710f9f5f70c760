"""Operators for fault tests, loaded by workers through FLOWDESK_OPERATOR_MODULES=tests.fault_operators."""

from __future__ import annotations

import os
import time
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.inventory import service as inventory
from domain.inventory.models import Warehouse
from domain.operators import Operator


class _ReceiveParams(BaseModel):
    sku: str
    warehouse_code: str
    quantity: Decimal
    reference: str
    pause_flag: str = ""


def receive_then_pause(*, session: Session, sku: str, warehouse_code: str, quantity: Decimal, reference: str,
                       pause_flag: str) -> dict[str, Any]:
    """Post a stock receipt, then, the first time only (the flag file exists), stall long enough to be killed."""
    item = inventory.get_item_by_sku(session=session, sku=sku)
    warehouse = session.scalar(select(Warehouse).where(Warehouse.code == warehouse_code))
    assert warehouse is not None
    inventory.receive_stock(session=session, item_id=item.id, warehouse_id=warehouse.id, quantity=quantity,
                            reference=reference, actor="system")
    session.flush()
    if pause_flag and os.path.exists(pause_flag):
        os.remove(pause_flag)
        time.sleep(120)
    return {"received": quantity}


OPERATORS = [
    Operator(name="faults.receive_then_pause", func=receive_then_pause, params=_ReceiveParams, asynchronous=True,
             retries=3, backoff_seconds=1.0, description="Test only: a receipt that stalls once."),
]
