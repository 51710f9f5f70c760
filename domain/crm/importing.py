"""Customer import from CSV or XLSX: parse to a preview with per-row, per-column errors; apply all or nothing.

CSV may be UTF-8 (with or without BOM) or GBK/GB18030 as Excel writes it in Chinese locales; headers may be the
English field names or their Chinese aliases.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from openpyxl import load_workbook
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domain.crm.models import CreditRating, Customer, CustomerTier
from domain.crm.schemas import CustomerCreate
from domain.crm.service import create_customer
from domain.errors import FlowdeskError, InvalidInput

MAX_ROWS = 5000
COLUMNS = ("code", "name", "tier", "credit_rating", "credit_limit", "currency", "payment_terms_days", "owner",
           "region", "industry", "sales_team")
REQUIRED = ("name",)
HEADER_ALIASES: dict[str, str] = {
    "客户编码": "code", "编码": "code", "客户代码": "code",
    "客户名称": "name", "名称": "name", "公司名称": "name",
    "客户等级": "tier", "等级": "tier",
    "信用等级": "credit_rating", "信用评级": "credit_rating", "rating": "credit_rating",
    "信用额度": "credit_limit",
    "币种": "currency", "货币": "currency",
    "账期": "payment_terms_days", "账期(天)": "payment_terms_days", "付款期限": "payment_terms_days",
    "payment_terms": "payment_terms_days",
    "负责人": "owner", "销售负责人": "owner",
    "区域": "region", "地区": "region",
    "行业": "industry",
    "销售团队": "sales_team", "团队": "sales_team",
}
TIER_ALIASES: dict[str, str] = {"战略": "strategic", "战略客户": "strategic", "重点": "key", "重点客户": "key",
                                "关键": "key", "普通": "regular", "普通客户": "regular", "一般": "regular"}
XLSX_MAGIC = b"PK\x03\x04"


@dataclass
class ImportRow:
    """One data row: its line in the file, the raw values by field, errors by field ("" = the whole row)."""

    line: int
    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    data: CustomerCreate | None = None


@dataclass
class ImportPreview:
    """What an import would create, or why it cannot."""

    columns: list[str]
    rows: list[ImportRow]
    file_errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.file_errors and bool(self.rows) and not any(row.errors for row in self.rows)

    @property
    def error_count(self) -> int:
        return len(self.file_errors) + sum(len(row.errors) for row in self.rows)

    def problems(self) -> list[dict[str, Any]]:
        """The errors as problem-details entries (line, field, message)."""
        out: list[dict[str, Any]] = [{"line": None, "field": "", "message": m} for m in self.file_errors]
        out += [{"line": r.line, "field": f, "message": m} for r in self.rows for f, m in r.errors.items()]
        return out


def read_table(filename: str, content: bytes) -> list[list[str]]:
    """The file's cells as text rows (first sheet of a workbook); empty rows kept, so line numbers stay true."""
    if content.startswith(XLSX_MAGIC) or filename.lower().endswith((".xlsx", ".xlsm")):
        rows = _xlsx_rows(content)
    else:
        rows = list(csv.reader(io.StringIO(decode_text(content))))
    return rows


def decode_text(content: bytes) -> str:
    """CSV bytes as text: UTF-8 (BOM or not), else GB18030 (a superset of GBK, what Excel writes in zh locales)."""
    if content.startswith(b"\xef\xbb\xbf"):
        return content[3:].decode("utf-8")
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("gb18030")
    except UnicodeDecodeError:
        raise InvalidInput("the file is neither UTF-8 nor GBK text", code="import_bad_encoding") from None


def parse_customers(*, session: Session, filename: str, content: bytes) -> ImportPreview:
    """Read a CSV or XLSX file into a preview; nothing is written."""
    try:
        table = read_table(filename, content)
    except InvalidInput as exc:
        return ImportPreview(columns=[], rows=[], file_errors=[exc.message])
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for a damaged workbook
        return ImportPreview(columns=[], rows=[], file_errors=[f"the file cannot be read: {exc}"])
    if not table or not any(cell.strip() for cell in table[0]):
        return ImportPreview(columns=[], rows=[], file_errors=["the file is empty or its first row is not a header"])
    header, *body = table
    return preview_rows(session=session, header=header, body=body)


def preview_rows(*, session: Session, header: list[str], body: list[list[str]]) -> ImportPreview:
    """Validate rows under a header (CSV/XLSX already read, or rows posted back from a preview page)."""
    columns, file_errors = _columns(header)
    if len(body) > MAX_ROWS:  # counts blank rows too: a cheap bound before any work
        file_errors.append(f"at most {MAX_ROWS} rows per import")
    rows = [] if file_errors else [_row(n, columns, cells) for n, cells in enumerate(body, start=2)
                                   if any(cell.strip() for cell in cells)]
    if not file_errors and not rows:
        file_errors.append("the file has a header but no rows")
    _check_duplicates(session, rows)
    return ImportPreview(columns=[c for c in columns if c], rows=rows, file_errors=file_errors)


