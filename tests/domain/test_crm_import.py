"""Customer import: CSV (UTF-8, BOM, GBK) and XLSX to a preview with per-cell errors; all or nothing."""

from __future__ import annotations

import io
import uuid
from decimal import Decimal

import pytest
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from domain.crm.importing import apply_import, parse_customers
from domain.crm.models import CreditRating, Customer, CustomerTier
from domain.errors import InvalidInput
from tests.factories import make_customer

HEADER = "code,name,tier,credit_rating,credit_limit,payment_terms_days,owner,region\n"


def _names() -> tuple[str, str]:
    tag = uuid.uuid4().hex[:8]
    return f"Import A {tag}", f"Import B {tag}"


def _csv(*rows: str, header: str = HEADER) -> bytes:
    return (header + "\n".join(rows) + "\n").encode()


def _xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _count(session: Session, *names: str) -> int:
    return len(list(session.scalars(select(Customer.id).where(Customer.name.in_(names)))))


def test_valid_csv_previews_every_row(session: Session) -> None:
    a, b = _names()

    preview = parse_customers(session=session, filename="c.csv", content=_csv(
        f",{a},key,A,50000.00,45,sales,east", f",{b},,,,,,"))

    assert preview.ok
    first, second = (row.data for row in preview.rows)
    assert first is not None and second is not None
    assert (first.tier, first.credit_rating, first.credit_limit, first.payment_terms_days) == (
        CustomerTier.KEY, CreditRating.A, Decimal("50000.00"), 45)
    assert (second.tier, second.credit_rating) == (CustomerTier.REGULAR, CreditRating.B)


def test_applying_creates_customers_with_generated_codes(session: Session) -> None:
    a, b = _names()
    preview = parse_customers(session=session, filename="c.csv", content=_csv(f",{a},,,,,,", f",{b},,,,,,"))

    created = apply_import(session=session, preview=preview)

    assert [c.name for c in created] == [a, b]
    assert all(c.code == f"C{c.id:06d}" for c in created)


def test_errors_are_reported_per_row_and_column(session: Session) -> None:
    a, b = _names()

    preview = parse_customers(session=session, filename="c.csv", content=_csv(
        f",{a},gold,E,12.345,x,,", ",,key,,,,,", ",,,,,,,", f",{b},,,-5,,,"))

    assert not preview.ok
    assert [(row.line, sorted(row.errors)) for row in preview.rows] == [
        (2, ["credit_limit", "credit_rating", "payment_terms_days", "tier"]),
        (3, ["name"]),
        (5, ["credit_limit"]),  # the blank line 4 is skipped, not renumbered
    ]


def test_duplicates_within_the_file_are_errors(session: Session) -> None:
    a, _ = _names()
    code = f"IMP-{uuid.uuid4().hex[:6]}"

    preview = parse_customers(session=session, filename="c.csv", content=_csv(
        f"{code},{a},,,,,,", f"{code},{a.upper()},,,,,,"))

    assert preview.rows[1].errors == {"code": "also on line 2", "name": "also on line 2"}


def test_duplicates_of_existing_customers_are_errors(session: Session) -> None:
    existing = make_customer(session, code=f"IMP-{uuid.uuid4().hex[:6]}", name=f"Existing {uuid.uuid4().hex}")

    preview = parse_customers(session=session, filename="c.csv", content=_csv(
        f"{existing.code},New name {uuid.uuid4().hex},,,,,,", f",{existing.name},,,,,,"))

    assert ["code" in preview.rows[0].errors, "name" in preview.rows[1].errors] == [True, True]


def test_a_file_with_errors_is_not_applied(session: Session) -> None:
    a, b = _names()
    preview = parse_customers(session=session, filename="c.csv", content=_csv(f",{a},,,,,,", f",{b},bad,,,,,"))

    with pytest.raises(InvalidInput) as raised:
        apply_import(session=session, preview=preview)

    assert raised.value.errors == [
        {"line": 3, "field": "tier", "message": "tier must be one of strategic, key, regular"}]
    assert _count(session, a, b) == 0


def test_a_row_rejected_late_by_the_database_undoes_the_whole_import(
        committing_sessionmaker: sessionmaker[Session]) -> None:
    a, b = _names()
    code = f"LATE-{uuid.uuid4().hex[:6]}"
    with committing_sessionmaker() as session:
        preview = parse_customers(session=session, filename="c.csv", content=_csv(f",{a},,,,,,",
                                                                                   f"{code},{b},,,,,,"))
    assert preview.ok
    with committing_sessionmaker() as other:  # someone takes the code between preview and confirm
        make_customer(other, code=code, name=f"Taken {code}")
        other.commit()

    with committing_sessionmaker() as session:
        with pytest.raises(InvalidInput, match="line 3"):
            apply_import(session=session, preview=preview)
        session.commit()  # a caller that commits after the error must find nothing half-done to commit

    with committing_sessionmaker() as session:
        assert _count(session, a, b) == 0


def test_utf8_csv_with_bom_and_chinese_headers(session: Session) -> None:
    a, _ = _names()
    content = ("客户编码,客户名称,客户等级,信用等级,信用额度,账期,负责人,区域\n"
               f",{a} 华东泵业,重点,C,\"1,000.50\",60,sales,华东\n").encode("utf-8-sig")

    preview = parse_customers(session=session, filename="客户.csv", content=content)

    assert preview.ok, preview.problems()
    data = preview.rows[0].data
    assert data is not None
    assert (data.name, data.tier, data.credit_rating, data.credit_limit, data.region) == (
        f"{a} 华东泵业", CustomerTier.KEY, CreditRating.C, Decimal("1000.50"), "华东")


def test_gbk_csv_from_excel_is_detected(session: Session) -> None:
    a, _ = _names()
    content = f"客户名称,区域,行业\n{a} 上海机械,华东,机械制造\n".encode("gbk")

    preview = parse_customers(session=session, filename="export.csv", content=content)

    assert preview.ok, preview.problems()
    assert preview.rows[0].values == {"name": f"{a} 上海机械", "region": "华东", "industry": "机械制造"}


def test_xlsx_numbers_are_read_exactly(session: Session) -> None:
    a, _ = _names()
    content = _xlsx([["name", "tier", "credit_limit", "payment_terms_days"], [a, "strategic", 12345.6, 30]])

    preview = parse_customers(session=session, filename="customers.xlsx", content=content)

    data = preview.rows[0].data
    assert data is not None
    assert (data.tier, data.credit_limit, data.payment_terms_days) == (CustomerTier.STRATEGIC, Decimal("12345.6"), 30)


def test_unknown_column_is_a_file_error(session: Session) -> None:
    preview = parse_customers(session=session, filename="c.csv", content=_csv("x,y", header="name,colour\n"))

    assert preview.file_errors == ["unknown or repeated column 'colour'"]
    assert not preview.ok


def test_missing_name_column_is_a_file_error(session: Session) -> None:
    preview = parse_customers(session=session, filename="c.csv", content=_csv("east", header="region\n"))

    assert preview.file_errors == ["the required column 'name' is missing"]


def test_damaged_workbook_is_a_file_error(session: Session) -> None:
    preview = parse_customers(session=session, filename="c.xlsx", content=b"PK\x03\x04 not really a zip")

    assert len(preview.file_errors) == 1 and not preview.rows
