"""Customers: codes, look-ups and the crm.get_customer operator."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError
from sqlalchemy.orm import Session

from domain.crm import service
from domain.crm.models import ContactRole, CreditRating, CustomerTier, is_weak_credit
from domain.crm.operators import OPERATORS, GetCustomerParams
from domain.crm.schemas import ContactCreate, CustomerCreate
from domain.errors import Conflict, NotFound
from tests.factories import make_customer


def test_customer_code_is_generated_from_the_id(session: Session) -> None:
    customer = make_customer(session)

    assert customer.code == f"C{customer.id:06d}"


def test_given_customer_code_is_kept(session: Session) -> None:
    customer = make_customer(session, code="ACME")

    assert service.get_customer_by_code(session=session, code="ACME") is customer


def test_duplicate_customer_code_is_a_conflict(session: Session) -> None:
    make_customer(session, code="ACME")

    with pytest.raises(Conflict):
        make_customer(session, code="ACME")


def test_unknown_customer_code_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound):
        service.get_customer_by_code(session=session, code="NOPE")


def test_new_customer_defaults_to_cny_and_regular_tier(session: Session) -> None:
    customer = make_customer(session)

    assert (customer.currency, customer.tier, customer.payment_terms_days) == ("CNY", CustomerTier.REGULAR, 30)


def test_currency_must_be_three_capital_letters() -> None:
    with pytest.raises(ValidationError):
        CustomerCreate(name="Acme", currency="yuan")


def test_list_customers_searches_code_and_name(session: Session) -> None:
    acme = make_customer(session, name="Acme Pumps Ningbo")
    make_customer(session, name="Other Co")

    assert service.list_customers(session=session, q="pumps ning") == [acme]
    assert service.list_customers(session=session, q=acme.code.lower()) == [acme]


def test_list_customers_filters_by_rating_region_and_pool(session: Session) -> None:
    weak = make_customer(session, credit_rating="D", region="north-x")
    make_customer(session, credit_rating="A", region="north-x")

    found = service.list_customers(session=session, credit_rating=CreditRating.D, region="north-x",
                                   in_shared_pool=False)

    assert found == [weak]


def test_credit_ratings_c_and_d_are_weak() -> None:
    assert [is_weak_credit(r) for r in ("A", "B", "C", "D", None)] == [False, False, True, True, False]


def test_contact_keeps_several_roles(session: Session) -> None:
    customer = make_customer(session)
    service.add_contact(session=session, customer_id=customer.id, data=ContactCreate(
        name="Mr. Li", email="li@example.com", roles=[ContactRole.FINANCE, ContactRole.DECISION_MAKER]))
    service.add_contact(session=session, customer_id=customer.id, data=ContactCreate(name="Ms. Zhao", roles=[]))

    (receiver,) = service.list_contacts(session=session, customer_id=customer.id, role=ContactRole.FINANCE)

    assert (receiver.name, receiver.roles) == ("Mr. Li", ["decision_maker", "finance"])


def test_contact_email_must_look_like_one() -> None:
    with pytest.raises(ValidationError):
        ContactCreate(name="Mr. Li", email="not-an-email")


def test_list_customers_filters_by_owner(session: Session) -> None:
    mine = make_customer(session, owner="alice")
    make_customer(session, owner="bob")

    assert service.list_customers(session=session, owner="alice") == [mine]


def test_get_customer_operator_returns_terms(session: Session) -> None:
    make_customer(session, code="ACME", tier="key", credit_limit=Decimal("5000.50"), payment_terms_days=45,
                  credit_rating="C", region="east")
    operator = next(op for op in OPERATORS if op.name == "crm.get_customer")
    params = GetCustomerParams.model_validate({"customer_code": "ACME"})

    result = operator.func(session=session, **params.model_dump())

    assert result | {"id": 0} == {
        "id": 0,
        "code": "ACME",
        "name": "Acme Trading",
        "tier": "key",
        "credit_limit": Decimal("5000.50"),
        "currency": "CNY",
        "payment_terms_days": 45,
        "credit_rating": "C",
        "weak_credit": True,
        "owner": None,
        "region": "east",
        "industry": None,
        "sales_team": None,
    }