def apply_import(*, session: Session, preview: ImportPreview) -> list[Customer]:
    """Create every customer of an error-free preview, or none: a row the database rejects undoes all of them."""
    if not preview.ok:
        raise InvalidInput(f"the import has {preview.error_count} errors; nothing was imported",
                           code="import_invalid", errors=preview.problems())
    savepoint = session.begin_nested()
    created: list[Customer] = []
    current = preview.rows[0]
    try:
        for current in preview.rows:
            assert current.data is not None
            created.append(create_customer(session=session, data=current.data))
    except (FlowdeskError, IntegrityError) as exc:
        savepoint.rollback()
        message = exc.message if isinstance(exc, FlowdeskError) else "the database rejected the row"
        raise InvalidInput(f"line {current.line}: {message}; nothing was imported", code="import_rejected",
                           errors=[{"line": current.line, "field": "", "message": message}]) from exc
    savepoint.commit()
    return created


def _columns(header: list[str]) -> tuple[list[str], list[str]]:
    columns: list[str] = []
    errors: list[str] = []
    for cell in header:
        raw = cell.strip()
        name = HEADER_ALIASES.get(raw, raw.lower().replace(" ", "_"))
        if name in ("", *COLUMNS) and name not in columns:
            columns.append(name)
        else:
            errors.append(f"unknown or repeated column {raw!r}" if raw else "a column has no header")
            columns.append("")
    errors += [f"the required column {c!r} is missing" for c in REQUIRED if c not in columns]
    return columns, errors


def _row(line: int, columns: list[str], cells: list[str]) -> ImportRow:
    values = {col: cells[i].strip() if i < len(cells) else "" for i, col in enumerate(columns) if col}
    row = ImportRow(line=line, values=values)
    fields: dict[str, Any] = {}
    for col, raw in values.items():
        if raw == "":
            continue
        try:
            fields[col] = _convert(col, raw)
        except ValueError as exc:
            row.errors[col] = str(exc)
    for col in REQUIRED:
        if not values.get(col):
            row.errors[col] = "required"
    if row.errors:
        return row
    try:
        row.data = CustomerCreate(**fields)
    except ValidationError as exc:
        for err in exc.errors():
            row.errors[str(err["loc"][0]) if err["loc"] else ""] = err["msg"]
    return row


def _convert(col: str, raw: str) -> Any:
    if col == "tier":
        value = TIER_ALIASES.get(raw, raw.lower())
        if value not in {t.value for t in CustomerTier}:
            raise ValueError(f"tier must be one of {', '.join(t.value for t in CustomerTier)}")
        return value
    if col == "credit_rating":
        if raw.upper() not in {r.value for r in CreditRating}:
            raise ValueError(f"credit rating must be one of {', '.join(r.value for r in CreditRating)}")
        return raw.upper()
    if col == "credit_limit":
        try:
            amount = Decimal(raw.replace(",", "").replace("，", ""))
        except InvalidOperation:
            raise ValueError("not a number") from None
        if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
            raise ValueError("a non-negative amount with at most two decimal places")
        return amount
    if col == "payment_terms_days":
        try:
            number = Decimal(raw)
        except InvalidOperation:
            raise ValueError("not a whole number of days") from None
        if not number.is_finite() or number != number.to_integral_value():
            raise ValueError("not a whole number of days")
        return int(number)
    if col == "currency":
        return raw.upper()
    return raw


def _check_duplicates(session: Session, rows: list[ImportRow]) -> None:
    """A code or name twice in the file, or already in the database, is an error on that row."""
    for col, column in (("code", Customer.code), ("name", Customer.name)):
        seen: dict[str, int] = {}
        for row in rows:
            key = row.values.get(col, "").strip().lower()
            if not key:
                continue
            if key in seen:
                row.errors.setdefault(col, f"also on line {seen[key]}")
            else:
                seen[key] = row.line
        for start in range(0, len(seen), 500):
            chunk = list(seen)[start:start + 500]
            existing = set(session.scalars(select(func.lower(column)).where(func.lower(column).in_(chunk))))
            for row in rows:
                if row.values.get(col, "").strip().lower() in existing:
                    row.errors.setdefault(col, "a customer with this value already exists")
    for row in rows:
        if row.errors:
            row.data = None


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        # Excel keeps numbers as binary floats; the shortest repr is the number the user typed.
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _xlsx_rows(content: bytes) -> list[list[str]]:
    workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        return [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()
