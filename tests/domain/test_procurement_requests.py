"""Purchase requests: sources, derived status, one- and two-step approvals recorded on the request."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from domain.errors import Conflict, InvalidInput
from domain.procurement import orders, service
from domain.procurement.models import Decision, RequestSource, RequestStatus
from domain.procurement.schemas import ApprovalCreate, PurchaseRequestCreate, ShortfallLine
from tests.factories import ACTOR, make_customer, make_item, make_order, make_warehouse
from tests.procurement_factories import approve, make_request, make_supplier


def _decide(session: Session, request_id: int, step: int, decision: Decision, comment: str = "") -> None:
    data = ApprovalCreate(step=step, decision=decision, comment=comment)
    service.record_approval(session=session, request_id=request_id, data=data, actor="lead")


def test_new_request_is_numbered_and_pending(session: Session) -> None:
    request = make_request(session, make_item(session), "5")

    assert (request.number, request.status, request.source) == (
        f"PR{request.id:06d}",
        RequestStatus.PENDING,
        RequestSource.MANUAL,
    )


def test_request_above_the_threshold_needs_two_steps(session: Session) -> None:
    item = make_item(session, unit_cost=Decimal("100.00"))

    assert make_request(session, item, "51").required_steps == 2
    assert make_request(session, item, "50").required_steps == 1


def test_approval_is_recorded_with_who_step_decision_and_comment(session: Session) -> None:
    request = make_request(session, make_item(session), "5")

    _decide(session, request.id, 1, Decision.APPROVED, "needed for SO")

    approval = request.approvals[0]
    assert (approval.step, approval.decision, approval.decided_by, approval.comment) == (
        1,
        Decision.APPROVED,
        "lead",
        "needed for SO",
    )
    assert approval.decided_at is not None
    assert request.status == RequestStatus.APPROVED


def test_two_step_request_stays_pending_after_the_first_approval(session: Session) -> None:
    request = make_request(session, make_item(session), "5", required_steps=2)

    _decide(session, request.id, 1, Decision.APPROVED)

    assert (request.status, request.next_step) == (RequestStatus.PENDING, 2)
    _decide(session, request.id, 2, Decision.APPROVED)
    assert request.status == RequestStatus.APPROVED


def test_a_rejection_ends_the_approval(session: Session) -> None:
    request = make_request(session, make_item(session), "5", required_steps=2)
    _decide(session, request.id, 1, Decision.REJECTED, "not in budget")

    assert request.status == RequestStatus.REJECTED
    with pytest.raises(Conflict):
        _decide(session, request.id, 2, Decision.APPROVED)


def test_deciding_a_step_out_of_turn_is_a_conflict(session: Session) -> None:
    request = make_request(session, make_item(session), "5", required_steps=2)

    with pytest.raises(Conflict):
        _decide(session, request.id, 2, Decision.APPROVED)


def test_shortage_request_needs_its_sales_order(session: Session) -> None:
    with pytest.raises(InvalidInput):
        make_request(session, make_item(session), "5", source=RequestSource.SHORTAGE)


def test_shortage_requests_remember_the_order_and_the_waiting_instance(session: Session) -> None:
    item = make_item(session)
    order = make_order(session, make_customer(session), (item, "9"))

    [request] = service.create_shortage_requests(
        session=session,
        sales_order_id=order.id,
        shortfall=[ShortfallLine(item_sku=item.sku, quantity=Decimal("4"))],
        business_key="L2C-42",
        instance_id=7,
        actor=ACTOR,
    )

    assert (request.source, request.sales_order_id, request.business_key, request.instance_id, request.quantity) == (
        RequestSource.SHORTAGE,
        order.id,
        "L2C-42",
        7,
        Decimal("4.000"),
    )


def test_a_shortage_already_requested_for_the_order_is_not_requested_twice(session: Session) -> None:
    item = make_item(session)
    order = make_order(session, make_customer(session), (item, "9"))
    shortfall = [ShortfallLine(item_sku=item.sku, quantity=Decimal("4"))]
    kwargs = {"sales_order_id": order.id, "shortfall": shortfall, "business_key": "L2C-1", "actor": ACTOR}

    first = service.create_shortage_requests(session=session, **kwargs)  # type: ignore[arg-type]
    again = service.create_shortage_requests(session=session, **kwargs)  # type: ignore[arg-type]

    assert [r.id for r in again] == [r.id for r in first]


def test_ordering_marks_the_request_ordered(session: Session) -> None:
    item, warehouse = make_item(session), make_warehouse(session)
    supplier = make_supplier(session, (item, "1.00"))
    request = approve(session, make_request(session, item, "3"))

    orders.create_purchase_order(
        session=session, request_ids=[request.id], supplier_id=supplier.id, warehouse_id=warehouse.id, actor=ACTOR
    )

    assert request.status == RequestStatus.ORDERED


def test_unapproved_request_cannot_be_ordered(session: Session) -> None:
    item, warehouse = make_item(session), make_warehouse(session)
    supplier = make_supplier(session, (item, "1.00"))
    request = make_request(session, item, "3")

    with pytest.raises(Conflict):
        orders.create_purchase_order(
            session=session, request_ids=[request.id], supplier_id=supplier.id, warehouse_id=warehouse.id, actor=ACTOR
        )


def test_requests_filter_by_derived_status(session: Session) -> None:
    item = make_item(session)
    approved = approve(session, make_request(session, item, "1"))
    pending = make_request(session, item, "2")

    listed = service.list_purchase_requests(session=session, status=RequestStatus.APPROVED)

    assert approved.id in {r.id for r in listed} and pending.id not in {r.id for r in listed}


def test_request_quantity_must_be_positive() -> None:
    with pytest.raises(ValueError):
        PurchaseRequestCreate(item_sku="X", quantity=Decimal("0"))


def test_requests_are_found_by_item_sku(session: Session) -> None:
    item, other = make_item(session), make_item(session)
    wanted = make_request(session, item, "1")
    make_request(session, other, "1")

    assert [r.id for r in service.list_purchase_requests(session=session, search=item.sku)] == [wanted.id]


def test_the_approval_rule_may_ask_for_a_second_step(session: Session) -> None:
    request = make_request(session, make_item(session), "5")

    service.set_approval_steps(session=session, request_id=request.id, steps=2)
    _decide(session, request.id, 1, Decision.APPROVED)

    assert (request.status, request.next_step) == (RequestStatus.PENDING, 2)


def test_steps_of_a_decided_request_cannot_change(session: Session) -> None:
    request = make_request(session, make_item(session), "5")
    _decide(session, request.id, 1, Decision.APPROVED)

    with pytest.raises(Conflict):
        service.set_approval_steps(session=session, request_id=request.id, steps=2)


def test_an_explicit_step_count_overrides_the_value_rule(session: Session) -> None:
    item = make_item(session, unit_cost=Decimal("100.00"))

    assert make_request(session, item, "500", required_steps=1).required_steps == 1
